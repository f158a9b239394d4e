"""Deleting answers a set time after the programme's last session, with organisers warned a week before.

The rules (``plan``):
- due: the last session's end plus the retention period an organiser set with /setup;
- from a week before it is due, organisers are warned once (``RetentionNotifier``: a message in the
  reminder channel addressed to the organiser role, and always a WARNING in the log; /stats and /setup show
  the date from then on);
- answers are deleted when due, but never sooner than a week after the warning: a period set or shortened
  at the last minute, or a bot that was down for the warning, still leaves organisers a full week to export
  or change the period;
- with them go the consents of members left without answers and every DM subscription (the programme is
  over), and the server's prompt threads stop collecting replies: messages posted until then are never
  recorded again, even in a thread re-opened with /threads open (``RetentionRepository.delete_answers``);
- a warning counts for the due date it was given for: if the period is lengthened, organisers are warned
  again a week before the new date.
Runs daily on the bot's scheduler and once at start; the injected clock decides what "now" is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.clock import Clock, system_clock
from bot.domain.settings_rules import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from bot.services.health import RuntimeProblems
from bot.services.reminders import ChannelRefused
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database
from bot.storage.retention import RetentionRecord, RetentionRepository

log = logging.getLogger(__name__)

WARNING_NOTICE = timedelta(days=7)
# RuntimeProblems keys: a notice that could not be posted, shown to organisers until one is posted.
WARNING_PROBLEM, DONE_PROBLEM = "retention-warning", "retention-done"
__all__ = ["MAX_RETENTION_DAYS", "MIN_RETENTION_DAYS"]  # the bounds live with the other settings rules


class RetentionNotifier(Protocol):
    """Tells a community's organisers about retention in its reminder channel (cogs/_discord, slack_app/_adapters).

    Each notice goes to ``channel_id`` only if the platform says, when posting, that the channel is one of
    ``community_id``'s own: the settings leave out a channel the platform knows as another community's, but one it
    cannot place yet (at start, before the platform's cache is filled) gets through. Otherwise the adapter posts
    nothing there and raises ChannelRefused, worded in its platform's terms, as the reminder sender does.
    """

    async def retention_warning(
        self,
        community_id: int,
        channel_id: int,
        organiser_role_id: int | None,
        deletes_at: datetime,
        retention: timedelta,
    ) -> None: ...

    async def retention_done(self, community_id: int, channel_id: int, deleted: int) -> None: ...


class RetentionAction(StrEnum):
    NOTHING = "nothing"
    WARN = "warn"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class RetentionSchedule:
    retention: timedelta
    last_session_end: datetime
    due_at: datetime  # last session end + retention
    warn_from: datetime  # a week before due_at
    warned_at: datetime | None  # the warning given for this due date, if any
    deletes_at: datetime  # the earliest deletion: due, and a week after the warning (given now if not yet)
    action: RetentionAction  # what to do now

    @property
    def warning_period(self) -> bool:
        """Whether the warning time has come (from then on /stats shows a banner)."""
        return self.action is not RetentionAction.NOTHING or self.warned_at is not None


def plan(record: RetentionRecord, now: datetime) -> RetentionSchedule | None:
    """What retention means for a server at ``now``; None without a period or without sessions."""
    if record.last_session_end is None:
        return None
    # Saturating sums: a session stored far in the future (by an older version) must not break /setup and /stats.
    due_at = _later(record.last_session_end, record.retention)
    warn_from = due_at - WARNING_NOTICE
    warned_at = record.warned_at if record.warned_at is not None and record.warned_at >= warn_from else None
    deletes_at = max(due_at, _later(warned_at or max(now, warn_from), WARNING_NOTICE))
    if now < warn_from:
        action = RetentionAction.NOTHING
    elif warned_at is None:
        action = RetentionAction.WARN
    elif now >= deletes_at:
        action = RetentionAction.DELETE
    else:
        action = RetentionAction.NOTHING
    return RetentionSchedule(
        retention=record.retention,
        last_session_end=record.last_session_end,
        due_at=due_at,
        warn_from=warn_from,
        warned_at=warned_at,
        deletes_at=deletes_at,
        action=action,
    )


def _later(moment: datetime, period: timedelta) -> datetime:
    try:
        return moment + period
    except OverflowError:
        return datetime.max.replace(tzinfo=moment.tzinfo)


@dataclass(frozen=True, slots=True)
class RetentionOutcome:
    community_id: int
    action: RetentionAction
    deleted: int = 0


class RetentionService:
    def __init__(
        self,
        db: Database,
        settings: ServerSettingsService,
        *,
        notifier: RetentionNotifier | None = None,
        problems: RuntimeProblems | None = None,
        clock: Clock = system_clock,
        community_ids: Callable[[], Iterable[int]] | None = None,
    ) -> None:
        self.repository = RetentionRepository(db)
        self._served = community_ids  # None: every server (the command line); else the live set this process serves
        self._settings = settings
        self._notifier = notifier  # None: the log and /stats are the only warnings (the command line)
        self._problems = problems if problems is not None else RuntimeProblems(clock)
        self._clock = clock

    async def schedule(self, community_id: int) -> RetentionSchedule | None:
        record = await self.repository.load(community_id)
        return plan(record, self._clock()) if record else None

    async def run_due(self) -> list[RetentionOutcome]:
        """Warn or delete for every server whose time has come; one server's failure does not stop the rest."""
        outcomes: list[RetentionOutcome] = []
        try:
            records = await self.repository.servers_with_retention()
        except Exception:
            log.exception("the retention check could not read the settings")
            return outcomes
        if self._served is not None:
            served = frozenset(self._served())
            records = [r for r in records if r.community_id in served]
        for record in records:
            try:
                outcomes.append(await self._apply(record))
            except Exception:
                log.exception("the retention check failed for community %s", record.community_id)
        return outcomes

    async def check(self, community_id: int) -> RetentionOutcome | None:
        """The same for one server (after /setup changed its period)."""
        record = await self.repository.load(community_id)
        return await self._apply(record) if record else None

    async def _apply(self, record: RetentionRecord) -> RetentionOutcome:
        now = self._clock()
        schedule = plan(record, now)
        if schedule is None or schedule.action is RetentionAction.NOTHING:
            return RetentionOutcome(record.community_id, RetentionAction.NOTHING)
        answers = await self.repository.answer_count(record.community_id)
        if answers == 0:
            # Nothing to delete and nothing to warn about; answers that arrive later get their own warning.
            return RetentionOutcome(record.community_id, RetentionAction.NOTHING)
        if schedule.action is RetentionAction.WARN:
            # Recorded first: the log line below is a warning in itself, and a failed post must not hold up
            # the schedule for ever (/stats and /setup show the date from now on).
            await self.repository.mark_warned(record.community_id, now)
            log.warning(
                "retention: %d answers in community %s will be deleted on %s (%d days after the last session)",
                answers,
                record.community_id,
                schedule.deletes_at.isoformat(),
                schedule.retention.days,
            )
            await self._notify_warning(record.community_id, schedule.deletes_at, schedule.retention)
            return RetentionOutcome(record.community_id, RetentionAction.WARN)
        deletion = await self.repository.delete_answers(record.community_id, created_before=now)
        deleted = deletion.answers
        log.warning(
            "retention: deleted %d answers, %d consents and %d DM subscriptions in community %s; its prompt threads "
            "no longer collect replies",
            deleted,
            deletion.consents,
            deletion.dm_subscriptions,
            record.community_id,
        )
        await self._notify_done(record.community_id, deleted)
        return RetentionOutcome(record.community_id, RetentionAction.DELETE, deleted)

    async def _notify_done(self, community_id: int, deleted: int) -> None:
        channel_id = (await self._settings.get(community_id)).reminder_channel_id
        if self._notifier is None or channel_id is None or not deleted:
            return
        try:
            await self._notifier.retention_done(community_id, channel_id, deleted)
        except ChannelRefused as refused:
            self._refused(community_id, "notice that its answers were deleted", refused)
            self._problems.record(
                community_id,
                DONE_PROBLEM,
                f"The bot could not post the notice that the answers were deleted in {refused.where} "
                f"({refused.reason}).",
                f"{refused.fix}.",
            )
        except Exception:
            log.exception("could not tell community %s that its answers were deleted", community_id)
        else:
            self._problems.clear(community_id, DONE_PROBLEM)

    async def _notify_warning(self, community_id: int, deletes_at: datetime, retention: timedelta) -> None:
        if self._notifier is None:
            return
        settings = await self._settings.get(community_id)
        if settings.reminder_channel_id is None:
            log.warning(
                "no reminder channel in community %s for the retention warning: organisers see it in /stats and /setup",
                community_id,
            )
            return
        channel_id = settings.reminder_channel_id
        try:
            await self._notifier.retention_warning(
                community_id, channel_id, settings.organiser_role_id, deletes_at, retention
            )
        except Exception as error:
            # The channel and the fix are the platform's words (its notifier raises ChannelRefused with them).
            refused = error if isinstance(error, ChannelRefused) else None
            if refused:
                self._refused(community_id, "retention warning", refused)
            else:
                log.exception("could not post the retention warning for community %s", community_id)
            where = refused.where if refused else "the reminder channel"
            reason = refused.reason if refused else "it was refused"
            fix = refused.fix if refused else f"Check that the bot may post in {where}"
            self._problems.record(
                community_id,
                WARNING_PROBLEM,
                f"The bot could not post the retention warning in {where} ({reason}): answers will be "
                f"deleted on {deletes_at:%d %B %Y}.",
                f"{fix}; /stats shows the date meanwhile.",
            )
        else:
            self._problems.clear(community_id, WARNING_PROBLEM)

    @staticmethod
    def _refused(community_id: int, what: str, refused: ChannelRefused) -> None:
        # A refusal is expected (a permission, a foreign channel): logged as the reminders log theirs, no traceback.
        log.error(
            "could not post the %s for community %s: refused in channel %s: %s",
            what,
            community_id,
            refused.channel_id,
            refused.reason,
        )
