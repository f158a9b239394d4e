"""Retention notices: the week's warning and the 'deleted' notice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain.discord_text import timestamp
from cogs.organiser._text import (
    plural,
)

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)


class RetentionNotices:
    """The retention service's notices, posted in the reminder channel."""

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot

    async def retention_warning(self, guild_id: int, deletes_at: datetime, retention: timedelta) -> None:
        settings = await self.bot.services.settings.get(guild_id)
        if settings.reminder_channel_id is None:
            log.warning(
                "no reminder channel in guild %s for the retention warning: organisers see it in /stats and /setup",
                guild_id,
            )
            return
        role = settings.organiser_role_id
        mention = f"<@&{role}> " if role else ""
        content = (
            f"{mention}**Organisers:** the answers members gave in this server's workshop programme will be deleted "
            f"on {timestamp(deletes_at)} ({timestamp(deletes_at, 'R')}), {plural(retention.days, 'day')} after the "
            "last session, as set with /setup. To keep a copy, use /export answers before then; to keep them "
            "longer, change retention_days with /setup."
        )
        allowed = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role)] if role else False)
        channel = self.bot.get_partial_messageable(settings.reminder_channel_id, guild_id=guild_id)
        await channel.send(content, allowed_mentions=allowed)

    async def retention_done(self, guild_id: int, deleted: int) -> None:
        settings = await self.bot.services.settings.get(guild_id)
        if settings.reminder_channel_id is None:
            return
        channel = self.bot.get_partial_messageable(settings.reminder_channel_id, guild_id=guild_id)
        await channel.send(
            "As set by this server's retention period, the answers given in the workshop programme have now been "
            "deleted.",
            allowed_mentions=discord.AllowedMentions.none(),
        )
