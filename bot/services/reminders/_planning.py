"""Planning many communities at once: start-up and the sweep, for the communities that only need a new plan.

A community whose plan is stale (never planned, or planned from another programme or other settings) but that
has no work now (no claim to settle, nothing due to send) needs only what ``run_pass`` does before it sends: read
its programme and settings, plan, and bring the ledger in line. Done one pass per community that is some fifteen
round trips to the database each; done here, a few hundred communities share each read (the programmes of a
chunk in three queries) and one write transaction (``ReminderRepository.replan_many``). The ledger ends as
``run_pass`` would leave it, and a community whose fresh plan has a reminder due now is handed to an ordinary
pass, which sends it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import Clock
from bot.domain.programme import ProgrammeRecord
from bot.domain.reminders import ReminderDecision, pending_decisions, plan_reminders
from bot.domain.server_settings import ServerSettings
from bot.services.programme import ProgrammeService
from bot.storage.reminders import CommunityPlan, PlanStamp, ReminderRepository

log = logging.getLogger("bot.services.reminders")

# Communities planned per read and per write transaction: a transaction holds each one's write lock while it runs
# (well under a second for this many); on PostgreSQL each is an advisory lock, which takes a slot of the server's
# lock table (64 per connection by default, shared by all), and SQLite's bound parameters stay far below its limit.
PLAN_BATCH = 250
# A chunk with at least this many communities is planned in a worker thread: its CPU stays off the event loop.
PLAN_IN_THREAD_FROM = 50


def plan_fingerprint(programme_digest: str | None, settings: ServerSettings) -> str:
    """What a community's reminder plan is made from: its programme and the settings the plan reads."""
    offsets = tuple(int(offset.total_seconds()) for offset in settings.reminder_offsets)
    marks = repr((programme_digest, offsets, settings.reminder_channel_id))
    return hashlib.sha256(marks.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Fresh:
    """One community's new plan, and whether a reminder of it is due now."""

    plan: CommunityPlan
    due_now: bool


def _plan_one(
    community_id: int,
    programme: ProgrammeRecord | None,
    settings: ServerSettings,
    digest: str | None,
    expected: PlanStamp | None,
    now: datetime,
) -> _Fresh:
    """``run_pass``'s planning, for one community (pure: safe in a worker thread)."""
    sessions = programme.sessions if programme else ()
    decisions = pending_decisions(plan_reminders(sessions, settings.reminder_offsets), now)
    waiting = [r for r, d in decisions if d is ReminderDecision.WAIT]
    due = [r for r, d in decisions if d is ReminderDecision.SEND]
    dropped = [r for r, d in decisions if d is ReminderDecision.SKIP]
    next_due = min((r.due_at for r in waiting), default=None)
    plan = CommunityPlan(
        community_id=community_id,
        active=tuple(waiting + due),
        dropped=tuple(dropped),
        channel_id=settings.reminder_channel_id,
        stamp=PlanStamp(plan_fingerprint(digest, settings), next_due),
        expected=expected,
    )
    return _Fresh(plan, bool(due))


@dataclass(frozen=True, slots=True)
class ChunkPlanned:
    """What planning one chunk did: the communities planned (each with its next waiting reminder's due time, for
    its wake-up), and those that need an ordinary pass (a reminder due now, or planned by another pass since)."""

    now: datetime
    next_due: dict[int, datetime | None]
    needs_pass: list[int]


class BatchPlanner:
    """Plans a chunk of communities with a few set-based reads and one write transaction."""

    def __init__(self, repository: ReminderRepository, programme: ProgrammeService, clock: Clock) -> None:
        self._repository = repository
        self._programme = programme
        self._clock = clock

    async def plan(
        self,
        community_ids: Sequence[int],
        *,
        digests: Mapping[int, str],
        settings: Mapping[int, ServerSettings],
        stamps: Mapping[int, PlanStamp],
    ) -> ChunkPlanned:
        """Plan ``community_ids`` (at most ``PLAN_BATCH``). ``digests`` were read before this reads the programmes
        (a change in between makes the stamp stale, never wrong, as in ``run_pass``); ``stamps`` are the stamps
        the staleness was judged by: a community whose stamp changed since is left to the pass that changed it."""
        programmes = await self._programme.load_many(community_ids)
        now = self._clock()

        def plan_all() -> list[_Fresh]:
            return [
                _plan_one(c, programmes.get(c), settings[c], digests.get(c), stamps.get(c), now) for c in community_ids
            ]

        fresh = await asyncio.to_thread(plan_all) if len(community_ids) >= PLAN_IN_THREAD_FROM else plan_all()
        due_now = [f.plan.community_id for f in fresh if f.due_now]
        # A community with a reminder due now is left to its pass, which re-plans it anyway before it sends.
        done = await self._repository.replan_many([f.plan for f in fresh if not f.due_now], now)
        for community_id, result in done.results.items():
            if result.skipped:
                log.warning(
                    "skipped %d reminder deliveries for community %s: their session started or a later reminder is due",
                    result.skipped,
                    community_id,
                )
            if result.deleted:
                log.info(
                    "dropped %d unsent reminder deliveries no longer planned for community %s",
                    result.deleted,
                    community_id,
                )
        next_due = {f.plan.community_id: f.plan.stamp.next_due_at for f in fresh if f.plan.community_id in done.results}
        return ChunkPlanned(now, next_due, [*due_now, *done.superseded])
