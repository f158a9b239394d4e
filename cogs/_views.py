"""Persistent buttons: the base class every one of them uses, and the buttons shared by several cogs.

A persistent button's custom_id carries all it needs, so it keeps working after a restart (discord.py's
``DynamicItem``, registered with ``add_dynamic_items``; see its examples/views/dynamic_counter.py). The
shared Answer and paging buttons are registered by the ``cogs._discord`` extension, the others by their cog.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.domain.errors import UserFacingError
from bot.tree import report_error, send_private
from cogs._answer_modal import open_answer_modal

log = logging.getLogger(__name__)

ANSWER_CUSTOM_ID = "answer:prompt:{prompt_id}"


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """The base of every persistent button: errors reach the member who pressed it, and a button that
    belongs to one member answers only them.

    discord.py only logs what a DynamicItem raises, so ``callback`` runs ``pressed`` and shows any error the
    way the command tree does (``report_error``). A subclass sets ``owner_id`` (None: anyone may press it)
    and ``not_owner_text``; ``interaction_check`` refuses everyone else privately, before ``pressed`` runs.
    (The base's template never matches: only subclasses are registered.)
    """

    owner_id: int | None = None
    not_owner_text = "This button is not yours to press."

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        try:
            await send_private(interaction, self.not_owner_text)
        except discord.HTTPException:
            log.warning("could not tell a member that button %s is not theirs", self.item.custom_id)
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.pressed(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class AnswerButton(PersistentButton, template=r"answer:prompt:(?P<prompt_id>[0-9]{1,19})"):
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

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
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
    PersistentButton,
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

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        renderer = _PAGE_RENDERERS.get(self.kind)
        if renderer is None:
            raise UserFacingError("This list is no longer available: run the command again.")
        embed, view = await renderer(interaction, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


def pager(kind: str, page: int, page_count: int) -> discord.ui.View | None:
    """Previous / next buttons for page ``page`` of ``page_count`` (none for a single page)."""
    if page_count <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(kind, max(page - 1, 0), "prev", disabled=page == 0))
    view.add_item(PageButton(kind, page + 1, "next", disabled=page >= page_count - 1))
    return view
