"""The threads service: opening and closing a week's question threads, and collecting the replies in them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from bot.domain import thread_text
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import NotFoundError, SettingsError, UserFacingError
from bot.domain.permissions import Permission, Place, needs_for
from bot.domain.programme import Prompt, SessionRecord
from bot.domain.thread_text import thread_name
from bot.domain.threads import ThreadCounts, posted_at, reply_answer_text
from bot.services._keyed import KeyedLocks
from bot.services.health import RuntimeProblems
from bot.services.server_settings import ServerSettingsService
from bot.services.threads._catch_up import ThreadCatchUp
from bot.services.threads._ports import (
    BotLacksPermissionError,
    ChannelKind,
    CreatedThread,
    Starter,
    Summary,
    ThreadArchivedError,
    ThreadGateway,
    ThreadGoneError,
    ThreadLockedError,
    ThreadsAction,
    ThreadsRefusal,
)
from bot.services.threads._replies import add_reply, is_late_reply
from bot.services.threads._reports import (
    CatchUpReport,
    Closed,
    CloseOutcome,
    CloseReport,
    Opened,
    OpenOutcome,
    OpenReport,
    StatusLine,
)
from bot.storage.engine import Database
from bot.storage.threads import ContributionRepository, EditOutcome, PromptThread, ThreadRepository

log = logging.getLogger(__package__)  # the feature's one logger, named as before it was a package

CLOSING = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES_IN_THREADS  # the summary; locking is optional


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
        self._clock = clock
        # Two facilitators opening the same week at once must not make every thread twice.
        self._week_locks: KeyedLocks[tuple[int, int]] = KeyedLocks()
        self._catch_up = ThreadCatchUp(
            self.threads,
            self.contributions,
            gateway=gateway,
            problems=problems if problems is not None else RuntimeProblems(clock),
            clock=clock,
            forget_thread=self.forget_thread,
        )

    def _lock(self, session: SessionRecord) -> AbstractAsyncContextManager[None]:
        return self._week_locks.hold((session.community_id, session.week))

    # --- read by other features (reminders link to open threads; stats count them) -----------------------

    async def threads_for_week(self, community_id: int, week: int) -> list[PromptThread]:
        return await self.threads.for_week(community_id, week)

    # --- /threads open ------------------------------------------------------------------------------------

    async def open_week(
        self, session: SessionRecord, *, here_channel_id: int | None, collect_replies: bool
    ) -> OpenReport:
        """Make sure every prompt of the week has an open thread; create only what is missing."""
        if not session.prompts:
            raise NotFoundError(thread_text.no_prompts(session.week))
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
        log.info("threads opened for week %s of guild %s: %d new", session.week, session.community_id, made)
        return OpenReport(
            session=session,
            outcomes=tuple(outcomes),
            channel_id=target[0] if target else None,
            collect_replies=collect_replies,
            problems=tuple(dict.fromkeys(problems)),
        )

    async def _usable_target(self, session: SessionRecord, here_channel_id: int | None) -> tuple[int, ChannelKind]:
        """Where new threads go, once the bot is known to have every permission threads need there."""
        channel_id, kind = await self._target_channel(session, here_channel_id)
        place = Place.DISCUSSION_FORUM if kind is ChannelKind.FORUM else Place.DISCUSSION_TEXT
        needed = Permission(0)
        for need in needs_for(place, required_only=True):
            needed |= need.permissions
        missing = await self._gateway.missing_permissions(channel_id, needed)
        if missing:
            raise BotLacksPermissionError(
                self._gateway.threads_refused(
                    ThreadsAction.OPEN,
                    channel_id=channel_id,
                    missing=missing,
                    week=session.week,
                    forum=kind is ChannelKind.FORUM,
                )
            )
        return channel_id, kind

    async def _target_channel(self, session: SessionRecord, here_channel_id: int | None) -> tuple[int, ChannelKind]:
        """The server's discussion channel if one is set, else the channel the command was run in."""
        community_id = session.community_id
        settings = await self._settings.get(community_id)
        usable = (ChannelKind.TEXT, ChannelKind.FORUM)

        def refusal(why: ThreadsRefusal, channel_id: int | None = None) -> str:
            return self._gateway.threads_refusal(
                why, community_id=community_id, week=session.week, channel_id=channel_id
            )

        if settings.discussion_channel_id is not None:
            channel_id = settings.discussion_channel_id
            kind = await self._gateway.channel_kind(community_id, channel_id)
            if kind is None:
                raise SettingsError(refusal(ThreadsRefusal.DISCUSSION_GONE, channel_id))
            if kind not in usable:
                raise SettingsError(refusal(ThreadsRefusal.DISCUSSION_UNUSABLE, channel_id))
            return channel_id, kind
        kind = await self._gateway.channel_kind(community_id, here_channel_id) if here_channel_id is not None else None
        if kind is ChannelKind.THREAD:
            raise UserFacingError(refusal(ThreadsRefusal.IN_A_THREAD))
        if kind not in usable or here_channel_id is None:
            raise UserFacingError(refusal(ThreadsRefusal.NOT_HERE))
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
                community_id=session.community_id,
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
                    self._gateway.threads_refusal(
                        ThreadsRefusal.NOTHING_TO_CLOSE, community_id=session.community_id, week=session.week
                    )
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
        log.info("threads closed for week %s of guild %s", session.week, session.community_id)
        return CloseReport(session, tuple(outcomes))

    async def _require_can_close(self, session: SessionRecord, open_threads: list[PromptThread]) -> None:
        """Closing posts a summary in each thread: refused for one, refused for all, so none is touched."""
        for parent in sorted({t.parent_channel_id for t in open_threads}):
            missing = await self._gateway.missing_permissions(parent, CLOSING)
            if missing:
                raise BotLacksPermissionError(
                    self._gateway.threads_refused(
                        ThreadsAction.CLOSE, channel_id=parent, missing=missing, week=session.week
                    )
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
        text = reply_answer_text(raw_text)
        if text is None:
            return False
        return await add_reply(self.contributions, target, message_id=message_id, author_id=author_id, text=text, at=at)

    async def revise_reply(
        self, *, thread_id: int, message_id: int, author_id: int, raw_text: str, at: datetime
    ) -> None:
        """A member edited a message at ``at``: update its answer (history kept), drop it, or record it now."""
        target = await self.threads.reply_target(thread_id)
        if target is None:
            return  # not a prompt thread
        text = reply_answer_text(raw_text)
        if text is None:
            # Edited down to nothing (only an attachment left, say): it is no longer an answer.
            await self.remove_replies([message_id])
            return
        outcome = await self.contributions.edit(message_id, text, at, late=is_late_reply(target, at))
        if outcome is EditOutcome.UPDATED:
            log.info("thread reply %s edited", message_id)
        elif outcome is EditOutcome.MISSING and target.collecting:
            # Recorded as written now, but whether its author had erased their data since depends on when
            # the message was first posted.
            await add_reply(
                self.contributions,
                target,
                message_id=message_id,
                author_id=author_id,
                text=text,
                at=at,
                posted=posted_at(message_id),
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

    def catch_up_stopped(self, community_id: int) -> bool:
        """Whether the last catch-up left threads unread (a permission or the intent was missing)."""
        return self._catch_up.stopped(community_id)

    async def catch_up(self, community_id: int) -> CatchUpReport:
        """Replay what happened in the prompt threads while the bot was not listening (see ``ThreadCatchUp``)."""
        return await self._catch_up.run(community_id)
