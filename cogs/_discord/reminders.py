"""The reminder sender: ``ReminderSender`` over discord.py, the only code that turns the reminder service's
messages into Discord calls, and Discord's errors into "refused" (do not retry) or "failed" (retry)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import aiohttp
import discord

from bot.domain.permissions import Permission
from bot.domain.reminders import DMS_CLOSED
from bot.services.reminders import (
    ChannelRefused,
    DeliveryFailed,
    DeliveryRefused,
    OutboxUnreadable,
    OutgoingMessage,
    content_digest,
)
from cogs._discord.permissions import channel_in_guild, guild_id_of, missing_in, role_in_guild
from cogs._views import answer_view

log = logging.getLogger(__name__)

DMS_CLOSED_CODE = 50007  # "Cannot send messages to this user"
MISSING_ACCESS, MISSING_PERMISSIONS = 50001, 50013
OPENING_DMS_TOO_FAST = 40003  # developers/topics/opcodes-and-status-codes.mdx, JSON error codes
POSTING = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES  # what Create Message needs in a text channel
# Without Read Message History, Get Channel Messages answers an empty list (developers/resources/message.mdx).
READING = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
NOT_ON_DISCORD = "the member is not on Discord"  # another platform's id, which a copied database can store
OUTBOX_LOOK = 50  # recent messages looked through per target: a crash leaves at most one send in flight


class DiscordReminderSender:
    """Sends reminders through discord.py: a nonce on every message (so Discord drops resends), pings
    limited to what the message names, Answer buttons that work after restarts."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    def drops_resends(self, target_id: int) -> bool:
        # Create Message with enforce_nonce: a message with the same nonce from the same author within the past
        # few minutes is returned instead of posted again (developers/resources/message.mdx, Create Message).
        return True

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        if message.community_id is not None:
            message = await self._own_places_only(channel_id, message)
        # Checked first from the gateway cache: a post Discord would refuse is not even attempted.
        community_id = message.community_id
        missing = missing_in(self._bot, channel_id, POSTING, community_id=community_id)
        if missing:
            raise _channel_refused(channel_id, missing, f"missing {missing.label}")
        guild_id = guild_id_of(self._bot, channel_id, community_id=community_id)
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id)
        try:
            return await self._send(channel, message, nonce)
        except DeliveryRefused as refused:
            error = refused.__cause__
            if isinstance(error, discord.Forbidden) and error.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
                raise _channel_refused(channel_id, None, refused.reason) from error
            raise

    async def _own_places_only(self, channel_id: int, message: OutgoingMessage) -> OutgoingMessage:
        """A community's reminder goes to its own channel and pings its own role only, whatever its settings say."""
        assert message.community_id is not None
        await self._bot.wait_until_ready()  # the servers' channels and roles come from the gateway cache
        own = channel_in_guild(self._bot, message.community_id, channel_id)
        if own is None:
            raise DeliveryFailed(f"server {message.community_id} is not available to this process yet")
        if not own:
            raise _not_own(channel_id)
        role = message.ping_role_id
        if role is not None and not role_in_guild(self._bot, message.community_id, role):
            log.warning("community %s: its ping role is not its own; the reminder pings no one", message.community_id)
            content = message.content.replace(f"<@&{role}>", "").lstrip()
            message = dataclasses.replace(message, content=content, ping_role_id=None)
        return message

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        if user_id <= 0:  # not a snowflake: another platform's member (a copied database, or a bug)
            raise DeliveryRefused(NOT_ON_DISCORD)
        try:
            channel = await self._bot.create_dm(discord.Object(id=user_id))
        except _SEND_ERRORS as error:
            raise _translate(error) from error
        return await self._send(channel, message, nonce)

    async def find_in_channel(
        self, channel_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        await self._bot.wait_until_ready()  # permissions come from the gateway cache
        if channel_in_guild(self._bot, community_id, channel_id) is False:
            return None  # never posted there: a server's reminders go to its own channels only (a resend is refused)
        missing = missing_in(self._bot, channel_id, READING, community_id=community_id)
        if missing is None:
            raise _outbox_unreadable(channel_id, f"the bot does not know the channel {channel_id}")
        if missing:
            raise _outbox_unreadable(channel_id, f"missing {missing.label}", missing=missing)
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id_of(self._bot, channel_id))
        try:
            return await self._find(channel, nonce, digest, after)
        except OutboxUnreadable as error:
            raise _outbox_unreadable(channel_id, error.reason, missing=error.missing) from error

    async def find_in_dms(
        self, user_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        if user_id <= 0:
            raise DeliveryRefused(NOT_ON_DISCORD)
        await self._bot.wait_until_ready()
        try:
            channel = await self._bot.create_dm(discord.Object(id=user_id))
        except _SEND_ERRORS as error:
            raise _translate(error) from error
        return await self._find(channel, nonce, digest, after)

    async def _find(self, channel: discord.abc.Messageable, nonce: str, digest: str, after: int | None) -> int | None:
        me = self._bot.user.id if self._bot.user else None
        start = discord.Object(id=after) if after is not None else None
        try:
            async for message in channel.history(limit=OUTBOX_LOOK, after=start, oldest_first=False):
                if message.author.id != me:
                    continue
                if message.nonce == nonce or content_digest(message.content) == digest:
                    return message.id
        except discord.Forbidden as error:
            raise OutboxUnreadable(f"forbidden (code {error.code})") from error
        except _SEND_ERRORS as error:
            raise _translate(error) from error
        return None

    async def _send(self, channel: discord.abc.Messageable, message: OutgoingMessage, nonce: str) -> int:
        view: discord.ui.View | None = None
        if message.answer_buttons:
            view = answer_view(
                *(b.prompt_id for b in message.answer_buttons), labels=[b.label for b in message.answer_buttons]
            )
            # Stopped before sending: the buttons are still sent, but no View object is kept per message.
            # Clicks reach the AnswerButton DynamicItem registered at start, after restarts too.
            view.stop()
        mentions = discord.AllowedMentions(
            everyone=False,
            users=[discord.Object(id=i) for i in message.ping_user_ids] if message.ping_user_ids else False,
            roles=[discord.Object(id=message.ping_role_id)] if message.ping_role_id is not None else False,
            replied_user=False,
        )
        try:
            if view is None:
                sent = await channel.send(message.content, nonce=nonce, allowed_mentions=mentions)
            else:
                sent = await channel.send(message.content, nonce=nonce, allowed_mentions=mentions, view=view)
        except _SEND_ERRORS as error:
            raise _translate(error) from error
        return sent.id


_SEND_ERRORS = (discord.DiscordException, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def _translate(error: Exception) -> DeliveryRefused | DeliveryFailed:
    """Discord's errors as the service's: refused (never retried) or failed (retried later)."""
    if isinstance(error, discord.HTTPException) and error.code == OPENING_DMS_TOO_FAST:
        return DeliveryFailed("opening DMs too fast (40003)", retry_after=_retry_after(error))
    if isinstance(error, discord.Forbidden):
        if error.code == DMS_CLOSED_CODE:
            return DeliveryRefused(DMS_CLOSED)
        return DeliveryRefused(f"forbidden (code {error.code})")
    if isinstance(error, discord.NotFound):
        return DeliveryRefused(f"not found (code {error.code})")
    if isinstance(error, discord.RateLimited):
        return DeliveryFailed("rate limited", retry_after=error.retry_after)
    if isinstance(error, discord.HTTPException):
        if error.status == 429:
            return DeliveryFailed("rate limited", retry_after=_retry_after(error))
        if error.status >= 500:
            return DeliveryFailed(f"Discord unavailable ({error.status})")
        return DeliveryRefused(f"rejected ({error.status}, code {error.code})")
    return DeliveryFailed(f"{type(error).__name__}")  # network trouble, or a client-side hiccup


def _retry_after(error: discord.HTTPException) -> float | None:
    try:
        return float(error.response.headers.get("Retry-After", ""))
    except (AttributeError, ValueError):
        return None


# --- How a refusal reads on Discord: the channel as a mention, and its permissions menu --------------------


def _channel_refused(channel_id: int, missing: Permission | None, reason: str) -> ChannelRefused:
    where = f"<#{channel_id}>"
    if missing:
        problem = f"The bot cannot post reminders in {where}: it lacks {missing.label} there."
        fix = f"Give the bot {missing.label} in {where} (Edit Channel > Permissions)"
    else:
        problem = f"Discord refused the bot's reminder post in {where} ({reason})."
        fix = f"Check the bot's permissions in {where} (View Channel and Send Messages)"
    return ChannelRefused(channel_id, missing, reason, where=where, problem=problem, fix=fix)


def _outbox_unreadable(channel_id: int, reason: str, *, missing: Permission | None = None) -> OutboxUnreadable:
    where = f"<#{channel_id}>"
    return OutboxUnreadable(
        reason,
        missing=missing,
        where=where,
        lacks=f"it lacks {missing.label} there" if missing else None,
        fix=f"Give the bot Read Message History in {where} so that it can check by itself next time.",
    )


def _not_own(channel_id: int) -> ChannelRefused:
    """The stored reminder channel is another server's (or another platform's, or gone): not named as a link, which
    would show this server's organisers someone else's channel."""
    return ChannelRefused(
        channel_id,
        None,
        "it is not one of this server's channels",
        where="the reminder channel",
        problem="The bot cannot post reminders in the reminder channel: it is not one of this server's channels "
        "(deleted, or another server's).",
        fix="Choose one of this server's channels as the reminder channel (/setup reminder_channel:)",
        foreign=True,
    )
