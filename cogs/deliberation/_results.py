"""Results as a Discord message: groups, common ground, divisions; or the counts and why there are no groups."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.domain.deliberation.conversation import Conversation
from bot.domain.deliberation.display import ShownResults
from bot.domain.discord_text import MESSAGE_LIMIT
from cogs._base import guild_id_of, workshop_bot
from cogs._checks import is_facilitator, is_organiser

# --- results ------------------------------------------------------------------------------------------------


def results_text(conversation: Conversation, shown: ShownResults) -> str:
    lines = [f"**{conversation.name.capitalize()}**: {conversation.prompt}", f"Voters: {shown.voters}"]
    if shown.reason:
        lines.append(f"No opinion groups yet. {shown.reason} Agreement so far:")
        for counts in shown.counts[:15]:
            lines.append(f"> {counts.text}\n  agree {counts.agree} · disagree {counts.disagree} · pass {counts.passed}")
        return "\n".join(lines)[:MESSAGE_LIMIT]
    for group in shown.groups:
        lines.append(f"**{group.label}** ({group.size} members)")
        for statement in group.representative[:3]:
            lines.append(f"> {statement.text}\n  {statement.detail}")
        if not group.representative:
            lines.append("  (no statement sets this group apart yet)")
    if shown.ungrouped_note:
        lines.append(shown.ungrouped_note)
    if shown.consensus:
        lines.append("**Common ground**")
        lines += [f"> {s.text}\n  {s.detail}" for s in shown.consensus[:3]]
    if shown.divisive:
        lines.append("**Where the groups divide**")
        lines += [f"> {s.text}\n  {s.detail}" for s in shown.divisive[:3]]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


async def is_facilitator_here(interaction: discord.Interaction[Any]) -> bool:
    settings = await workshop_bot(interaction).services.settings.get(guild_id_of(interaction))
    return is_facilitator(interaction.user, settings) or is_organiser(interaction.user, settings)


async def conversation_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    """The server's conversations, newest first, matching what was typed (number or words of the prompt)."""
    if interaction.guild_id is None:
        return []
    found = await workshop_bot(interaction).services.deliberation.conversations(interaction.guild_id)
    typed = current.strip().lower()
    choices = []
    for conversation in reversed(found):
        label = f"{conversation.number} · {conversation.prompt}"
        if typed and typed not in label.lower():
            continue
        state = "" if conversation.is_open else " (closed)"
        name = f"{label}{state}"
        choices.append(
            app_commands.Choice(name=name if len(name) <= 100 else name[:99] + "…", value=conversation.number)
        )
    return choices[:25]
