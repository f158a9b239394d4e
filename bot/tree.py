"""The command tree: one place that turns errors into what a member sees.

- a UserFacingError (bad input, unknown week, ...) shows its own message, privately;
- a failed check shows what is needed ("only facilitators can open threads");
- anything else is logged with the command and its options, and the member sees a short apology with an
  error id that an organiser can find in the log.
Replies go through ``send_private``, which follows up when the interaction was already answered, so one
interaction never gets two responses.
"""

from __future__ import annotations

import logging
import math
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.errors import UserFacingError

log = logging.getLogger(__name__)


class NotAllowedError(app_commands.CheckFailure):
    """A permission check that failed, with the sentence to show the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def send_private(interaction: discord.Interaction[Any], content: str, **kwargs: Any) -> None:
    """Answer privately: the first response if none was sent yet, else a follow-up."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    content = fit_message(content)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def fit_message(content: str, limit: int = MESSAGE_LIMIT) -> str:
    """``content`` cut to fit one Discord message, so that no reply fails for being too long."""
    return content if len(content) <= limit else content[: limit - 1] + "…"


def _unwrap(error: BaseException) -> BaseException:
    while isinstance(error, (app_commands.CommandInvokeError, app_commands.TransformerError)) and error.__cause__:
        error = error.__cause__
    return getattr(error, "original", error)


def _describe(interaction: discord.Interaction[Any]) -> tuple[str, dict[str, Any]]:
    """The command's qualified name and its options, for the log (never modal text)."""
    command = interaction.command
    data: Any = interaction.data or {}
    name = command.qualified_name if command else data.get("custom_id", "component")
    options: dict[str, Any] = {}
    pending = list(data.get("options", [])) if interaction.type is discord.InteractionType.application_command else []
    while pending:
        option = pending.pop()
        if "options" in option:
            pending += option["options"]
        elif "value" in option:
            options[option["name"]] = option["value"]
    return str(name), options


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Show ``error`` to the member who caused it, the right way for its kind."""
    original = _unwrap(error)
    try:
        if isinstance(original, UserFacingError):
            await send_private(interaction, str(original))
            return
        if isinstance(original, NotAllowedError):
            name, _ = _describe(interaction)
            log.info(
                "refused %s for user %s in guild %s: %s", name, interaction.user.id, interaction.guild_id, original
            )
            await send_private(interaction, original.message)
            return
        if isinstance(original, app_commands.CommandOnCooldown):
            name, _ = _describe(interaction)
            wait = max(1, math.ceil(original.retry_after))
            await send_private(interaction, f"You used /{name} a moment ago: try again in {wait} s.")
            return
        if isinstance(original, app_commands.CheckFailure):
            await send_private(interaction, "You can't use this command here.")
            return
        error_id = secrets.token_hex(4)
        name, options = _describe(interaction)
        log.error(
            "error %s in %s (options %s) for guild %s",
            error_id,
            name,
            options,
            interaction.guild_id,
            exc_info=original,
        )
        await send_private(interaction, f"Sorry, something went wrong on our side. (error id `{error_id}`)")
    except discord.HTTPException as failure:
        # The interaction expired or was answered already: the log is all that can be done. Why it failed is
        # logged (Discord's status and code, never the text that was to be sent).
        log.warning(
            "could not tell the member about an error in interaction %s: HTTP %s, Discord code %s",
            interaction.id,
            failure.status,
            failure.code,
        )


class WorkshopTree(app_commands.CommandTree[Any]):
    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /) -> None:
        await report_error(interaction, error)
