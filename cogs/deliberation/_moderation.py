"""Moderation: organisers accept or reject the statements waiting, one at a time."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.domain.discord_text import MESSAGE_LIMIT
from bot.services.deliberation import DeliberationService
from cogs._base import guild_id_of
from cogs._views import PersistentButton
from cogs.deliberation._common import NONE, service_of

# --- moderation ---------------------------------------------------------------------------------------------


class ModerateButton(PersistentButton, template=r"deliberate:moderate:(?P<statement>[0-9]{1,19}):(?P<verdict>[ar])"):
    def __init__(self, statement_id: int, accept: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Accept" if accept else "Reject",
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.danger,
                custom_id=f"deliberate:moderate:{statement_id}:{'a' if accept else 'r'}",
            )
        )
        self.statement_id, self.accept = statement_id, accept

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ModerateButton:
        return cls(int(match["statement"]), match["verdict"] == "a")

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        from cogs._checks import require_organiser

        await require_organiser(interaction, "moderate statements")
        service = service_of(interaction)
        statement = await service.moderate(guild_id_of(interaction), self.statement_id, accept=self.accept)
        done = f"{'Accepted' if self.accept else 'Rejected'}: “{statement.text}”"
        content, view = await moderation_step(service, statement.conversation_id, note=done)
        await interaction.response.edit_message(content=content, view=view, allowed_mentions=NONE)


async def moderation_step(
    service: DeliberationService, conversation_id: int, *, note: str | None = None
) -> tuple[str, discord.ui.View | None]:
    pending = await service.pending(conversation_id)
    lines = [note] if note else []
    if not pending:
        lines.append("No statements are waiting for moderation.")
        return "\n".join(lines), None
    first = pending[0]
    lines.append(f"{len(pending)} waiting. Accept this statement for voting?\n> {first.text}")
    view = discord.ui.View(timeout=None)
    view.add_item(ModerateButton(first.id, True))
    view.add_item(ModerateButton(first.id, False))
    return "\n".join(lines)[:MESSAGE_LIMIT], view
