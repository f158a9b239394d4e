"""Reminders: /reminders (members opt in to DMs), and the Discord side of sending reminders.

The ReminderService decides what to send and when; ``DiscordReminderSender`` is the only code that turns
its messages into Discord calls, and Discord's errors into "refused" (do not retry) or "failed" (retry).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.reminders import DMS_CLOSED
from bot.services.reminders import DeliveryFailed, DeliveryRefused, DmReminderStatus, OutgoingMessage
from cogs._base import WorkshopCog, guild_id_of
from cogs._views import answer_view

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)

DMS_CLOSED_CODE = 50007  # "Cannot send messages to this user"
DMS_CLOSED_NOTICE = (
    "⚠️ I couldn't send you the last session reminder by direct message: your DMs are closed to me. To get "
    "reminders by DM, allow direct messages from members of this server (the server's Privacy Settings), or "
    "turn them off with `/reminders setting:off`. I won't mention this again. (Only you can see this.)"
)


class DiscordReminderSender:
    """Sends reminders through discord.py: a nonce on every message (so Discord drops resends), pings
    limited to what the message names, Answer buttons that work after restarts."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        return await self._send(self._bot.get_partial_messageable(channel_id), message, nonce)

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        try:
            channel = await self._bot.create_dm(discord.Object(id=user_id))
        except _SEND_ERRORS as error:
            raise _translate(error) from error
        return await self._send(channel, message, nonce)

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


def describe_offsets(offsets: tuple[timedelta, ...]) -> str:
    """``24 hours and 1 hour``: how long before a session the reminders come, for people."""
    parts = [_describe_offset(offset) for offset in offsets]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _describe_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    if rest == 0 and days >= 2:
        return f"{days} days"
    hours, minutes = divmod(minutes, 60)
    words = []
    if hours:
        words.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        words.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(words)


def status_text(status: DmReminderStatus) -> str:
    """The private reply to /reminders: the member's setting now, and what it means."""
    where = f" Reminders are also posted in <#{status.channel_id}>." if status.channel_id else ""
    if not status.on:
        lead = "DM reminders are now **off**." if status.changed else "DM reminders are **off** for you."
        return f"{lead}{where} Turn them on with `/reminders setting:on`."
    lead = "DM reminders are now **on**." if status.changed else "DM reminders are **on** for you."
    text = (
        f"{lead} I'll send you a direct message {describe_offsets(status.offsets)} before each session. "
        "Turn them off any time with `/reminders setting:off`."
    )
    if status.dms_found_closed:
        text += (
            "\n⚠️ Your last reminder could not be delivered because your direct messages are closed to me: "
            "allow direct messages from members of this server in its Privacy Settings."
        )
    return text


class RemindersCog(WorkshopCog):
    def __init__(self, bot: WorkshopBot) -> None:
        super().__init__(bot)
        self.sender = DiscordReminderSender(bot)

    async def cog_load(self) -> None:
        self.bot.services.reminders.attach(self.sender)

    async def cog_unload(self) -> None:
        self.bot.services.reminders.detach()

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
            status_text(status), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: Any) -> None:
    await bot.add_cog(RemindersCog(bot))
