"""Question threads: one per prompt of a week, opened and closed by facilitators; replies in them are answers.

Discord is reached only through ``ThreadGateway`` (implemented in cogs/_discord, handed over at construction).
Opening is idempotent: a prompt that already has a thread keeps it (reopened if archived or closed, made
anew if deleted by hand). A reply is recorded only in an open thread whose starter message told members
that replies are collected, and never if it was posted before its author erased their data or before
retention deleted the server's answers (the message is still on Discord: the catch-up after each restart,
or an edit, must not bring it back).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from bot.domain.answers import clean_answer_text, is_late, shorten
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import AnswerRejectedError, NotFoundError, SettingsError, UserFacingError
from bot.domain.permissions import Permission, Place, needs_for
from bot.domain.programme import Prompt, SessionRecord
from bot.domain.threads import ThreadCounts
from bot.services.health import RuntimeProblems
from bot.services.server_settings import ServerSettingsService
from bot.storage.database import Database
from bot.storage.threads import (
    ContributionRepository,
    EditOutcome,
    PromptThread,
    ReplyTarget,
    ThreadRepository,
)

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100  # Discord's limit on a thread's name
CATCH_UP_LIMIT = 5000  # messages read back per thread at start; a longer thread is caught up only partly
# Reading a thread's history: without Read Message History, Discord answers 200 with no messages at all
# (developers/resources/message.mdx, "Get Channel Messages"), which must never read as "every reply deleted".
READ_HISTORY = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
CLOSING = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES_IN_THREADS  # the summary; locking is optional
DISCORD_EPOCH_MS = 1_420_070_400_000  # the first millisecond of 2015, UTC: where snowflake time starts


def posted_at(message_id: int) -> datetime:
    """When a Discord message was posted, from its id (a snowflake's top 42 bits are milliseconds)."""
    return datetime.fromtimestamp(((message_id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def thread_name(week: int, number: int, prompt_text: str) -> str:
    """The thread's name, "W3 · Q2 · <start of the prompt>": at most 100 characters."""
    prefix = f"W{week} · Q{number} · "
    return prefix + shorten(prompt_text, THREAD_NAME_LIMIT - len(prefix))


# --- What the service needs from Discord --------------------------------------------------------------


class ChannelKind(Enum):
    TEXT = "text"
    FORUM = "forum"
    THREAD = "thread"
    OTHER = "other"  # voice, category, announcement...


@dataclass(frozen=True, slots=True)
class Starter:
    """What a thread's starter message shows: the whole prompt, its session, and the Answer button."""

    session: SessionRecord
    prompt: Prompt
    collect_replies: bool  # whether it tells members that replies are recorded as answers


@dataclass(frozen=True, slots=True)
class CreatedThread:
    thread_id: int
    starter_channel_id: int
    starter_message_id: int


@dataclass(frozen=True, slots=True)
class DiscordThreadState:
    archived: bool
    locked: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """Posted in a thread when it closes: counts only, never names."""

    counts: ThreadCounts
    collect_replies: bool


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A member's message read back from a thread's history."""

    id: int
    author_id: int
    text: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class ThreadHistory:
    messages: tuple[ThreadMessage, ...]  # members' messages after the starter, oldest first
    complete: bool  # False when the thread had more messages than were read


class ThreadGoneError(Exception):
    """The thread (or channel) no longer exists: deleted by hand."""


class ThreadArchivedError(Exception):
    """Discord refused a post because the thread is archived (50083)."""


class ThreadLockedError(Exception):
    """Discord refused a post because the thread is locked (160005)."""


class BotLacksPermissionError(UserFacingError):
    """Discord refused an action for lack of a permission; the message says which."""


class ThreadGateway(Protocol):
    async def channel_kind(self, channel_id: int) -> ChannelKind | None:
        """What kind of channel this is, or None if it does not exist (or the bot cannot see it)."""
        ...

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        """Post the starter message in a text channel and open a public thread from it."""
        ...

    async def create_forum_post(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        """Open a forum post whose first message is the starter message."""
        ...

    async def thread_state(self, thread_id: int) -> DiscordThreadState:
        """Raises ThreadGoneError."""
        ...

    async def unarchive(self, thread_id: int, *, unlock: bool) -> None:
        """Raises ThreadGoneError, BotLacksPermissionError."""
        ...

    async def edit_starter(self, channel_id: int, message_id: int, starter: Starter) -> None:
        """Raises ThreadGoneError when the message is gone."""
        ...

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        """Raises ThreadArchivedError, ThreadLockedError, ThreadGoneError, BotLacksPermissionError."""
        ...

    async def lock_and_archive(self, thread_id: int) -> bool:
        """Lock and archive; if locking is not allowed, only archive and return False."""
        ...

    async def thread_history(self, thread_id: int, *, limit: int) -> ThreadHistory:
        """Members' messages in the thread, reading at most ``limit`` messages. Raises ThreadGoneError."""
        ...

    async def missing_permissions(self, channel_id: int, needed: Permission) -> Permission | None:
        """Which of ``needed`` the bot lacks in a channel or thread (threads: their parent's), from what
        Discord last told the bot; None when it cannot tell (the channel is not known to it)."""
        ...

    def reads_message_content(self) -> bool:
        """Whether members' messages arrive with their text (the Message Content intent)."""
        ...

    async def message_deleted(self, thread_id: int, message_id: int) -> bool:
        """True only when Discord says the message no longer exists (Unknown Message)."""
        ...


# --- Reports -------------------------------------------------------------------------------------------


class Opened(Enum):
    CREATED = "created"
    ALREADY_OPEN = "already open"
    REOPENED = "reopened"
    RECREATED = "made anew (the old thread was deleted)"
    FAILED = "not created"
    NOT_REOPENED = "could not be reopened"


class Closed(Enum):
    CLOSED = "closed and locked"
    ARCHIVED = "closed (archived, not locked)"
    ALREADY_CLOSED = "already closed"
    GONE = "deleted by hand"
    NO_THREAD = "no thread"
    FAILED = "not closed"


@dataclass(frozen=True, slots=True)
class OpenOutcome:
    prompt: Prompt
    result: Opened
    thread_id: int | None
    starter_updated: bool = False  # the starter message now tells what currently happens to replies


@dataclass(frozen=True, slots=True)
class OpenReport:
    session: SessionRecord
    outcomes: tuple[OpenOutcome, ...]
    channel_id: int | None  # where new threads went (None: nothing had to be created)
    collect_replies: bool
    problems: tuple[str, ...] = ()  # why some threads were not created or reopened


@dataclass(frozen=True, slots=True)
class CloseOutcome:
    prompt: Prompt
    result: Closed
    thread_id: int | None
    counts: ThreadCounts = dataclasses.field(default_factory=ThreadCounts)
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CloseReport:
    session: SessionRecord
    outcomes: tuple[CloseOutcome, ...]


@dataclass(frozen=True, slots=True)
class CatchUpReport:
    threads: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unreadable: int = 0  # threads not caught up: the bot may not read them (nothing was removed)
    kept: int = 0  # replies not seen in a history but still on Discord: kept, and the history distrusted

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __add__(self, other: CatchUpReport) -> CatchUpReport:
        return CatchUpReport(
            self.threads + other.threads,
            self.added + other.added,
            self.updated + other.updated,
            self.removed + other.removed,
            self.unreadable + other.unreadable,
            self.kept + other.kept,
        )


@dataclass(frozen=True, slots=True)
class StatusLine:
    prompt: Prompt
    thread: PromptThread | None
    counts: ThreadCounts


# --- The service ---------------------------------------------------------------------------------------


class ThreadService:
    def __init__(
        self,
        db: Database,
        settings: ServerSettingsService,
        *,
        gateway: ThreadGateway,
        problems: RuntimeProblems | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.threads = ThreadRepository(db)
        self.contributions = ContributionRepository(db)
        self._settings = settings
        self._gateway = gateway
        self._problems = problems if problems is not None else RuntimeProblems(clock)
        self._clock = clock
        # Two facilitators opening the same week at once must not make every thread twice.
        self._week_locks: dict[tuple[int, int], asyncio.Lock] = {}

    def _lock(self, session: SessionRecord) -> asyncio.Lock:
        return self._week_locks.setdefault((session.guild_id, session.week), asyncio.Lock())

    # --- read by other features (reminders link to open threads; stats count them) -----------------------

    async def threads_for_week(self, guild_id: int, week: int) -> list[PromptThread]:
        return await self.threads.for_week(guild_id, week)

    # --- /threads open ------------------------------------------------------------------------------------

    async def open_week(
        self, session: SessionRecord, *, here_channel_id: int | None, collect_replies: bool
    ) -> OpenReport:
        """Make sure every prompt of the week has an open thread; create only what is missing."""
        if not session.prompts:
            raise NotFoundError(f"Week {session.week} has no prompts, so there are no threads to open.")
        async with self._lock(session):
            existing = await self.threads.for_prompts([p.id for p in session.prompts])
            target: tuple[int, ChannelKind] | None = None
            if any(p.id not in existing for p in session.prompts):
                # Checked before anything is created: a refusal half-way would leave half a week of threads.
                target = await self._usable_target(session, here_channel_id)
            outcomes: list[OpenOutcome] = []
            problems: list[str] = []
            creating_refused = False
            for prompt in session.prompts:
                thread = existing.get(prompt.id)
                result = Opened.CREATED
                if thread is not None:
                    try:
                        outcomes.append(await self._reopen(session, prompt, thread, collect_replies))
                        continue
                    except ThreadGoneError:
                        await self.threads.forget(thread.thread_id)
                        log.info(
                            "thread %s of prompt %s was deleted by hand; making it anew", thread.thread_id, prompt.id
                        )
                        result = Opened.RECREATED
                    except BotLacksPermissionError as error:
                        problems.append(str(error))
                        outcomes.append(OpenOutcome(prompt, Opened.NOT_REOPENED, thread.thread_id))
                        continue
                if creating_refused:  # the same refusal again for every prompt helps nobody
                    outcomes.append(OpenOutcome(prompt, Opened.FAILED, None))
                    continue
                try:
                    if target is None:
                        target = await self._usable_target(session, here_channel_id)
                    created = await self._create(session, prompt, target, collect_replies)
                    outcomes.append(OpenOutcome(prompt, result, created.thread_id))
                except BotLacksPermissionError as error:
                    creating_refused = True
                    problems.append(str(error))
                    outcomes.append(OpenOutcome(prompt, Opened.FAILED, None))
        made = sum(o.result in (Opened.CREATED, Opened.RECREATED) for o in outcomes)
        log.info("threads opened for week %s of guild %s: %d new", session.week, session.guild_id, made)
        return OpenReport(
            session=session,
            outcomes=tuple(outcomes),
            channel_id=target[0] if target else None,
            collect_replies=collect_replies,
            problems=tuple(dict.fromkeys(problems)),
        )

    async def _usable_target(self, session: SessionRecord, here_channel_id: int | None) -> tuple[int, ChannelKind]:
        """Where new threads go, once the bot is known to have every permission threads need there."""
        channel_id, kind = await self._target_channel(session.guild_id, here_channel_id)
        place = Place.DISCUSSION_FORUM if kind is ChannelKind.FORUM else Place.DISCUSSION_TEXT
        needed = Permission(0)
        for need in needs_for(place, required_only=True):
            needed |= need.permissions
        missing = await self._gateway.missing_permissions(channel_id, needed)
        if missing:
            what = "posts" if kind is ChannelKind.FORUM else "threads"
            raise BotLacksPermissionError(
                f"The bot cannot open {what} in <#{channel_id}>: it lacks {missing.label} there. Nothing was "
                f"created. Give the bot {missing.label} in <#{channel_id}> (Edit Channel > Permissions), then run "
                f"/threads open week:{session.week} again."
            )
        return channel_id, kind

    async def _target_channel(self, guild_id: int, here_channel_id: int | None) -> tuple[int, ChannelKind]:
        """The server's discussion channel if one is set, else the channel the command was run in."""
        settings = await self._settings.get(guild_id)
        usable = (ChannelKind.TEXT, ChannelKind.FORUM)
        if settings.discussion_channel_id is not None:
            channel_id = settings.discussion_channel_id
            kind = await self._gateway.channel_kind(channel_id)
            if kind is None:
                raise SettingsError(
                    f"The discussion channel set with /setup (<#{channel_id}>) no longer exists, or the bot cannot "
                    "see it. Nothing was created. An organiser can choose another channel with /setup."
                )
            if kind not in usable:
                raise SettingsError(
                    f"The discussion channel set with /setup (<#{channel_id}>) is not a text or forum channel. "
                    "Nothing was created. An organiser can choose another channel with /setup."
                )
            return channel_id, kind
        kind = await self._gateway.channel_kind(here_channel_id) if here_channel_id is not None else None
        if kind is ChannelKind.THREAD:
            raise UserFacingError(
                "Threads cannot be opened inside a thread. Run /threads open in a text channel, or ask an "
                "organiser to set a discussion channel (text or forum) with /setup."
            )
        if kind not in usable or here_channel_id is None:
            raise UserFacingError(
                "Threads cannot be opened in this channel. Run /threads open in a text channel, or ask an "
                "organiser to set a discussion channel (text or forum) with /setup."
            )
        return here_channel_id, kind

    async def _create(
        self,
        session: SessionRecord,
        prompt: Prompt,
        target: tuple[int, ChannelKind],
        collect_replies: bool,
    ) -> CreatedThread:
        channel_id, kind = target
        name = thread_name(session.week, prompt.number, prompt.text)
        starter = Starter(session, prompt, collect_replies)
        if kind is ChannelKind.FORUM:
            created = await self._gateway.create_forum_post(channel_id, name, starter)
        else:
            created = await self._gateway.create_thread(channel_id, name, starter)
        await self.threads.save(
            PromptThread(
                prompt_id=prompt.id,
                guild_id=session.guild_id,
                parent_channel_id=channel_id,
                thread_id=created.thread_id,
                starter_channel_id=created.starter_channel_id,
                starter_message_id=created.starter_message_id,
                state="open",
                collect_replies=collect_replies,
                opened_at=self._clock(),
                closed_at=None,
            )
        )
        return created

    async def _reopen(
        self,
        session: SessionRecord,
        prompt: Prompt,
        thread: PromptThread,
        collect_replies: bool,
    ) -> OpenOutcome:
        state = await self._gateway.thread_state(thread.thread_id)
        result = Opened.ALREADY_OPEN
        if state.archived or state.locked:
            await self._gateway.unarchive(thread.thread_id, unlock=state.locked)
            result = Opened.REOPENED
        if thread.state == "closed":
            await self.threads.reopen(prompt.id)
            result = Opened.REOPENED
        starter_updated = False
        if thread.collect_replies != collect_replies:
            starter_updated = await self._update_starter(session, prompt, thread, collect_replies)
        return OpenOutcome(prompt, result, thread.thread_id, starter_updated)

    async def _update_starter(
        self,
        session: SessionRecord,
        prompt: Prompt,
        thread: PromptThread,
        collect_replies: bool,
    ) -> bool:
        """Make the starter message tell what now happens to replies (the intent was switched on or off)."""
        updated = False
        if thread.starter_channel_id is not None and thread.starter_message_id is not None:
            try:
                await self._gateway.edit_starter(
                    thread.starter_channel_id, thread.starter_message_id, Starter(session, prompt, collect_replies)
                )
                updated = True
            except ThreadGoneError:
                log.info("the starter message of thread %s is gone; it cannot be updated", thread.thread_id)
        # Collect only where members have been told so; stopping needs no notice.
        if updated or not collect_replies:
            await self.threads.set_collect_replies(prompt.id, collect_replies)
        return updated

    # --- /threads close -----------------------------------------------------------------------------------

    async def close_week(self, session: SessionRecord) -> CloseReport:
        """Post a summary in each open thread of the week, then lock and archive it."""
        prompt_ids = [p.id for p in session.prompts]
        async with self._lock(session):
            threads = await self.threads.for_prompts(prompt_ids)
            if not threads:
                raise NotFoundError(
                    f"Week {session.week} has no threads to close. Open them with /threads open week:{session.week}."
                )
            await self._require_can_close(session, [t for t in threads.values() if t.state != "closed"])
            counts = await self.threads.counts(prompt_ids)
            outcomes: list[CloseOutcome] = []
            for prompt in session.prompts:
                thread = threads.get(prompt.id)
                tally = counts.get(prompt.id, ThreadCounts())
                if thread is None:
                    outcomes.append(CloseOutcome(prompt, Closed.NO_THREAD, None, tally))
                elif thread.state == "closed":
                    outcomes.append(CloseOutcome(prompt, Closed.ALREADY_CLOSED, thread.thread_id, tally))
                else:
                    outcomes.append(await self._close(prompt, thread, tally))
        log.info("threads closed for week %s of guild %s", session.week, session.guild_id)
        return CloseReport(session, tuple(outcomes))

    async def _require_can_close(self, session: SessionRecord, open_threads: list[PromptThread]) -> None:
        """Closing posts a summary in each thread: refused for one, refused for all, so none is touched."""
        for parent in sorted({t.parent_channel_id for t in open_threads}):
            missing = await self._gateway.missing_permissions(parent, CLOSING)
            if missing:
                raise BotLacksPermissionError(
                    f"The bot cannot close the threads in <#{parent}>: it lacks {missing.label} there, so it cannot "
                    f"post their summaries. Nothing was closed. Give the bot {missing.label} in <#{parent}> (Edit "
                    f"Channel > Permissions), then run /threads close week:{session.week} again."
                )

    async def _close(self, prompt: Prompt, thread: PromptThread, tally: ThreadCounts) -> CloseOutcome:
        try:
            await self._post_summary(thread.thread_id, Summary(tally, thread.collect_replies))
            locked = await self._gateway.lock_and_archive(thread.thread_id)
        except ThreadGoneError:
            await self.threads.forget(thread.thread_id)
            log.info("thread %s of prompt %s was deleted by hand", thread.thread_id, prompt.id)
            return CloseOutcome(prompt, Closed.GONE, thread.thread_id, tally)
        except BotLacksPermissionError as error:
            return CloseOutcome(prompt, Closed.FAILED, thread.thread_id, tally, problem=str(error))
        await self.threads.close(prompt.id, self._clock())
        return CloseOutcome(prompt, Closed.CLOSED if locked else Closed.ARCHIVED, thread.thread_id, tally)

    async def _post_summary(self, thread_id: int, summary: Summary) -> None:
        """Post, unarchiving first if Discord archived the thread on its own (50083) or it was locked."""
        try:
            await self._gateway.post_summary(thread_id, summary)
            return
        except ThreadArchivedError:
            await self._gateway.unarchive(thread_id, unlock=False)
        except ThreadLockedError:
            await self._gateway.unarchive(thread_id, unlock=True)
        await self._gateway.post_summary(thread_id, summary)

    # --- /threads status ----------------------------------------------------------------------------------

    async def status(self, session: SessionRecord) -> list[StatusLine]:
        prompt_ids = [p.id for p in session.prompts]
        threads = await self.threads.for_prompts(prompt_ids)
        counts = await self.threads.counts(prompt_ids)
        return [StatusLine(p, threads.get(p.id), counts.get(p.id, ThreadCounts())) for p in session.prompts]

    # --- collecting replies ----------------------------------------------------------------------------------

    async def record_reply(
        self, *, thread_id: int, message_id: int, author_id: int, raw_text: str, at: datetime
    ) -> bool:
        """Record a member's message, posted ``at``, in a prompt thread as an answer. False if not one to keep."""
        target = await self.threads.reply_target(thread_id)
        if target is None or not target.collecting:
            return False
        text = _cleaned(raw_text)
        if text is None:
            return False
        return await self._add(target, message_id=message_id, author_id=author_id, text=text, at=at)

    async def revise_reply(
        self, *, thread_id: int, message_id: int, author_id: int, raw_text: str, at: datetime
    ) -> None:
        """A member edited a message at ``at``: update its answer (history kept), drop it, or record it now."""
        target = await self.threads.reply_target(thread_id)
        if target is None:
            return  # not a prompt thread
        text = _cleaned(raw_text)
        if text is None:
            # Edited down to nothing (only an attachment left, say): it is no longer an answer.
            await self.remove_replies([message_id])
            return
        outcome = await self.contributions.edit(message_id, text, at, late=self._late(target, at))
        if outcome is EditOutcome.UPDATED:
            log.info("thread reply %s edited", message_id)
        elif outcome is EditOutcome.MISSING and target.collecting:
            # Recorded as written now, but whether its author had erased their data since depends on when
            # the message was first posted.
            await self._add(
                target, message_id=message_id, author_id=author_id, text=text, at=at, posted=posted_at(message_id)
            )

    async def remove_replies(self, message_ids: Iterable[int]) -> int:
        removed = await self.contributions.remove(message_ids)
        if removed:
            log.info("%d thread repl(ies) removed after their messages were deleted", removed)
        return removed

    async def forget_thread(self, thread_id: int) -> bool:
        """A prompt thread was deleted on Discord: forget it (its replies stay recorded as answers)."""
        forgotten = await self.threads.forget(thread_id)
        if forgotten:
            log.info("prompt thread %s was deleted on Discord", thread_id)
        return forgotten

    def catch_up_stopped(self, guild_id: int) -> bool:
        """Whether the last catch-up left threads unread (a permission or the intent was missing)."""
        return any(p.key.startswith(CATCH_UP_PROBLEM) for p in self._problems.current(guild_id))

    async def catch_up(self, guild_id: int) -> CatchUpReport:
        """Replay what happened in the prompt threads while the bot was not listening.

        Replies posted meanwhile are recorded (in open threads), edits applied and deleted messages' answers
        removed, so a member who deleted a message while the bot was down is not kept as having said it.
        An answer is removed only on evidence the bot can trust: never from a thread whose history it may
        not read (Discord then returns an empty history, not an error), never without the message text, and
        only for a message Discord confirms is gone. What it cannot read is logged and shown to organisers
        (``RuntimeProblems``, in /setup's health section and `python -m bot check`).
        """
        report = CatchUpReport()
        for thread in await self.threads.for_guild(guild_id):
            if not thread.collect_replies:
                continue
            try:
                report += await self._catch_up_thread(thread)
            except ThreadGoneError:
                await self.forget_thread(thread.thread_id)
            except BotLacksPermissionError as error:
                log.warning("could not read thread %s to catch up: %s", thread.thread_id, error)
                where = f"<#{thread.parent_channel_id}>"
                fix = f"Check the bot's permissions in {where}: it catches up as soon as it may read them."
                self._cannot_catch_up(thread, _channel_key(thread), f"{error} No answer was removed.", fix)
                report += CatchUpReport(unreadable=1)
        if report.changed:
            log.info(
                "caught up with prompt threads in guild %s: %d added, %d updated, %d removed",
                guild_id,
                report.added,
                report.updated,
                report.removed,
            )
        if report.unreadable:
            log.warning(
                "%d prompt thread(s) in guild %s could not be caught up (no permission to read them): nothing "
                "was removed from them",
                report.unreadable,
                guild_id,
            )
        return report

    async def _catch_up_thread(self, thread: PromptThread) -> CatchUpReport:
        target = await self.threads.reply_target(thread.thread_id)
        if target is None:
            return CatchUpReport()
        if not self._gateway.reads_message_content():
            self._cannot_catch_up(
                thread,
                f"{CATCH_UP_PROBLEM}message-content",
                "The bot does not receive message text (the Message Content intent is off), so it cannot catch "
                "up with replies written while it was offline. No answer was removed.",
                "Switch on Message Content Intent in the developer portal (Bot > Privileged Gateway Intents), set "
                "MESSAGE_CONTENT_INTENT=true and restart the bot.",
            )
            return CatchUpReport(unreadable=1)
        missing = await self._gateway.missing_permissions(thread.thread_id, READ_HISTORY)
        if missing:
            where = f"<#{thread.parent_channel_id}>"
            self._cannot_catch_up(
                thread,
                _channel_key(thread),
                f"The bot cannot read the history of the prompt threads in {where}: it lacks {missing.label} "
                "there, so replies written, edited or deleted while it was offline were not caught up. No answer "
                "was removed.",
                f"Give the bot {missing.label} in {where} (Edit Channel > Permissions): it catches up as soon as it "
                "may read them.",
            )
            return CatchUpReport(unreadable=1)
        self._problems.clear(thread.guild_id, _channel_key(thread))
        # Read what is stored before asking Discord: a reply recorded live after the history was read must not
        # look deleted. Replies in this thread come after it (snowflakes grow with time); lower ids belong to an
        # earlier thread of the prompt that was deleted by hand.
        stored = {c.message_id: c for c in await self.contributions.for_thread(thread.prompt_id, thread.thread_id)}
        history = await self._gateway.thread_history(thread.thread_id, limit=CATCH_UP_LIMIT)
        added = updated = removed = 0
        for message in history.messages:
            text = _cleaned(message.text)
            known = stored.get(message.id)
            if known is None:
                if text is not None and target.collecting:
                    added += await self._add(
                        target, message_id=message.id, author_id=message.author_id, text=text, at=message.created_at
                    )
            elif text is None:
                removed += await self.contributions.remove([message.id])
            elif text != known.text and (message.edited_at or message.created_at) > known.updated_at:
                at = message.edited_at or self._clock()
                await self.contributions.edit(message.id, text, at, late=self._late(target, at))
                updated += 1
        kept = 0
        if history.complete:
            seen = {m.id for m in history.messages}
            gone, kept = await self._confirmed_deleted(thread, [mid for mid in stored if mid not in seen])
            removed += await self.contributions.remove(gone)
        if not kept:
            self._problems.clear(thread.guild_id, _history_key(thread))
        return CatchUpReport(threads=1, added=added, updated=updated, removed=removed, kept=kept)

    async def _confirmed_deleted(self, thread: PromptThread, unseen: list[int]) -> tuple[list[int], int]:
        """Of the replies a history did not show, those Discord confirms are deleted; and how many were kept.

        One reply still on Discord means the history was not the whole truth: nothing more is removed.
        """
        gone: list[int] = []
        for message_id in unseen:
            if not await self._gateway.message_deleted(thread.thread_id, message_id):
                kept = len(unseen) - len(gone)
                log.warning(
                    "thread %s: %d recorded repl(ies) missing from its history are still on Discord; keeping them",
                    thread.thread_id,
                    kept,
                )
                self._cannot_catch_up(
                    thread,
                    _history_key(thread),
                    f"Discord's history of <#{thread.thread_id}> left out replies that still exist, so the bot "
                    "could not tell which replies were deleted while it was offline. No answer was removed.",
                    f"Check the bot's permissions in <#{thread.parent_channel_id}>; restarting the bot tries again.",
                )
                return gone, kept
            gone.append(message_id)
        return gone, 0

    def _cannot_catch_up(self, thread: PromptThread, key: str, text: str, fix: str) -> None:
        self._problems.record(thread.guild_id, key, text, fix)

    async def _add(
        self,
        target: ReplyTarget,
        *,
        message_id: int,
        author_id: int,
        text: str,
        at: datetime,
        posted: datetime | None = None,
    ) -> bool:
        """Record a reply as an answer written ``at``; ``posted``: when the message was posted, if earlier."""
        added = await self.contributions.add(
            guild_id=target.guild_id,
            prompt_id=target.prompt_id,
            user_id=author_id,
            message_id=message_id,
            text=text,
            at=at,
            late=self._late(target, at),
            posted_at=posted,
        )
        if added:
            log.info("thread reply %s recorded for prompt %s", message_id, target.prompt_id)
        return added

    def _late(self, target: ReplyTarget, at: datetime) -> bool:
        return is_late(target.session_end, target.answer_window, at)


CATCH_UP_PROBLEM = "catch-up:"  # the prefix of RuntimeProblems keys the catch-up records


def _channel_key(thread: PromptThread) -> str:
    """Permissions are the parent channel's: one problem for all its threads."""
    return f"{CATCH_UP_PROBLEM}{thread.parent_channel_id}"


def _history_key(thread: PromptThread) -> str:
    return f"{CATCH_UP_PROBLEM}thread:{thread.thread_id}"


def _cleaned(raw_text: str) -> str | None:
    """The text as an answer stores it, or None when nothing is left (an image alone, say)."""
    try:
        return clean_answer_text(raw_text)
    except AnswerRejectedError:
        return None
