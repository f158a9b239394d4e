"""Persistent buttons shared by several cogs. Their custom_id carries all they need, so they keep
working after a restart (registered once in setup_hook)."""

from __future__ import annotations

import re
from typing import Any

import discord

from cogs._answer_modal import open_answer_modal

ANSWER_CUSTOM_ID = "answer:prompt:{prompt_id}"


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"answer:prompt:(?P<prompt_id>\d+)"):
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
