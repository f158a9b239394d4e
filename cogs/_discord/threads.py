"""The thread gateway: ``ThreadGateway`` over discord.py. Discord's errors become the service's exceptions."""

from __future__ import annotations

import logging
from typing import Any, Final, Literal

import discord

from bot.domain.errors import UserFacingError
from bot.domain.permissions import Permission
from bot.services.threads import (
    BotLacksPermissionError,
    CatchUpTrouble,
    ChannelKind,
    CreatedThread,
    DiscordThreadState,
    ProblemWording,
    Starter,
    Summary,
    ThreadArchivedError,
    ThreadGoneError,
    ThreadHistory,
    ThreadLockedError,
    ThreadMessage,
    ThreadsAction,
    ThreadsRefusal,
)
from cogs._discord.permissions import guild_id_of, missing_in, missing_in_channel
from cogs._thread_text import starter_content, summary_content
from cogs._views import answer_view

log = logging.getLogger(__name__)

AUTO_ARCHIVE_MINUTES: Final[Literal[10080]] = (
    10080  # a week: Discord's longest, so a thread outlives the gap between sessions
)
NO_PINGS = discord.AllowedMentions.none()
# Members' own messages; joins, pins, "thread created" notices and the like are not answers.
MEMBER_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})

# Discord's JSON error codes the threads feature acts on.
THREAD_ARCHIVED = 50083
THREAD_LOCKED = 160005
TAG_REQUIRED = 40067
UNKNOWN_MESSAGE = 10008


def is_member_message(message: discord.Message) -> bool:
    return (
        message.guild is not None
        and not message.author.bot
        and not message.author.system
        and message.webhook_id is None
        and message.type in MEMBER_MESSAGE_TYPES
    )


class DiscordThreadGateway:
    """ThreadGateway over discord.py: Discord's errors become the service's exceptions."""

    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    async def _channel(self, channel_id: int) -> Any:
        channel = self._bot.get_channel(channel_id)
        if channel is None:
            channel = await self._bot.fetch_channel(channel_id)
        return channel

    async def channel_kind(self, community_id: int, channel_id: int) -> ChannelKind | None:
        try:
            channel = await self._channel(channel_id)
        except (discord.NotFound, discord.Forbidden):
            return None
        if getattr(getattr(channel, "guild", None), "id", None) != community_id:
            return None  # a channel of another server is as good as missing here
        if isinstance(channel, discord.Thread):
            return ChannelKind.THREAD
        if isinstance(channel, discord.ForumChannel):
            return ChannelKind.FORUM
        if isinstance(channel, discord.TextChannel):
            return ChannelKind.TEXT
        return ChannelKind.OTHER

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id_of(self._bot, channel_id))
        try:
            message = await channel.send(
                starter_content(starter), view=answer_view(starter.prompt.id), allowed_mentions=NO_PINGS
            )
        except discord.Forbidden:
            raise self._cannot_create(channel_id) from None
        except discord.NotFound:
            raise UserFacingError(f"The channel <#{channel_id}> no longer exists. Nothing more was created.") from None
        try:
            thread = await message.create_thread(name=name, auto_archive_duration=AUTO_ARCHIVE_MINUTES)
        except discord.HTTPException as error:
            # Without its thread the starter message would be a stray copy of the prompt.
            try:
                await message.delete()
            except discord.HTTPException:
                log.warning("could not delete the starter message %s after a failed thread", message.id)
            if isinstance(error, discord.Forbidden):
                raise self._cannot_create(channel_id) from None
            raise
        return CreatedThread(thread.id, channel_id, message.id)

    async def create_forum_post(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        forum = await self._channel(channel_id)
        if not isinstance(forum, discord.ForumChannel):
            raise UserFacingError(f"<#{channel_id}> is no longer a forum channel. Nothing more was created.")
        try:
            created = await forum.create_thread(
                name=name,
                content=starter_content(starter),
                view=answer_view(starter.prompt.id),
                allowed_mentions=NO_PINGS,
                auto_archive_duration=AUTO_ARCHIVE_MINUTES,
            )
        except discord.Forbidden:
            raise self._cannot_create(channel_id) from None
        except discord.HTTPException as error:
            if error.code == TAG_REQUIRED:
                raise BotLacksPermissionError(
                    f"The forum <#{channel_id}> requires a tag on every post. Turn off “Require people to select "
                    "tags when posting” in the forum's settings."
                ) from None
            raise
        return CreatedThread(created.thread.id, created.thread.id, created.message.id)

    def _cannot_create(self, channel_id: int) -> BotLacksPermissionError:
        return BotLacksPermissionError(
            f"The bot is not allowed to open threads in <#{channel_id}>: it needs View Channel, Send Messages, "
            "Create Public Threads and Send Messages in Threads there."
        )

    async def _thread(self, thread_id: int) -> discord.Thread:
        cached = self._bot.get_channel(thread_id)
        if isinstance(cached, discord.Thread):
            return cached
        try:
            channel = await self._bot.fetch_channel(thread_id)  # archived threads are not in the cache
        except discord.NotFound:
            raise ThreadGoneError(thread_id) from None
        except discord.Forbidden:
            raise BotLacksPermissionError(f"The bot can no longer see the thread <#{thread_id}>.") from None
        if not isinstance(channel, discord.Thread):
            raise ThreadGoneError(thread_id)
        return channel

    async def thread_state(self, thread_id: int) -> DiscordThreadState:
        thread = await self._thread(thread_id)
        return DiscordThreadState(archived=thread.archived, locked=thread.locked)

    async def unarchive(self, thread_id: int, *, unlock: bool) -> None:
        thread = await self._thread(thread_id)
        try:
            if unlock:
                await thread.edit(archived=False, locked=False)
            else:
                await thread.edit(archived=False)
        except discord.NotFound:
            raise ThreadGoneError(thread_id) from None
        except discord.Forbidden:
            raise BotLacksPermissionError(
                f"The bot needs the Manage Threads permission to reopen the locked thread <#{thread_id}>."
            ) from None

    async def edit_starter(self, channel_id: int, message_id: int, starter: Starter) -> None:
        channel = self._bot.get_partial_messageable(channel_id, guild_id=guild_id_of(self._bot, channel_id))
        message = channel.get_partial_message(message_id)
        try:
            await message.edit(
                content=starter_content(starter), view=answer_view(starter.prompt.id), allowed_mentions=NO_PINGS
            )
        except discord.NotFound:
            raise ThreadGoneError(message_id) from None
        except discord.Forbidden:
            raise BotLacksPermissionError(f"The bot cannot edit its starter message in <#{channel_id}>.") from None

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        channel = self._bot.get_partial_messageable(thread_id, guild_id=guild_id_of(self._bot, thread_id))
        try:
            await channel.send(summary_content(summary), allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            if error.code == THREAD_ARCHIVED:
                raise ThreadArchivedError(thread_id) from None
            if error.code == THREAD_LOCKED:
                raise ThreadLockedError(thread_id) from None
            if isinstance(error, discord.NotFound):
                raise ThreadGoneError(thread_id) from None
            if isinstance(error, discord.Forbidden):
                raise BotLacksPermissionError(
                    f"The bot cannot post in <#{thread_id}>: it needs Send Messages in Threads."
                ) from None
            raise

    async def lock_and_archive(self, thread_id: int) -> bool:
        thread = await self._thread(thread_id)
        try:
            await thread.edit(archived=True, locked=True)
            return True
        except discord.NotFound:
            raise ThreadGoneError(thread_id) from None
        except discord.Forbidden:
            pass  # locking needs Manage Threads; the bot may still archive the threads it made
        try:
            await thread.edit(archived=True)
        except discord.NotFound:
            raise ThreadGoneError(thread_id) from None
        except discord.Forbidden:
            raise BotLacksPermissionError(
                f"The bot cannot archive <#{thread_id}>: it needs the Manage Threads permission."
            ) from None
        return False

    async def thread_history(self, thread_id: int, *, limit: int) -> ThreadHistory:
        thread = await self._thread(thread_id)
        messages: list[ThreadMessage] = []
        read = 0
        try:
            async for message in thread.history(limit=limit, after=discord.Object(thread_id), oldest_first=True):
                read += 1
                if is_member_message(message):
                    messages.append(
                        ThreadMessage(
                            message.id, message.author.id, message.content, message.created_at, message.edited_at
                        )
                    )
        except discord.NotFound:
            raise ThreadGoneError(thread_id) from None
        except discord.Forbidden:
            raise BotLacksPermissionError(
                f"The bot cannot read the history of <#{thread_id}>: it needs Read Message History."
            ) from None
        return ThreadHistory(tuple(messages), complete=read < limit)

    async def missing_permissions(self, channel_id: int, needed: Permission) -> Permission | None:
        found = missing_in(self._bot, channel_id, needed)
        if found is not None:
            return found
        try:
            thread = await self._thread(channel_id)  # archived threads are not in the cache
        except (ThreadGoneError, BotLacksPermissionError):
            return None  # the caller's own request will say what is wrong
        return missing_in_channel(thread, needed)

    def reads_message_content(self, thread_id: int) -> bool:
        return self._bot.intents.message_content

    def catch_up_problem(
        self,
        trouble: CatchUpTrouble,
        *,
        parent_id: int,
        thread_id: int,
        missing: Permission | None = None,
        error: str | None = None,
    ) -> ProblemWording:
        return catch_up_problem(trouble, parent_id=parent_id, thread_id=thread_id, missing=missing, error=error)

    def threads_refused(
        self, action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool = False
    ) -> str:
        return threads_refused(action, channel_id=channel_id, missing=missing, week=week, forum=forum)

    def threads_refusal(
        self, refusal: ThreadsRefusal, *, community_id: int, week: int, channel_id: int | None = None
    ) -> str:
        return threads_refusal(refusal, week=week, channel_id=channel_id)

    async def message_deleted(self, thread_id: int, message_id: int) -> bool:
        channel = self._bot.get_partial_messageable(thread_id, guild_id=guild_id_of(self._bot, thread_id))
        try:
            await channel.fetch_message(message_id)
        except discord.NotFound as error:
            return error.code == UNKNOWN_MESSAGE  # not Unknown Channel: a deleted thread keeps its answers
        except discord.HTTPException:
            return False  # Forbidden, or Discord unavailable: no evidence either way
        return False


# --- What the catch-up reports to organisers, in Discord's words: channel mentions and its permissions menu ----


def catch_up_problem(
    trouble: CatchUpTrouble,
    *,
    parent_id: int,
    thread_id: int,
    missing: Permission | None = None,
    error: str | None = None,
) -> ProblemWording:
    if trouble is CatchUpTrouble.MISSING_PERMISSIONS:
        lacks = missing.label if missing else "View Channel and Read Message History"
        return ProblemWording(
            f"The bot cannot read the history of the prompt threads in <#{parent_id}>: it lacks {lacks} "
            "there, so replies written, edited or deleted while it was offline were not caught up. No answer "
            "was removed.",
            f"Give the bot {lacks} in <#{parent_id}> (Edit Channel > Permissions): it catches up as soon as it "
            "may read them.",
        )
    if trouble is CatchUpTrouble.UNREADABLE:
        return ProblemWording(
            f"{error} No answer was removed.",
            f"Check the bot's permissions in <#{parent_id}>: it catches up as soon as it may read them.",
        )
    return ProblemWording(
        f"Discord's history of <#{thread_id}> left out replies that still exist, so the bot "
        "could not tell which replies were deleted while it was offline. No answer was removed.",
        f"Check the bot's permissions in <#{parent_id}>; restarting the bot tries again.",
    )


# --- Why /threads open or close did nothing, in Discord's words: its permission names and menu, its commands ----


def threads_refused(action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool) -> str:
    lacks = missing.label
    if action is ThreadsAction.OPEN:
        what = "posts" if forum else "threads"
        return (
            f"The bot cannot open {what} in <#{channel_id}>: it lacks {lacks} there. Nothing was "
            f"created. Give the bot {lacks} in <#{channel_id}> (Edit Channel > Permissions), then run "
            f"/threads open week:{week} again."
        )
    return (
        f"The bot cannot close the threads in <#{channel_id}>: it lacks {lacks} there, so it cannot "
        f"post their summaries. Nothing was closed. Give the bot {lacks} in <#{channel_id}> (Edit "
        f"Channel > Permissions), then run /threads close week:{week} again."
    )


# --- Why /threads did nothing for the channel or the week, in Discord's words: text and forum channels ---------

_SET_ANOTHER = "Nothing was created. An organiser can choose another channel with /setup."
_RUN_ELSEWHERE = (
    "Run /threads open in a text channel, or ask an organiser to set a discussion channel (text or forum) with /setup."
)


def threads_refusal(refusal: ThreadsRefusal, *, week: int, channel_id: int | None) -> str:
    if refusal is ThreadsRefusal.NOTHING_TO_CLOSE:
        return f"Week {week} has no threads to close. Open them with /threads open week:{week}."
    if refusal is ThreadsRefusal.IN_A_THREAD:
        return f"Threads cannot be opened inside a thread. {_RUN_ELSEWHERE}"
    if refusal is ThreadsRefusal.NOT_HERE:
        return f"Threads cannot be opened in this channel. {_RUN_ELSEWHERE}"
    setting = f"The discussion channel set with /setup (<#{channel_id}>)"
    if refusal is ThreadsRefusal.DISCUSSION_GONE:
        return f"{setting} no longer exists, or the bot cannot see it. {_SET_ANOTHER}"
    return f"{setting} is not a text or forum channel. {_SET_ANOTHER}"
