"""Question threads: /threads open|close|status week:, and the listeners that collect replies as answers.

Facilitators open one public thread per prompt of a week (one post per prompt in a forum). Each starter
message shows the whole prompt, the session's title and time, and an Answer button, and tells members in
plain words that replies are recorded as answers, what is stored and how /mydata shows or deletes it. A
member's message in an open prompt thread is then recorded; an edit updates it, a deletion removes it.

Reading other members' messages needs Discord's privileged Message Content intent. Without it nothing is
collected: the starter messages say so, /threads open warns the facilitator, and the Answer buttons and
/answer work as ever. Everything the facilitator sees is private; only the threads and their messages are
public, and nothing the bot posts can ping anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Final, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.discord_text import MESSAGE_LIMIT, timestamp
from bot.domain.errors import UserFacingError
from bot.domain.threads import ThreadCounts
from bot.services.threads import (
    BotLacksPermissionError,
    ChannelKind,
    Closed,
    CloseReport,
    CreatedThread,
    DiscordThreadState,
    OpenReport,
    Starter,
    StatusLine,
    Summary,
    ThreadArchivedError,
    ThreadGoneError,
    ThreadHistory,
    ThreadLockedError,
    ThreadMessage,
)
from bot.tree import send_private
from cogs._base import WeekOption, WorkshopCog, guild_id_of
from cogs._checks import facilitators_only
from cogs._render import session_heading
from cogs._views import answer_view
from cogs.programme import require_week, week_autocomplete

if TYPE_CHECKING:
    from bot.client import WorkshopBot

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


# --- What members and facilitators read ---------------------------------------------------------------


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def counts_text(counts: ThreadCounts) -> str:
    return f"{plural(counts.contributions, 'reply', 'replies')} from {plural(counts.contributors, 'member', 'members')}"


def quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


COLLECTING_NOTICE = (
    "**Reply in this thread to answer.** Each reply is kept as an answer to this question, with your Discord user "
    "id and when you wrote it (never your name, nickname or avatar); editing or deleting your message changes or "
    "removes it. Replies are public in this thread; the organisers' exports show a pseudonym instead of who you "
    "are unless they deliberately ask for names. `/mydata show` lists what we hold about you and `/mydata delete` "
    "erases all of it. Replying here means you agree to this. To answer privately instead, press **Answer**."
)
NOT_COLLECTING_NOTICE = (
    "Discuss this question here. Replies in this thread are **not** kept as answers: to give your answer, press "
    "**Answer** or use `/answer` (only the organisers see it)."
)


def starter_content(starter: Starter) -> str:
    """The starter message: the session, the whole prompt, and what happens to replies."""
    session, prompt = starter.session, starter.prompt
    return "\n".join(
        [
            f"**{session_heading(session)}** · question {prompt.number} of {len(session.prompts)}",
            f"Session: {timestamp(session.start)}",
            "",
            quote(prompt.text),
            "",
            COLLECTING_NOTICE if starter.collect_replies else NOT_COLLECTING_NOTICE,
        ]
    )


def summary_content(summary: Summary) -> str:
    counts = summary.counts
    if not summary.collect_replies:
        body = "Replies in this thread were not recorded as answers."
    elif counts.contributions == 0:
        body = "No replies were recorded as answers in this thread."
    else:
        verb = "was" if counts.contributions == 1 else "were"
        body = f"{counts_text(counts)} {verb} recorded as answers."
    if summary.collect_replies:
        body += " Replies posted from now on are not kept."
    return f"🔒 **This question is now closed.** {body} Thank you for taking part!"


def intent_notice(bot: WorkshopBot) -> str | None:
    """Why replies are not collected, and how to change it; None when they are."""
    if bot.message_content_enabled:
        return None
    if bot.message_content_refused:
        reason = (
            "Discord refused the Message Content intent when the bot logged in. To collect replies, switch on "
            "Message Content Intent in the developer portal (Bot > Privileged Gateway Intents) and restart the bot."
        )
    else:
        reason = (
            "To collect replies, set MESSAGE_CONTENT_INTENT=true, switch on Message Content Intent in the developer "
            "portal (Bot > Privileged Gateway Intents) and restart the bot."
        )
    return (
        "⚠️ The bot cannot read messages (the Message Content intent is off), so replies in these threads are "
        f"**not** recorded as answers. Members can still answer with the Answer buttons or /answer. {reason}"
    )


def thread_ref(thread_id: int | None) -> str:
    return f"<#{thread_id}>" if thread_id is not None else "—"


def open_reply(report: OpenReport, notice: str | None) -> list[str]:
    session = report.session
    where = f" in <#{report.channel_id}>" if report.channel_id is not None else ""
    lines = [f"**{session_heading(session)}**: one thread per question{where}."]
    for outcome in report.outcomes:
        line = f"**Q{outcome.prompt.number}** {thread_ref(outcome.thread_id)} · {outcome.result.value}"
        if outcome.starter_updated:
            line += " · starter message updated"
        lines.append(line)
    for problem in report.problems:
        lines.append(f"⚠️ {problem} Run /threads open week:{session.week} again once that is fixed.")
    if notice:
        lines.append(notice)
    return lines


def close_reply(report: CloseReport) -> list[str]:
    lines = [f"**{session_heading(report.session)}**: closing the question threads."]
    for outcome in report.outcomes:
        line = f"**Q{outcome.prompt.number}** {thread_ref(outcome.thread_id)} · {outcome.result.value}"
        if outcome.result is not Closed.NO_THREAD:
            line += f" · {counts_text(outcome.counts)}"
        if outcome.problem:
            line += f" · {outcome.problem}"
        lines.append(line)
    if any(o.result is Closed.ARCHIVED for o in report.outcomes):
        lines.append(
            "The bot lacks the Manage Threads permission, so it archived the threads without locking them: a "
            "member can reopen one by replying, but replies are no longer recorded. Give the bot Manage Threads "
            "to have threads locked."
        )
    if any(o.result is Closed.GONE for o in report.outcomes):
        lines.append("A thread deleted by hand is forgotten; the replies recorded from it are kept as answers.")
    return lines


def status_reply(session_heading_text: str, week: int, lines_in: list[StatusLine], notice: str | None) -> list[str]:
    if all(line.thread is None for line in lines_in):
        return [f"**{session_heading_text}** has no question threads yet. Open them with /threads open week:{week}."]
    lines = [f"**{session_heading_text}**: question threads."]
    for line in lines_in:
        if line.thread is None:
            lines.append(f"**Q{line.prompt.number}** no thread")
            continue
        lines.append(
            f"**Q{line.prompt.number}** {thread_ref(line.thread.thread_id)} · {line.thread.state} · "
            f"{counts_text(line.counts)}"
        )
    if notice:
        lines.append(notice)
    return lines


def chunk_lines(lines: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Lines grouped into messages within Discord's length limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


async def reply_privately(interaction: discord.Interaction[Any], lines: list[str]) -> None:
    for chunk in chunk_lines(lines):
        await send_private(interaction, chunk)


# --- The gateway the service uses ---------------------------------------------------------------------------


class DiscordThreadGateway:
    """ThreadGateway over discord.py: Discord's errors become the service's exceptions."""

    def __init__(self, bot: WorkshopBot, guild_id: int) -> None:
        self._bot = bot
        self._guild_id = guild_id

    async def _channel(self, channel_id: int) -> Any:
        channel = self._bot.get_channel(channel_id)
        if channel is None:
            channel = await self._bot.fetch_channel(channel_id)
        return channel

    async def channel_kind(self, channel_id: int) -> ChannelKind | None:
        try:
            channel = await self._channel(channel_id)
        except (discord.NotFound, discord.Forbidden):
            return None
        if getattr(getattr(channel, "guild", None), "id", None) != self._guild_id:
            return None  # a channel of another server is as good as missing here
        if isinstance(channel, discord.Thread):
            return ChannelKind.THREAD
        if isinstance(channel, discord.ForumChannel):
            return ChannelKind.FORUM
        if isinstance(channel, discord.TextChannel):
            return ChannelKind.TEXT
        return ChannelKind.OTHER

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        channel = self._bot.get_partial_messageable(channel_id, guild_id=self._guild_id)
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
        guild = self._bot.get_guild(self._guild_id)
        cached = guild.get_thread(thread_id) if guild is not None else None
        if cached is not None:
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
        message = self._bot.get_partial_messageable(channel_id, guild_id=self._guild_id).get_partial_message(message_id)
        try:
            await message.edit(
                content=starter_content(starter), view=answer_view(starter.prompt.id), allowed_mentions=NO_PINGS
            )
        except discord.NotFound:
            raise ThreadGoneError(message_id) from None
        except discord.Forbidden:
            raise BotLacksPermissionError(f"The bot cannot edit its starter message in <#{channel_id}>.") from None

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        channel = self._bot.get_partial_messageable(thread_id, guild_id=self._guild_id)
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


# --- The cog ---------------------------------------------------------------------------------------------


def is_member_message(message: discord.Message) -> bool:
    return (
        message.guild is not None
        and not message.author.bot
        and not message.author.system
        and message.webhook_id is None
        and message.type in MEMBER_MESSAGE_TYPES
    )


class ThreadsCog(WorkshopCog):
    threads = app_commands.Group(
        name="threads",
        description="Question threads: one per prompt of a week",
        guild_only=True,
        default_permissions=discord.Permissions(manage_threads=True),
    )

    _catch_up_task: asyncio.Task[None] | None = None

    def _gateway(self, guild_id: int) -> DiscordThreadGateway:
        return DiscordThreadGateway(self.bot, guild_id)

    async def cog_unload(self) -> None:
        if self._catch_up_task is not None:
            self._catch_up_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catch_up_task

    @threads.command(name="open", description="Open a thread for each prompt of a week (again: reopen them)")
    @app_commands.describe(week="The week number (start typing to search by title)")
    @app_commands.autocomplete(week=week_autocomplete)
    @facilitators_only("open threads")
    async def open(self, interaction: discord.Interaction[Any], week: WeekOption) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # several calls to Discord follow
        session = require_week(await self.bot.services.programme.require(guild_id), week)
        report = await self.bot.services.threads.open_week(
            session,
            here_channel_id=interaction.channel_id,
            gateway=self._gateway(guild_id),
            collect_replies=self.bot.message_content_enabled,
        )
        await reply_privately(interaction, open_reply(report, intent_notice(self.bot)))

    @threads.command(name="close", description="Post a summary in each thread of a week, then lock and archive it")
    @app_commands.describe(week="The week number (start typing to search by title)")
    @app_commands.autocomplete(week=week_autocomplete)
    @facilitators_only("close threads")
    async def close(self, interaction: discord.Interaction[Any], week: WeekOption) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = require_week(await self.bot.services.programme.require(guild_id), week)
        report = await self.bot.services.threads.close_week(session, gateway=self._gateway(guild_id))
        await reply_privately(interaction, close_reply(report))

    @threads.command(name="status", description="A week's question threads and how many replies they collected")
    @app_commands.describe(week="The week number (start typing to search by title)")
    @app_commands.autocomplete(week=week_autocomplete)
    @facilitators_only("see the question threads")
    async def status(self, interaction: discord.Interaction[Any], week: WeekOption) -> None:
        guild_id = guild_id_of(interaction)
        session = require_week(await self.bot.services.programme.require(guild_id), week)
        lines = await self.bot.services.threads.status(session)
        notice = intent_notice(self.bot)
        await reply_privately(interaction, status_reply(session_heading(session), session.week, lines, notice))

    # --- collecting replies (raw events, so messages not in the cache count too) -------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Messages posted, edited or deleted while the bot was away sent it no events: read the threads back.
        # on_ready comes again after a reconnect that could not resume, when events may have been missed too.
        if not self.bot.message_content_enabled:
            return
        if self._catch_up_task is not None and not self._catch_up_task.done():
            return
        self._catch_up_task = asyncio.create_task(self._catch_up(), name="threads-catch-up")

    async def _catch_up(self) -> None:
        try:
            await self.bot.services.threads.catch_up(self.bot.guild_id, gateway=self._gateway(self.bot.guild_id))
        except Exception:
            log.exception("catching up with the prompt threads failed; live replies are still collected")

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self.bot.message_content_enabled or not is_member_message(message):
            return
        try:
            await self.bot.services.threads.record_reply(
                thread_id=message.channel.id,
                message_id=message.id,
                author_id=message.author.id,
                raw_text=message.content,
                at=message.created_at,
            )
        except Exception:
            log.exception("could not record message %s in channel %s", message.id, message.channel.id)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        # Without the intent an edit arrives with blank content: it must not wipe the recorded answer.
        if not self.bot.message_content_enabled or "content" not in payload.data:
            return
        if not is_member_message(payload.message):
            return
        try:
            await self.bot.services.threads.revise_reply(
                thread_id=payload.channel_id,
                message_id=payload.message_id,
                author_id=payload.message.author.id,
                raw_text=payload.data["content"],
                at=payload.message.edited_at or self.bot.clock(),
            )
        except Exception:
            log.exception("could not apply the edit of message %s", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        # Deletions are honoured even without the intent: a member removing a message removes the answer.
        if payload.guild_id is None:
            return
        try:
            await self.bot.services.threads.remove_replies([payload.message_id])
        except Exception:
            log.exception("could not remove the answer of deleted message %s", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is None:
            return
        try:
            await self.bot.services.threads.remove_replies(payload.message_ids)
        except Exception:
            log.exception("could not remove the answers of %d deleted messages", len(payload.message_ids))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        try:
            await self.bot.services.threads.forget_thread(payload.thread_id)
        except Exception:
            log.exception("could not forget deleted thread %s", payload.thread_id)


async def setup(bot: Any) -> None:
    await bot.add_cog(ThreadsCog(bot))
