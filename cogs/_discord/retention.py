"""Retention notices: ``RetentionNotifier`` over discord.py, posted in the server's own reminder channel only."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.domain.discord_text import timestamp
from bot.domain.permissions import Permission
from bot.services.reminders import ChannelRefused
from cogs._discord.permissions import channel_in_guild, guild_id_of, missing_in, role_in_guild
from cogs._discord.reminders import POSTING
from cogs.organiser._text import plural

log = logging.getLogger(__name__)


class RetentionNotices:
    """The week's warning (addressed to the organiser role) and the 'deleted' notice."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def retention_warning(
        self,
        community_id: int,
        channel_id: int,
        organiser_role_id: int | None,
        deletes_at: datetime,
        retention: timedelta,
    ) -> None:
        await self._own_channel(community_id, channel_id)
        if organiser_role_id is not None and role_in_guild(self._bot, community_id, organiser_role_id) is False:
            log.warning(
                "community %s: its organiser role is not its own; the retention warning pings no one", community_id
            )
            organiser_role_id = None
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

    async def retention_done(self, community_id: int, channel_id: int, deleted: int) -> None:
        await self._own_channel(community_id, channel_id)
        await self._post(
            channel_id,
            "As set by this server's retention period, the answers given in the workshop programme have now been "
            "deleted.",
            discord.AllowedMentions.none(),
        )

    async def _own_channel(self, community_id: int, channel_id: int) -> None:
        """A server's notice goes to its own channel only, whatever its settings say (as its reminders do).

        Judged from the gateway cache; before the server is in it (the retention check at start runs before the
        gateway's READY), Discord is asked whose channel it is (Get Channel, developers/resources/channel.mdx:
        the channel object's ``guild_id``). Read raw: discord.py's ``fetch_channel`` would put the other server
        in this process's cache.
        """
        own = channel_in_guild(self._bot, community_id, channel_id)
        if own is None:
            own = await self._guild_of(channel_id) == community_id
        if not own:
            raise _not_own(channel_id)

    async def _guild_of(self, channel_id: int) -> int | None:
        try:
            data = await self._bot.http.get_channel(channel_id)
        except discord.NotFound:
            return None  # deleted, or never a channel
        except discord.Forbidden as error:
            # This server's channel hidden from the bot, or a channel of a server it is not in: Discord says the same.
            raise ChannelRefused(
                channel_id,
                Permission.VIEW_CHANNEL,
                "it cannot see the channel",
                where="the reminder channel",
                fix="Give the bot View Channel and Send Messages in the reminder channel if it is this server's, or "
                "choose one of this server's channels with /setup reminder_channel:",
            ) from error
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as error:
            raise _refused(channel_id, None, "Discord could not say whose channel it is") from error
        guild_id = data.get("guild_id")  # none for a DM
        return None if guild_id is None else int(str(guild_id))

    async def _post(self, channel_id: int, content: str, allowed: discord.AllowedMentions) -> None:
        missing = missing_in(self._bot, channel_id, POSTING)
        if missing:
            raise _refused(channel_id, missing, f"it lacks {missing.label} there")
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id_of(self._bot, channel_id))
        try:
            await channel.send(content, allowed_mentions=allowed)
        except discord.HTTPException as error:
            raise _refused(channel_id, None, "Discord refused it") from error


def _refused(channel_id: int, missing: Permission | None, reason: str) -> ChannelRefused:
    """A notice Discord would not take, worded for organisers as Discord shows channels and permissions."""
    where = f"<#{channel_id}>"
    return ChannelRefused(
        channel_id, missing, reason, where=where, fix=f"Give the bot View Channel and Send Messages in {where}"
    )


def _not_own(channel_id: int) -> ChannelRefused:
    """The stored reminder channel is another server's (or gone): not named as a link, which would show this
    server's organisers the other server's channel."""
    return ChannelRefused(
        channel_id,
        None,
        "it is not one of this server's channels",
        where="the reminder channel",
        fix="Choose one of this server's channels with /setup reminder_channel:",
    )
