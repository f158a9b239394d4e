"""Persistent buttons shared by several cogs. Their custom_id carries all they need, so they keep
working after a restart (registered once in setup_hook)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.domain.errors import UserFacingError
from bot.tree import report_error
from cogs._answer_modal import open_answer_modal

ANSWER_CUSTOM_ID = "answer:prompt:{prompt_id}"


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"answer:prompt:(?P<prompt_id>[0-9]{1,19})"
):
    """Opens the answer form for one prompt, pre-filled with the member's current answer."""

    def __init__(self, prompt_id: int, *, label: str = "Answer") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=ANSWER_CUSTOM_ID.format(prompt_id=prompt_id),
                emoji="✍️",
            )
        )
        self.prompt_id = prompt_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        return cls(int(match["prompt_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await open_answer_modal(interaction, self.prompt_id)


def answer_view(*prompt_ids: int, labels: list[str] | None = None) -> discord.ui.View:
    """A view of Answer buttons (at most 25) for messages that carry prompts."""
    view = discord.ui.View(timeout=None)
    for index, prompt_id in enumerate(prompt_ids[:25]):
        label = labels[index] if labels else "Answer"
        view.add_item(AnswerButton(prompt_id, label=label))
    return view


# --- paged private replies ------------------------------------------------------------------------------

PageRenderer = Callable[[discord.Interaction[Any], int], Awaitable[tuple[discord.Embed, discord.ui.View | None]]]
_PAGE_RENDERERS: dict[str, PageRenderer] = {}


def register_pages(kind: str, renderer: PageRenderer) -> None:
    """``renderer(interaction, page)`` draws page ``page`` of the ``kind`` list (called from cog_load)."""
    _PAGE_RENDERERS[kind] = renderer


def unregister_pages(kind: str) -> None:
    _PAGE_RENDERERS.pop(kind, None)


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"(?P<kind>[a-z]+):page:(?P<page>[0-9]{1,6}):(?P<dir>prev|next)",
):
    """Previous / next page of a paged private reply (/programme, /mydata show).

    Stateless: the page is drawn again from the database for whoever clicks, so the buttons work after a
    restart and can only ever show the clicker's own data.
    """

    def __init__(self, kind: str, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="◀ Previous" if direction == "prev" else "Next ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=f"{kind}:page:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.kind = kind
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(match["kind"], int(match["page"]), match["dir"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            renderer = _PAGE_RENDERERS.get(self.kind)
            if renderer is None:
                raise UserFacingError("This list is no longer available: run the command again.")
            embed, view = await renderer(interaction, self.page)
            await interaction.response.edit_message(embed=embed, view=view)
        except Exception as error:
            await report_error(interaction, error)


def pager(kind: str, page: int, page_count: int) -> discord.ui.View | None:
    """Previous / next buttons for page ``page`` of ``page_count`` (none for a single page)."""
    if page_count <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(kind, max(page - 1, 0), "prev", disabled=page == 0))
    view.add_item(PageButton(kind, page + 1, "next", disabled=page >= page_count - 1))
    return view
