"""The conversation's one post in the channel, with its persistent Vote button."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.domain.deliberation.conversation import Conversation
from cogs._views import PersistentButton
from cogs.deliberation._common import NONE
from cogs.deliberation._voting import voting_step

# --- the channel post -------------------------------------------------------------------------------------


def post_text(conversation: Conversation) -> str:
    week = f" · week {conversation.week}" if conversation.week is not None else ""
    if not conversation.is_open:
        return f"🗳️ **{conversation.name.capitalize()}**{week} (closed)\n> {conversation.prompt}\nVoting has ended."
    return (
        f"🗳️ **{conversation.name.capitalize()}**{week}\n> {conversation.prompt}\n"
        "Vote on short statements from the group, privately, and add your own. Nobody sees who wrote a statement "
        "or how anyone voted."
    )


class VoteButton(PersistentButton, template=r"deliberate:vote:(?P<conversation>[0-9]{1,19})"):
    """The button on the channel post: opens the private voting flow."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Vote",
                style=discord.ButtonStyle.primary,
                custom_id=f"deliberate:vote:{conversation_id}",
                emoji="🗳️",
            )
        )
        self.conversation_id = conversation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["conversation"]))

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        content, view = await voting_step(interaction, self.conversation_id)
        await interaction.response.send_message(content, view=view, ephemeral=True, allowed_mentions=NONE)


def post_view(conversation_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(conversation_id))
    return view
