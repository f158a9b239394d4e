"""The catch-up: replaying, after each restart, what happened in the prompt threads while the bot was not
listening."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.domain import thread_text
from bot.domain.clock import Clock
from bot.domain.permissions import Permission
from bot.domain.threads import reply_answer_text
from bot.services.health import RuntimeProblems
from bot.services.threads._ports import (
    BotLacksPermissionError,
    CatchUpTrouble,
    ProblemWording,
    ThreadGateway,
    ThreadGoneError,
)
from bot.services.threads._replies import add_reply, is_late_reply
from bot.services.threads._reports import CatchUpReport
from bot.storage.threads import ContributionRepository, PromptThread, ThreadRepository

log = logging.getLogger(__package__)  # the feature's one logger, named as before it was a package

CATCH_UP_LIMIT = 5000  # messages read back per thread at start; a longer thread is caught up only partly
# Reading a thread's history: without Read Message History, Discord answers 200 with no messages at all
# (developers/resources/message.mdx, "Get Channel Messages"), which must never read as "every reply deleted".
READ_HISTORY = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
CATCH_UP_PROBLEM = "catch-up:"  # the prefix of RuntimeProblems keys the catch-up records


class ThreadCatchUp:
    def __init__(
        self,
        threads: ThreadRepository,
        contributions: ContributionRepository,
        *,
        gateway: ThreadGateway,
        problems: RuntimeProblems,
        clock: Clock,
        forget_thread: Callable[[int], Awaitable[bool]],
    ) -> None:
        self.threads = threads
        self.contributions = contributions
        self._gateway = gateway
        self._problems = problems
        self._clock = clock
        self._forget_thread = forget_thread

    def stopped(self, community_id: int) -> bool:
        """Whether the last catch-up left threads unread (a permission or the intent was missing)."""
        return any(p.key.startswith(CATCH_UP_PROBLEM) for p in self._problems.current(community_id))

    async def run(self, community_id: int) -> CatchUpReport:
        """Replay what happened in the prompt threads while the bot was not listening.

        Replies posted meanwhile are recorded (in open threads), edits applied and deleted messages' answers
        removed, so a member who deleted a message while the bot was down is not kept as having said it.
        An answer is removed only on evidence the bot can trust: never from a thread whose history it may
        not read (Discord then returns an empty history, not an error), never without the message text, and
        only for a message Discord confirms is gone. What it cannot read is logged and shown to organisers
        (``RuntimeProblems``, in /setup's health section and `python -m bot check`).
        """
        report = CatchUpReport()
        for thread in await self.threads.for_community(community_id):
            if not thread.collect_replies:
                continue
            try:
                report += await self._catch_up_thread(thread)
            except ThreadGoneError:
                await self._forget_thread(thread.thread_id)
            except BotLacksPermissionError as error:
                log.warning("could not read thread %s to catch up: %s", thread.thread_id, error)
                self._cannot_catch_up(
                    thread, _channel_key(thread), self._worded(thread, CatchUpTrouble.UNREADABLE, error=str(error))
                )
                report += CatchUpReport(unreadable=1)
        if report.changed:
            log.info(
                "caught up with prompt threads in community %s: %d added, %d updated, %d removed",
                community_id,
                report.added,
                report.updated,
                report.removed,
            )
        if report.unreadable:
            log.warning(
                "%d prompt thread(s) in community %s could not be caught up (no permission to read them): nothing "
                "was removed from them",
                report.unreadable,
                community_id,
            )
        return report

    async def _catch_up_thread(self, thread: PromptThread) -> CatchUpReport:
        target = await self.threads.reply_target(thread.thread_id)
        if target is None:
            return CatchUpReport()
        if not self._gateway.reads_message_content(thread.thread_id):
            self._cannot_catch_up(
                thread,
                f"{CATCH_UP_PROBLEM}message-content",
                ProblemWording(thread_text.NO_MESSAGE_CONTENT, thread_text.NO_MESSAGE_CONTENT_FIX),
            )
            return CatchUpReport(unreadable=1)
        missing = await self._gateway.missing_permissions(thread.thread_id, READ_HISTORY)
        if missing:
            self._cannot_catch_up(
                thread,
                _channel_key(thread),
                self._worded(thread, CatchUpTrouble.MISSING_PERMISSIONS, missing=missing),
            )
            return CatchUpReport(unreadable=1)
        self._problems.clear(thread.community_id, _channel_key(thread))
        # Read what is stored before asking Discord: a reply recorded live after the history was read must not
        # look deleted. Replies in this thread come after it (snowflakes grow with time); lower ids belong to an
        # earlier thread of the prompt that was deleted by hand.
        stored = {c.message_id: c for c in await self.contributions.for_thread(thread.prompt_id, thread.thread_id)}
        history = await self._gateway.thread_history(thread.thread_id, limit=CATCH_UP_LIMIT)
        added = updated = removed = 0
        for message in history.messages:
            text = reply_answer_text(message.text)
            known = stored.get(message.id)
            if known is None:
                if text is not None and target.collecting:
                    added += await add_reply(
                        self.contributions,
                        target,
                        message_id=message.id,
                        author_id=message.author_id,
                        text=text,
                        at=message.created_at,
                    )
            elif text is None:
                removed += await self.contributions.remove([message.id])
            elif text != known.text and (message.edited_at or message.created_at) > known.updated_at:
                at = message.edited_at or self._clock()
                await self.contributions.edit(message.id, text, at, late=is_late_reply(target, at))
                updated += 1
        kept = 0
        if history.complete:
            seen = {m.id for m in history.messages}
            gone, kept = await self._confirmed_deleted(thread, [mid for mid in stored if mid not in seen])
            removed += await self.contributions.remove(gone)
        if not kept:
            self._problems.clear(thread.community_id, _history_key(thread))
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
                self._cannot_catch_up(thread, _history_key(thread), self._worded(thread, CatchUpTrouble.INCOMPLETE))
                return gone, kept
            gone.append(message_id)
        return gone, 0

    def _worded(
        self,
        thread: PromptThread,
        trouble: CatchUpTrouble,
        *,
        missing: Permission | None = None,
        error: str | None = None,
    ) -> ProblemWording:
        """The problem in the words of the thread's platform (its adapter's): channel links, menus, scopes."""
        return self._gateway.catch_up_problem(
            trouble, parent_id=thread.parent_channel_id, thread_id=thread.thread_id, missing=missing, error=error
        )

    def _cannot_catch_up(self, thread: PromptThread, key: str, wording: ProblemWording) -> None:
        self._problems.record(thread.community_id, key, wording.text, wording.fix)


def _channel_key(thread: PromptThread) -> str:
    """Permissions are the parent channel's: one problem for all its threads."""
    return f"{CATCH_UP_PROBLEM}{thread.parent_channel_id}"


def _history_key(thread: PromptThread) -> str:
    return f"{CATCH_UP_PROBLEM}thread:{thread.thread_id}"
