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
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.thread_text import counts_text
from bot.services.threads import Closed, CloseReport, OpenReport, StatusLine
from bot.tree import send_private
from cogs._base import WeekOption, WorkshopCog, guild_id_of
from cogs._checks import facilitators_only
from cogs._discord.threads import is_member_message
from cogs._render import session_heading
from cogs.programme import require_week, week_autocomplete

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)

# --- What members and facilitators read ---------------------------------------------------------------


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


# --- The cog ---------------------------------------------------------------------------------------------


class ThreadsCog(WorkshopCog):
    threads = app_commands.Group(
        name="threads",
        description="Question threads: one per prompt of a week",
        guild_only=True,
        default_permissions=discord.Permissions(manage_threads=True),
    )

    # One catch-up at a time per shard (None: every shard), and one more after it when asked again meanwhile.
    _catch_up_tasks: dict[int | None, asyncio.Task[None]]
    _catch_up_again: set[int | None]

    async def cog_load(self) -> None:
        self._catch_up_tasks = {}
        self._catch_up_again = set()

    async def cog_unload(self) -> None:
        for task in self._catch_up_tasks.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
        report = await self.bot.services.threads.close_week(session)
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
    async def on_shard_ready(self, shard_id: int) -> None:
        # Messages posted, edited or deleted while the shard was away sent it no events: read its servers'
        # threads back. A shard is ready again after every reconnect that could not resume (a session Discord
        # invalidated: events/gateway.mdx, "Resuming"), when events may have been missed; with several shards
        # discord.py fires on_ready only the first time, so the catch-up hangs off each shard's own ready.
        self._start_catch_up(shard_id)

    def _start_catch_up(self, shard_id: int | None = None) -> None:
        if not self.bot.message_content_enabled:
            return
        running = self._catch_up_tasks.get(shard_id)
        if running is not None and not running.done():
            self._catch_up_again.add(shard_id)  # what it read may predate this reconnect: once more after it
            return
        name = "threads-catch-up" if shard_id is None else f"threads-catch-up-shard-{shard_id}"
        self._catch_up_tasks[shard_id] = asyncio.create_task(self._catch_up(shard_id), name=name)

    # A catch-up the bot's permissions stopped is tried again as soon as they may have changed: Discord sends
    # no thread event when access comes back, only the change that caused it (developers/topics/threads.mdx).
    def _retry_stopped_catch_up(self) -> None:
        served = self.bot.services.communities.served()
        if any(self.bot.services.threads.catch_up_stopped(community_id) for community_id in served):
            self._start_catch_up()

    @commands.Cog.listener()
    async def on_guild_channel_update(self, before: Any, after: Any) -> None:
        self._retry_stopped_catch_up()

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        self._retry_stopped_catch_up()

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if self.bot.user is not None and after.id == self.bot.user.id:
            self._retry_stopped_catch_up()

    async def _catch_up(self, shard_id: int | None) -> None:
        while True:
            self._catch_up_again.discard(shard_id)
            for community_id in sorted(self.bot.services.communities.served()):
                if not self.bot.on_shard(community_id, shard_id):
                    continue
                try:
                    await self.bot.services.threads.catch_up(community_id)
                except Exception:
                    log.exception(
                        "catching up with the prompt threads of community %s failed; live replies are still collected",
                        community_id,
                    )
            if shard_id not in self._catch_up_again:
                return

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
