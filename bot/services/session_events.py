"""Sessions as Discord scheduled events: keeps the server's Events list in step with the programme, and
follows who is Interested.

When it runs: at start (after the programme is loaded), after every import, when /setup switches it on or
changes the meeting link, and every few hours (sessions past the 100-event limit get their event as earlier
ones complete). Syncs for one server never overlap; a change during a sync runs one more sync after it.
Nothing at all is asked of Discord while the switch is off.

The plan is pure (bot/domain/session_events.py); this service fetches, applies and stores. After a failure
whose outcome is unknown (the create went through, its response did not), the next sync finds the event by
its marker and adopts it: never a duplicate. Edits made by hand in Discord are put back; the organiser is
told (log and /setup's health section).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.clock import Clock, system_clock
from bot.domain.permissions import Permission, Place, needs_for
from bot.domain.session_events import (
    Action,
    Adopt,
    Cancel,
    Create,
    EventSpec,
    Forget,
    Reason,
    RemoteEvent,
    SyncPlan,
    Update,
    event_spec,
    event_url,
    plan_sync,
)
from bot.services._keyed import KeyedLocks, forget_when_done
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database
from bot.storage.members import MemberDataRepository
from bot.storage.session_events import SessionEventRepository

log = logging.getLogger(__name__)

PROBLEM_REFUSED = "events:refused"
PROBLEM_REJECTED = "events:rejected"
PROBLEM_PUT_BACK = "events:put-back"
PROBLEM_FAILED = "events:failed"
SYNC_INTERVAL_HOURS = 6
#: A sync reads Interested again from Discord when the last reading is older than this: the periodic sync
#: always does, an import's or /setup's sync soon after another does not.
INTEREST_CATCH_UP_AFTER = timedelta(hours=1)


class EventsRefused(Exception):
    """A missing permission: Discord answered 403 (or code 50013, Missing Permissions), so the bot lacks Create
    Events or Manage Events and every other call would be refused too. ``missing`` when known."""

    def __init__(self, reason: str, missing: Permission | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


class EventRejected(Exception):
    """Discord refused one request for another reason than a permission (an invalid field, an unknown event,
    a limit): reported as what it is, and the sync goes on with the other sessions."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status}, code {code}: {message}" if code else f"{status}: {message}")
        self.status = status
        self.code = code
        self.message = message


class EventsUnavailable(Exception):
    """The call failed in a way that may or may not have changed anything (network, 5xx, timeout)."""


class ScheduledEventPort(Protocol):
    """How the service reaches Discord's scheduled events (implemented in cogs/_discord/session_events.py)."""

    def missing_permissions(self, community_id: int, needed: Permission) -> Permission | None:
        """The server-level permissions the bot lacks (empty: none), or None if it cannot tell yet."""
        ...

    async def list_events(self, community_id: int) -> list[RemoteEvent]: ...

    async def create(self, community_id: int, spec: EventSpec) -> int: ...

    async def update(self, community_id: int, event_id: int, spec: EventSpec) -> None: ...

    async def cancel(self, community_id: int, event_id: int) -> None: ...

    async def interested(self, community_id: int, event_id: int) -> list[int]:
        """The ids of every member marked Interested (all pages)."""
        ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    created: int = 0
    updated: int = 0
    adopted: int = 0
    cancelled: int = 0
    put_back: tuple[str, ...] = ()
    beyond_limit: tuple[int, ...] = ()
    stopped: str | None = None  # why the sync stopped early, if it did


@dataclass(frozen=True, slots=True)
class SessionEventInfo:
    """What /session and /next show about a session's event."""

    url: str
    interested: int


def events_permissions() -> Permission:
    """What the feature needs, from the one table (bot/domain/permissions.py)."""
    total = Permission(0)
    for need in needs_for(Place.SERVER, required_only=True):
        if need.feature == "events":
            total |= need.permissions
    return total


class SessionEventService:
    def __init__(
        self,
        db: Database,
        programme: ProgrammeService,
        settings: ServerSettingsService,
        *,
        port: ScheduledEventPort,
        problems: RuntimeProblems,
        clock: Clock = system_clock,
    ) -> None:
        self.repository = SessionEventRepository(db)
        self._members = MemberDataRepository(db)
        self._programme = programme
        self._settings = settings
        self._port = port
        self._problems = problems
        self._clock = clock
        self._locks: KeyedLocks[int] = KeyedLocks()
        self._tasks: dict[int, asyncio.Task[None]] = {}  # running ones only
        self._again: set[int] = set()
        self._interest_read_at: dict[int, datetime] = {}

    # --- when to sync --------------------------------------------------------------------------------

    async def on_programme_change(self, community_id: int) -> None:
        self.request_sync(community_id)

    async def on_settings_change(self, community_id: int, changed: frozenset[str]) -> None:
        if changed & {"events_enabled", "meeting_link"}:
            self.request_sync(community_id)

    async def sync_soon(self, community_id: int) -> None:
        """For the scheduler (which runs coroutine functions on the event loop)."""
        self.request_sync(community_id)

    def request_sync(self, community_id: int) -> None:
        """Sync in the background (an import or /setup answers at once); one more run if one is under way."""
        running = self._tasks.get(community_id)
        if running is not None and not running.done():
            self._again.add(community_id)
            return
        forget_when_done(
            self._tasks, community_id, asyncio.get_running_loop().create_task(self._sync_until_settled(community_id))
        )

    async def _sync_until_settled(self, community_id: int) -> None:
        while True:
            self._again.discard(community_id)
            try:
                report = await self.sync(community_id)
                if report is not None and report.stopped is None and self._interest_due(community_id):
                    await self.catch_up_interest(community_id)
            except Exception:
                log.exception("syncing the session events of guild %s failed", community_id)
            if community_id not in self._again:
                return

    async def settled(self, community_id: int) -> None:
        """Wait for a background sync to finish (tests, shutdown)."""
        task = self._tasks.get(community_id)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def request_start(self, community_id: int, *, ready: Callable[[], Awaitable[object]]) -> None:
        """``start`` in the background once ``ready`` returns (the gateway cache tells the permissions)."""

        async def run() -> None:
            await ready()
            try:
                await self.start(community_id)
            except Exception:
                log.exception("reconciling the session events of guild %s at start failed", community_id)
            if community_id in self._again:  # an import or /setup came in meanwhile
                await self._sync_until_settled(community_id)

        forget_when_done(self._tasks, community_id, asyncio.get_running_loop().create_task(run()))

    async def start(self, community_id: int) -> SyncReport | None:
        """At start: reconcile (events deleted or edited by hand are put back), then catch up on interest."""
        report = await self.sync(community_id)
        if report is not None and report.stopped is None:
            await self.catch_up_interest(community_id)
        return report

    # --- the sync ------------------------------------------------------------------------------------

    async def sync(self, community_id: int) -> SyncReport | None:
        """Bring the server's events in step with the programme; None when the feature is off."""
        settings = await self._settings.get(community_id)
        if not settings.events_enabled:
            return None
        async with self._locks.hold(community_id):
            missing = self._port.missing_permissions(community_id, events_permissions())
            if missing:
                self._refused(community_id, EventsRefused(f"missing {missing.label}", missing))
                return SyncReport(stopped="missing permissions")
            programme = await self._programme.get(community_id)
            sessions = programme.sessions if programme is not None else ()
            specs = [event_spec(s, default_link=settings.meeting_link) for s in sessions]
            try:
                remote = await self._port.list_events(community_id)
            except EventsRefused as refused:
                self._refused(community_id, refused)
                return SyncReport(stopped="refused")
            except EventRejected as rejected:
                self._rejected(community_id, [f"listing the server's events: {rejected}"])
                return SyncReport(stopped="rejected")
            except EventsUnavailable as error:
                log.warning("could not list the scheduled events of guild %s: %s", community_id, error)
                return SyncReport(stopped="unavailable")
            stored = await self.repository.stored(community_id)
            plan = plan_sync(specs, stored, remote, self._clock(), all_weeks=[s.week for s in sessions])
            return await self._apply(community_id, plan, remote)

    async def _apply(self, community_id: int, plan: SyncPlan, remote: Iterable[RemoteEvent]) -> SyncReport:
        counts = {"created": 0, "updated": 0, "adopted": 0, "cancelled": 0}
        remote_by_id = {r.id: r for r in remote}
        stopped: str | None = None
        rejected: list[str] = []
        for action in plan.actions:
            try:
                await self._do(community_id, action, remote_by_id, counts)
            except EventRejected as error:
                rejected.append(f"{_name(action)}: {error}")  # this one alone: the others go on
            except EventsRefused as refused:
                self._refused(community_id, refused)
                stopped = "refused"
                break
            except EventsUnavailable as error:
                # The outcome is unknown: the next sync lists the events again and adopts what was made.
                log.warning(
                    "session events of guild %s: %s failed (%s); retried at the next sync", community_id, action, error
                )
                self._problems.record(
                    community_id,
                    PROBLEM_FAILED,
                    f"Discord did not answer while the bot updated the server's Events ({error})",
                    "Nothing to do: the bot tries again at its next sync (within a few hours, or at the next import)",
                )
                stopped = "unavailable"
                break
        if stopped is None:
            self._problems.clear(community_id, PROBLEM_REFUSED)
            self._problems.clear(community_id, PROBLEM_FAILED)
        if rejected:
            self._rejected(community_id, rejected)
        elif stopped is None:
            self._problems.clear(community_id, PROBLEM_REJECTED)
        put_back = tuple(_describe(a) for a in plan.put_back)
        if put_back:
            text = "; ".join(put_back)
            log.warning("guild %s: session events changed in Discord by hand were put back: %s", community_id, text)
            self._problems.record(
                community_id,
                PROBLEM_PUT_BACK,
                f"Session events changed by hand in Discord were put back to the programme: {text}",
                "Change sessions with /import (the programme wins over edits in Discord's Events list)",
            )
        if plan.beyond_limit:
            log.info(
                "community %s: %d sessions wait for an event (Discord allows 100 scheduled events per server)",
                community_id,
                len(plan.beyond_limit),
            )
        report = SyncReport(put_back=put_back, beyond_limit=plan.beyond_limit, stopped=stopped, **counts)
        if any(counts.values()):
            log.info("session events of guild %s: %s", community_id, counts)
        return report

    async def _do(
        self, community_id: int, action: Action, remote: dict[int, RemoteEvent], counts: dict[str, int]
    ) -> None:
        now = self._clock()
        if isinstance(action, Create):
            event_id = await self._port.create(community_id, action.spec)
            await self.repository.save(community_id, action.spec.week, event_id, action.spec.fingerprint, now)
            counts["created"] += 1
        elif isinstance(action, Update):
            await self._port.update(community_id, action.event_id, action.spec)
            await self.repository.save(community_id, action.spec.week, action.event_id, action.spec.fingerprint, now)
            counts["updated"] += 1
        elif isinstance(action, Adopt):
            found = remote.get(action.event_id)
            if found is None or not found.matches(action.spec):
                await self._port.update(community_id, action.event_id, action.spec)
            await self.repository.save(community_id, action.spec.week, action.event_id, action.spec.fingerprint, now)
            log.info("guild %s: adopted the event of week %d found in Discord", community_id, action.spec.week)
            counts["adopted"] += 1
        elif isinstance(action, Cancel):
            await self._port.cancel(community_id, action.event_id)
            counts["cancelled"] += 1
        elif isinstance(action, Forget):
            await self.repository.forget(community_id, action.week)

    def _refused(self, community_id: int, refused: EventsRefused) -> None:
        needed = events_permissions()
        missing = refused.missing or needed
        log.warning("guild %s: Discord refused the session events (%s)", community_id, refused.reason)
        self._problems.record(
            community_id,
            PROBLEM_REFUSED,
            f"Sessions cannot be shown in the server's Events: the bot lacks {missing.label} ({refused.reason})",
            f"Give the bot's role {needed.label} in Server Settings > Roles, or switch events off in /setup",
        )

    def _rejected(self, community_id: int, what: list[str]) -> None:
        text = "; ".join(what)
        log.warning("guild %s: Discord refused session events: %s", community_id, text)
        self._problems.record(
            community_id,
            PROBLEM_REJECTED,
            f"Discord refused {_plural(len(what), 'session event')} (the others were synced): {text}",
            "Check the session's title, description, times and meeting link in the programme, then /import it "
            "again; the bot tries again at its next sync",
        )

    # --- Interested ----------------------------------------------------------------------------------

    async def on_interest(self, community_id: int, event_id: int, user_id: int, *, added: bool) -> None:
        """A member clicked Interested (or un-clicked it) on an event; only the bot's session events count."""
        if added:
            changed = await self.repository.mark(community_id, event_id, user_id, self._clock())
        else:
            changed = await self.repository.unmark(community_id, event_id, user_id)
        if changed:
            log.debug("interest %s for an event of guild %s", "added" if added else "removed", community_id)

    def _interest_due(self, community_id: int) -> bool:
        read_at = self._interest_read_at.get(community_id)
        return read_at is None or self._clock() - read_at >= INTEREST_CATCH_UP_AFTER

    async def catch_up_interest(self, community_id: int) -> int:
        """Interest changed while the bot was away, or while a click was lost on the way (a gateway session
        that could not be resumed): each stored event's users list, paged. At start, then by the syncs."""
        self._interest_read_at[community_id] = self._clock()
        changed = 0
        for row in await self.repository.stored(community_id):
            try:
                users = await self._port.interested(community_id, row.event_id)
            except (EventsRefused, EventRejected, EventsUnavailable) as error:
                log.warning("guild %s: could not read who is interested in week %d: %s", community_id, row.week, error)
                continue
            # An erasure is final: the Interested clicks Discord still shows from before it are not written back.
            erased = await self._members.erased_among(community_id, users)
            changed += await self.repository.replace_interest(
                community_id, row.event_id, users, self._clock(), never_add=erased
            )
        if changed:
            log.info("guild %s: %d Interested changes caught up", community_id, changed)
        return changed

    # --- what members see ----------------------------------------------------------------------------

    async def info(self, community_id: int, week: int) -> SessionEventInfo | None:
        """The link to a session's event and how many are interested; None when it has no event."""
        settings = await self._settings.get(community_id)
        if not settings.events_enabled:
            return None
        event_id = await self.repository.event_of_week(community_id, week)
        if event_id is None:
            return None
        return SessionEventInfo(
            event_url(community_id, event_id), await self.repository.interested_count(community_id, week)
        )

    async def interested_by_week(self, community_id: int) -> dict[int, int]:
        return await self.repository.interested_by_week(community_id)


def _summary(action: Action) -> str:
    """An action in a log line: its kind and week (never the whole description)."""
    week = action.spec.week if isinstance(action, Create | Update | Adopt) else action.week
    return f"{type(action).__name__.lower()} of week {week}"


def _name(action: Action) -> str:
    """The session event an action is about, as an organiser knows it."""
    if isinstance(action, Create | Update | Adopt):
        return f"week {action.spec.week} (“{action.spec.name}”)"
    return f"week {action.week}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _describe(action: Action) -> str:
    if isinstance(action, Create | Update):
        return f"week {action.spec.week} ({'deleted' if action.reason is Reason.DELETED_BY_HAND else 'edited'} by hand)"
    return str(action)
