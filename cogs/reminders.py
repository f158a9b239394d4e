"""Reminders: /reminders (members opt in to DMs). The ReminderService decides what to send and when; the
Discord side of sending is ``DiscordReminderSender`` in cogs/_discord."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.reminder_text import describe_offsets as describe_offsets  # re-exported
from bot.domain.reminder_text import status_text
from cogs._base import WorkshopCog, guild_id_of

log = logging.getLogger(__name__)

# In /reminders while the member's last reminder DM was refused: Discord's reason, and its setting that fixes it.
DMS_CLOSED_STATUS = (
    "Your last reminder could not be delivered because your direct messages are closed to me: allow direct "
    "messages from members of this server in its Privacy Settings."
)
DMS_CLOSED_NOTICE = (
    "⚠️ I couldn't send you the last session reminder by direct message: your DMs are closed to me. To get "
    "reminders by DM, allow direct messages from members of this server (the server's Privacy Settings), or "
    "turn them off with `/reminders setting:off`. I won't mention this again. (Only you can see this.)"
)


class RemindersCog(WorkshopCog):
    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction[Any], command: Any) -> None:
        """After a member's command, tell them privately (once) if their reminder DM could not be delivered."""
        service = self.bot.services.reminders
        if interaction.guild_id is None or not interaction.response.is_done():
            return
        if not await service.take_dms_closed_notice(interaction.guild_id, interaction.user.id):
            return
        try:
            await interaction.followup.send(DMS_CLOSED_NOTICE, ephemeral=True)
        except discord.HTTPException:
            await service.release_dms_closed_notice(interaction.guild_id, interaction.user.id)

    @app_commands.command(name="reminders", description="Get a direct message before each session, or stop them")
    @app_commands.describe(setting="on: a DM before each session; off: no DMs. Leave it out to see your setting.")
    @app_commands.choices(
        setting=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    @app_commands.guild_only()
    async def reminders(self, interaction: discord.Interaction[Any], setting: str | None = None) -> None:
        guild_id = guild_id_of(interaction)
        service = self.bot.services.reminders
        if setting is None:
            status = await service.dm_reminder_status(guild_id, interaction.user.id)
        else:
            status = await service.set_dm_reminders(guild_id, interaction.user.id, setting == "on")
        await interaction.response.send_message(
            status_text(status, dms_closed=DMS_CLOSED_STATUS),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: Any) -> None:
    await bot.add_cog(RemindersCog(bot))
