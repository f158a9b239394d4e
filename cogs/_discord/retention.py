"""Retention notices: ``RetentionNotifier`` over discord.py, posted in the reminder channel."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord

from bot.domain.discord_text import timestamp
from bot.domain.permissions import Permission
from bot.services.reminders import ChannelRefused
from cogs._discord.permissions import guild_id_of, missing_in
from cogs._discord.reminders import POSTING
from cogs.organiser._text import plural


class RetentionNotices:
    """The week's warning (addressed to the organiser role) and the 'deleted' notice."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def retention_warning(
        self, channel_id: int, organiser_role_id: int | None, deletes_at: datetime, retention: timedelta
    ) -> None:
        mention = f"<@&{organiser_role_id}> " if organiser_role_id else ""
        content = (
            f"{mention}**Organisers:** the answers members gave in this server's workshop programme will be deleted "
            f"on {timestamp(deletes_at)} ({timestamp(deletes_at, 'R')}), {plural(retention.days, 'day')} after the "
            "last session, as set with /setup. To keep a copy, use /export answers before then; to keep them "
            "longer, change retention_days with /setup."
        )
        allowed = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(organiser_role_id)] if organiser_role_id else False
        )
        await self._post(channel_id, content, allowed)

    async def _post(self, channel_id: int, content: str, allowed: discord.AllowedMentions) -> None:
        missing = missing_in(self._bot, channel_id, POSTING)
        if missing:
            raise _refused(channel_id, missing, f"it lacks {missing.label} there")
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id_of(self._bot, channel_id))
        try:
            await channel.send(content, allowed_mentions=allowed)
        except discord.HTTPException as error:
            raise _refused(channel_id, None, "Discord refused it") from error

    async def retention_done(self, channel_id: int, deleted: int) -> None:
        await self._post(
            channel_id,
            "As set by this server's retention period, the answers given in the workshop programme have now been "
            "deleted.",
            discord.AllowedMentions.none(),
        )


def _refused(channel_id: int, missing: Permission | None, reason: str) -> ChannelRefused:
    """A notice Discord would not take, worded for organisers as Discord shows channels and permissions."""
    where = f"<#{channel_id}>"
    return ChannelRefused(
        channel_id, missing, reason, where=where, fix=f"Give the bot View Channel and Send Messages in {where}"
    )
