"""The reminder service: see the package's docstring for how it fits together."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.clock import Clock, system_clock
from bot.domain.programme import SessionRecord
from bot.domain.reminder_text import compose_reminder
from bot.domain.reminders import (
    DMS_CLOSED,
    PlannedReminder,
    ReminderDecision,
    decide,
    pending_decisions,
    plan_reminders,
)
from bot.domain.server_settings import ServerSettings
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders._pacing import CHANNEL_POST_COST, PacerFeed, Throttle
from bot.services.reminders._planning import PLAN_BATCH, BatchPlanner, plan_fingerprint
from bot.services.reminders._ports import (
    ChannelRefused,
    DeliveryFailed,
    DeliveryRefused,
    OutboxUnreadable,
    OutgoingMessage,
    ReminderSender,
    content_digest,
)
from bot.services.reminders._reports import DmReminderStatus, ReminderSchedule, ScheduledReminder
from bot.services.reminders._wakeups import WakeUps
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database
from bot.storage.reminders import (
    OUTCOME_UNKNOWN,
    Delivery,
    DeliveryState,
    PlanStamp,
    ReminderId,
    ReminderRepository,
    TargetKind,
    reminder_id,
)

log = logging.getLogger("bot.services.reminders")  # the package's name, as before the split

SWEEP_INTERVAL = 30.0  # seconds between safety-net passes
# Passes over different communities run this many at a once: planning is mostly waiting for the database, and on
# PostgreSQL different communities' writes commit side by side. Only the paced request itself is one at a time
# (``_sending``), so that one pace governs every request: the passes waiting for it have claimed their next
# delivery already, and each marks its send after it, so the pacer never waits for the database.
PASS_CONCURRENCY = 8
# Passes whose delivery is claimed and waits for the pacer do not plan, so they leave their place to another pass,
# up to this many: enough for the pacer to find a delivery claimed whenever it comes free (at 24 requests a second,
# a second's worth), few enough that a claim waits for its turn for about a second at most, far within NONCE_WINDOW.
CLAIMS_AHEAD = 24
# Communities arriving together from this many up are looked at with the set-based reads of start-up (which read
# every community's stamp and settings), fewer get a pass each.
ARRIVALS_LOOKED_AT_TOGETHER = 20
MAX_ATTEMPTS = 8  # a delivery failing this often (429/5xx/network) is given up as undeliverable
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=15)
CLOSE_GRACE = 5.0  # seconds a stopping service waits for the send in flight
SWEEP_JOB_ID = "reminders:sweep"
# How long Discord de-duplicates a nonce ("the past few minutes", developers/resources/message.mdx, Create
# Message, enforce_nonce), taken short: within it a resend of an unknown outcome is safe without a look.
NONCE_WINDOW = timedelta(minutes=2)


class ReminderService:
    def __init__(
        self,
        db: Database,
        programme: ProgrammeService,
        settings: ServerSettingsService,
        *,
        community_ids: Iterable[int] | Callable[[], Iterable[int]],
        sender: ReminderSender | None = None,
        problems: RuntimeProblems | None = None,
        clock: Clock = system_clock,
        dm_rate_per_second: float = 5.0,
        scheduler: Any = None,
        sweep_interval: float = SWEEP_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.repository = ReminderRepository(db)
        self._programme = programme
        self._settings = settings
        # The live set of communities this process serves (a callable), or a fixed one (the command line).
        if callable(community_ids):
            self._served: Callable[[], Iterable[int]] = community_ids
        else:
            fixed = frozenset(community_ids)
            self._served = lambda: fixed
        self._clock = clock
        self._scheduler = scheduler  # an APScheduler scheduler (AsyncIOScheduler), or None: no wake-ups
        self.sweep_interval = sweep_interval
        self.throttle = Throttle(dm_rate_per_second, monotonic=monotonic, sleep=sleep)
        self._monotonic = monotonic
        self._sender = sender  # None: plans and shows the schedule, sends nothing (the command line)
        self._problems = problems if problems is not None else RuntimeProblems(clock)
        self._queued: dict[int, bool] = {}  # guild -> "the plan changed": interrupt a fan-out in progress
        self._worker: asyncio.Task[None] | None = None
        self._sending = asyncio.Lock()  # the paced request (a send, or a look at the outbox): one at a time
        self.feed = PacerFeed()  # how often the pacer found nothing claimed when it came free
        self._claimed_ahead = asyncio.Event()  # a pass claimed a delivery and waits for the pacer: plan another
        self._targets_in_flight: dict[tuple[TargetKind, int], asyncio.Event] = {}  # claimed, not yet marked
        # Targets with a gone process's claim the bot could not check yet: nothing is sent to them until it has.
        self._unsettled: set[tuple[TargetKind, int]] = set()
        self._stopping = False
        self._warned_no_sender = False
        self._wakeups = WakeUps(scheduler, self._wake_up, now=lambda: datetime.now(UTC))
        self._planner = BatchPlanner(self.repository, programme, clock)
        self._stale_check = asyncio.Lock()  # start-up's look and the sweep's, one at a time
        self._checks: set[asyncio.Task[None]] = set()  # start-up's look, and arrivals', in the background

    # --- wiring ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Arm the sweep; plan and catch up at once (the first pass settles what a crash left claimed), in the
        background: planning thousands of servers must not hold back the connection to the platform."""
        if self._sender is None:
            await self.repository.release_claims(self._clock())
        if self._scheduler is not None:
            self._scheduler.add_job(
                self._sweep,
                "interval",
                seconds=self.sweep_interval,
                id=SWEEP_JOB_ID,
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )
        self._check_in_background(None)

    async def close(self, *, grace: float = CLOSE_GRACE) -> None:
        """Stop between two sends (waiting up to ``grace`` seconds), then cancel whatever is left."""
        self._stopping = True
        if self._scheduler is not None and self._scheduler.get_job(SWEEP_JOB_ID) is not None:
            self._scheduler.remove_job(SWEEP_JOB_ID)
        self._wakeups.clear()
        checks = set(self._checks)
        for check in checks:
            check.cancel()
        if checks:
            await asyncio.wait(checks)
        worker = self._worker
        if worker is None or worker.done():
            return
        await asyncio.wait({worker}, timeout=grace)
        if not worker.done():
            worker.cancel()
            await asyncio.wait({worker})

    async def on_programme_change(self, community_id: int) -> None:
        """ProgrammeService listener: an import changed sessions; re-plan (never blocks the import)."""
        self.request(community_id, changed=True)

    async def on_settings_change(self, community_id: int, names: frozenset[str]) -> None:
        """ServerSettingsService listener: offsets or the channel may have changed; re-plan."""
        self.request(community_id, changed=True)

    def request(self, community_id: int, *, changed: bool = False) -> None:
        """Ask for a pass over ``community_id`` soon. ``changed``: the plan changed, cut a fan-out short."""
        self._request_all([community_id], changed=changed)

    def _request_all(self, community_ids: Iterable[int], *, changed: bool = False) -> None:
        """Ask for passes over several communities, reading the served set once (not once per community)."""
        if self._stopping:
            return
        served = frozenset(self._served())
        for community_id in community_ids:
            if community_id not in served:
                self._wakeups.forget(community_id)  # left, or moved to another process's shard
                continue
            self._queued[community_id] = self._queued.get(community_id, False) or changed
        if self._queued and (self._worker is None or self._worker.done()):
            self._worker = asyncio.create_task(self._work(), name="reminders-worker")

    async def idle(self) -> None:
        """Wait until every requested pass has run (for tests and orderly shutdowns)."""
        while self._checks:
            await asyncio.wait(set(self._checks))
        while (worker := self._worker) is not None and not worker.done():
            await asyncio.wait({worker})

    def arrived(self, community_ids: Sequence[int]) -> None:
        """Communities this process starts serving (joined, or found at a shard's ready): a few at once get a pass
        each; many at once (a shard's ready) are looked at together, as at start-up, and planned in chunks."""
        if len(community_ids) < ARRIVALS_LOOKED_AT_TOGETHER:
            self._request_all(community_ids)
        else:
            self._check_in_background(frozenset(community_ids))

    def _check_in_background(self, only: frozenset[int] | None) -> None:
        if self._stopping:
            return
        check = asyncio.create_task(self._sweep(only=only), name="reminders-check")
        self._checks.add(check)
        check.add_done_callback(self._checks.discard)

    def _wake_up(self, community_ids: list[int]) -> None:
        self._request_all(community_ids)

    async def _sweep(self, *, only: frozenset[int] | None = None) -> None:
        try:
            async with self._stale_check:
                await self._request_stale(only=only)
        except Exception:
            log.exception("looking for reminders to plan failed; the next sweep tries again")

    async def _request_stale(self, *, only: frozenset[int] | None = None) -> None:
        """Plan every served community whose plan is stale, pass over those with work now; arm the others.

        A few queries for every community at once (their plan stamps, programme digests, settings, and
        deliveries due or claims to settle), so that neither start-up nor the sweep costs a round of queries
        per server. Stale: never planned, or planned from another programme or other settings, or its next
        reminder is due. A stale community with work now (a claim to settle, a delivery due) gets a pass; the
        others are planned a chunk at a time (``_planning``), and only those whose new plan has a reminder due
        now get a pass too.
        """
        served = sorted(self._served())
        if not served or self._stopping:
            return
        if only is not None:
            served = [c for c in served if c in only]
        if not served:
            return
        now = self._clock()
        # Only the communities this process serves: each process reads its own share, not every server's rows.
        stamps = await self.repository.plan_stamps(served)
        programmes = await self._programme.fingerprints(served)
        settings = await self._settings.get_many(served)
        with_work = await self.repository.with_work_now(now, served)
        to_pass: list[int] = []
        to_plan: list[int] = []
        for community_id in served:
            stamp = stamps.get(community_id)
            if community_id in with_work or (
                stamp is not None and stamp.next_due_at is not None and stamp.next_due_at <= now
            ):
                to_pass.append(community_id)
            elif stamp is None or stamp.fingerprint != plan_fingerprint(
                programmes.get(community_id), settings[community_id]
            ):
                if community_id not in self._queued:  # a queued pass plans it anyway
                    to_plan.append(community_id)
            elif community_id not in self._queued:
                self._arm_wakeup(community_id, stamp.next_due_at, now)
        self._request_all(to_pass)
        await self._plan_in_chunks(to_plan, digests=programmes, settings=settings, stamps=stamps)

    async def _plan_in_chunks(
        self,
        community_ids: Sequence[int],
        *,
        digests: Mapping[int, str],
        settings: Mapping[int, ServerSettings],
        stamps: Mapping[int, PlanStamp],
    ) -> None:
        """Plan communities without work now a chunk at a time, arm their wake-ups, and pass over those whose
        new plan has a reminder due now (or that a pass planned meanwhile). A chunk that fails gets a pass each."""
        for start in range(0, len(community_ids), PLAN_BATCH):
            if self._stopping:
                return
            # Requested meanwhile (a settings change, a wake-up): its pass plans it.
            chunk = [c for c in community_ids[start : start + PLAN_BATCH] if c not in self._queued]
            if not chunk:
                continue
            try:
                planned = await self._planner.plan(chunk, digests=digests, settings=settings, stamps=stamps)
            except Exception:
                log.exception("planning %d communities at once failed; planning each on its own", len(chunk))
                self._request_all(chunk)
                continue
            for community_id, next_due in planned.next_due.items():
                if community_id not in self._queued:
                    self._arm_wakeup(community_id, next_due, planned.now)
            self._request_all(planned.needs_pass)

    async def _work(self) -> None:
        """Run the queued passes, up to PASS_CONCURRENCY at once and never two of one community at once (one
        requested while its pass runs waits in the queue for it). A pass whose claimed delivery waits for the
        pacer leaves its place to another (up to CLAIMS_AHEAD of them), so that the next deliveries are claimed
        while the pacer sends."""
        running: dict[int, asyncio.Task[None]] = {}
        self.feed.begin()
        turns, starved, lost = self.feed.turns, self.feed.starved, self.feed.lost
        try:
            while self._queued or running:
                if not self._stopping:
                    free = min(
                        PASS_CONCURRENCY - (len(running) - self.feed.waiting),
                        PASS_CONCURRENCY + CLAIMS_AHEAD - len(running),
                    )
                    for community_id in self._next_passes(free, running):
                        del self._queued[community_id]
                        running[community_id] = asyncio.create_task(
                            self._pass_logged(community_id), name=f"reminders-pass-{community_id}"
                        )
                if not running:
                    return
                self._claimed_ahead.clear()
                claimed = asyncio.ensure_future(self._claimed_ahead.wait())
                done, _ = await asyncio.wait([*running.values(), claimed], return_when=asyncio.FIRST_COMPLETED)
                claimed.cancel()
                for community_id in [c for c, task in running.items() if task in done]:
                    del running[community_id]
        finally:
            for task in running.values():
                task.cancel()
            if running:
                await asyncio.wait(running.values())
            if self.feed.turns > turns:
                log.info(
                    "reminders: %d paced requests, %d of them late because nothing was claimed when their turn "
                    "came (%.2f s lost)",
                    self.feed.turns - turns,
                    self.feed.starved - starved,
                    self.feed.lost - lost,
                )

    def _next_passes(self, free: int, running: dict[int, asyncio.Task[None]]) -> list[int]:
        """Up to ``free`` queued communities whose pass is not running, oldest request first (looking past at
        most the running ones, so a long queue costs nothing per pass)."""
        chosen: list[int] = []
        if free <= 0:
            return chosen
        for community_id in self._queued:
            if community_id not in running:
                chosen.append(community_id)
                if len(chosen) == free:
                    break
        return chosen

    async def _pass_logged(self, community_id: int) -> None:
        try:
            await self.run_pass(community_id)
        except Exception:
            log.exception("a reminder pass failed for community %s; the next sweep tries again", community_id)

    # --- one pass -------------------------------------------------------------------------------------

    async def run_pass(self, community_id: int) -> None:
        """Re-plan, re-arm the wake-ups, and send what is due now. Safe to run at any time."""
        if self._sender is not None:
            await self._check_outbox(community_id)
        now = self._clock()
        # The digest is read before the programme: a change in between makes the stamp stale, never wrong.
        programme_digest = (await self._programme.fingerprints([community_id])).get(community_id)
        programme = await self._programme.get(community_id)
        settings = await self._settings.get(community_id)
        sessions = programme.sessions if programme else ()
        plan = plan_reminders(sessions, settings.reminder_offsets)
        decisions = pending_decisions(plan, now)
        waiting = [r for r, d in decisions if d is ReminderDecision.WAIT]
        due = [r for r, d in decisions if d is ReminderDecision.SEND]
        dropped = [r for r, d in decisions if d is ReminderDecision.SKIP]
        next_due = min((r.due_at for r in waiting), default=None)
        result = await self.repository.replan(
            community_id,
            active=waiting + due,
            dropped=dropped,
            channel_id=settings.reminder_channel_id,
            now=now,
            stamp=PlanStamp(plan_fingerprint(programme_digest, settings), next_due),
        )
        if result.skipped:
            log.warning(
                "skipped %d reminder deliveries for community %s: their session started or a later reminder is due",
                result.skipped,
                community_id,
            )
        if result.deleted:
            log.info(
                "dropped %d unsent reminder deliveries no longer planned for community %s", result.deleted, community_id
            )
        self._arm_wakeup(community_id, next_due, now)
        if not due:
            return
        if self._sender is None:
            if not self._warned_no_sender:
                log.warning("reminders are due but this service has no Discord sender: nothing can be sent")
                self._warned_no_sender = True
            return
        await self._send_due(community_id, due, plan, sessions, settings, now)

    async def _send_due(
        self,
        community_id: int,
        due: list[PlannedReminder],
        plan: Sequence[PlannedReminder],
        sessions: Sequence[SessionRecord],
        settings: ServerSettings,
        now: datetime,
    ) -> None:
        """The DM rows of the reminders due now, then every delivery ready to send, at the shared pace.

        Runs beside other communities' passes: only each paced request waits for the others (``_deliver``)."""
        interested_too = (await self._settings.get(community_id)).remind_interested
        for reminder in due:
            added = await self.repository.add_dm_rows(community_id, reminder, now, interested_too=interested_too)
            if added:
                log.info("reminder %s for community %s: %d DMs to send", reminder.key, community_id, added)
        reminders = {reminder_id(r): r for r in due}
        by_session = {s.id: s for s in sessions}
        messages: dict[tuple[ReminderId, TargetKind], OutgoingMessage] = {}
        for delivery in await self.repository.ready(community_id, now):
            if self._stopping or self._queued.get(community_id):
                break  # shutting down, or the plan changed: the next pass re-plans first
            planned = reminders.get(delivery.reminder)
            if planned is None:
                continue  # a reminder the next re-plan will deal with
            if (delivery.target_kind, delivery.target_id) in self._unsettled:
                continue  # a claim on this target is unsettled: a look after a crash takes the newest post as it
            if decide(planned, plan, self._clock()) is not ReminderDecision.SEND:
                continue  # time moved on during the fan-out: the next pass skips it
            key = (delivery.reminder, delivery.target_kind)
            if key not in messages:
                messages[key] = await self._compose(by_session[planned.session_id], delivery.target_kind, settings)
            await self._deliver(delivery, messages[key])

    # --- the outbox check -----------------------------------------------------------------------------

    async def _check_outbox(self, community_id: int) -> None:
        """Settle the deliveries a process that is gone left claimed (sent or not, nobody knows) before sending
        anything. Every pass looks, so a claim left by another process (killed during a rolling restart, or
        before its shards moved here) is settled as soon as that process is gone, and never while it lives.

        Each is looked for among the target's recent messages: found, it is recorded as sent; not found, it
        is sent again (with its nonce). When the bot cannot look, a blind resend is safe only where the platform
        drops a resend with the same nonce (``drops_resends``: Discord, within its nonce window); otherwise the
        delivery is given up, logged and shown to organisers, rather than risk a second copy of the reminder.
        """
        for delivery in await self.repository.abandoned(community_id):
            await self._settle(delivery)

    async def _settle(self, delivery: Delivery) -> None:
        assert self._sender is not None
        now = self._clock()
        target = (delivery.target_kind, delivery.target_id)
        self._unsettled.discard(target)
        if delivery.claimed_digest is None:  # claimed before the bot kept digests
            await self.repository.release_claim(delivery.id, now, community_id=delivery.community_id)
            return
        after = await self.repository.latest_message_to(delivery.target_kind, delivery.target_id)
        find = self._sender.find_in_dms if delivery.target_kind is TargetKind.DM else self._sender.find_in_channel
        try:
            async with self._sending:  # a look at the platform is a request too: at the shared pace
                await self.throttle.wait(_cost(delivery))
                found = await find(
                    delivery.target_id,
                    community_id=delivery.community_id,
                    nonce=delivery.nonce,
                    digest=delivery.claimed_digest,
                    after=after,
                )
        except (OutboxUnreadable, DeliveryFailed, DeliveryRefused) as error:
            await self._settle_unseen(delivery, error, now)
            return
        if found is not None:
            log.warning("reminder delivery %s was sent before the bot stopped; recording it as sent", delivery.id)
            await self.repository.mark_sent(delivery.id, found, now, community_id=delivery.community_id)
        else:
            log.warning(
                "reminder delivery %s was interrupted before the platform took it; sending it again", delivery.id
            )
            await self.repository.release_claim(delivery.id, now, community_id=delivery.community_id)

    async def _settle_unseen(self, delivery: Delivery, error: Exception, now: datetime) -> None:
        """The look failed. Resend blind only where the platform drops the duplicate; where it does not, look again
        at the next pass while the platform is only unavailable (nothing else is sent to the target meanwhile),
        and give the delivery up once the look is refused or the nonce window has passed."""
        assert self._sender is not None
        reason = getattr(error, "reason", type(error).__name__)
        within_window = now - delivery.updated_at <= NONCE_WINDOW
        drops_resends = self._sender.drops_resends(delivery.target_id)
        if within_window and drops_resends:
            log.warning(
                "reminder delivery %s: cannot check whether it was sent (%s); resending within the nonce window",
                delivery.id,
                reason,
            )
            await self.repository.release_claim(delivery.id, now, community_id=delivery.community_id)
            return
        if within_window and type(error) is DeliveryFailed:  # unavailable for now: not a refusal to show
            log.warning(
                "reminder delivery %s: cannot check whether it was sent (%s); the platform would not drop a resend, "
                "so the bot looks again at the next pass",
                delivery.id,
                reason,
            )
            self._unsettled.add((delivery.target_kind, delivery.target_id))
            return
        log.error(
            "reminder delivery %s: cannot check whether it was sent before the bot stopped (%s); not resending it",
            delivery.id,
            reason,
        )
        await self.repository.mark_undeliverable(
            delivery.id, f"{OUTCOME_UNKNOWN}: {reason}", now, community_id=delivery.community_id
        )
        self._problems.record(delivery.community_id, *_outcome_unknown(delivery, error, drops_resends=drops_resends))

    async def _compose(self, session: SessionRecord, kind: TargetKind, settings: ServerSettings) -> OutgoingMessage:
        threads = await self.repository.open_threads([p.id for p in session.prompts])
        message = compose_reminder(
            session,
            meeting_link=session.meeting_link or settings.meeting_link,
            threads=threads,
            ping_role_id=settings.ping_role_id if kind is TargetKind.CHANNEL else None,  # DMs never ping
        )
        return dataclasses.replace(message, community_id=settings.community_id)

    async def _deliver(self, delivery: Delivery, message: OutgoingMessage) -> None:
        """Claim the delivery ahead of its turn, make the paced request, then record how it went.

        Only the request holds ``_sending``: the claim is taken while the pacer makes another pass's request, and
        the mark is written while it makes the next one, so the database's time never stands between two paced
        requests (``PacerFeed`` counts the turns where it did)."""
        assert self._sender is not None
        target = (delivery.target_kind, delivery.target_id)
        # One claim on a target at a time (a member's DMs are shared by the servers they are in): the outbox check
        # after a crash takes the newest message to a target as the last one sent, so sends to one target never
        # overlap their claims.
        while (busy := self._targets_in_flight.get(target)) is not None:
            await busy.wait()
        if self._stopping:
            return
        self._targets_in_flight[target] = done = asyncio.Event()
        try:
            if not await self.repository.claim(
                delivery.id,
                self._clock(),
                digest=content_digest(message.content),
                community_id=delivery.community_id,
            ):
                return  # sent, skipped or dropped since the list was read
            outcome = await self._paced_send(delivery, message)
            await self._record(delivery, outcome)
        finally:
            del self._targets_in_flight[target]
            done.set()

    async def _paced_send(self, delivery: Delivery, message: OutgoingMessage) -> int | Exception | None:
        """The critical section: wait for this request's turn at the shared pace and make it, nothing else.

        Returns the message's id, the error the send raised, or None when it was not made (the service is
        stopping, or the community's plan changed while the claim waited for its turn).
        """
        assert self._sender is not None
        self.feed.claimed()
        self._claimed_ahead.set()
        try:
            await self._sending.acquire()
        except BaseException:
            self.feed.waiting -= 1
            raise
        try:
            self.feed.take_turn(self._monotonic(), self.throttle.next_turn)
            if self._stopping or self._queued.get(delivery.community_id):
                return None  # released unsent: the next pass re-plans first
            await self.throttle.wait(_cost(delivery))  # channel posts too: one pace for every reminder request
            if self._stopping:
                return None
            pause: float | None = None
            try:
                if delivery.target_kind is TargetKind.DM:
                    return await self._sender.send_to_member(delivery.target_id, message, nonce=delivery.nonce)
                return await self._sender.send_to_channel(delivery.target_id, message, nonce=delivery.nonce)
            except ChannelRefused as refused:
                return refused
            except DeliveryFailed as failed:
                pause = failed.retry_after  # a 429 pauses the whole pace, not only this delivery
                return failed
            except Exception as error:  # DeliveryRefused, or a bug: recorded after the critical section
                return error
            finally:
                self.throttle.sent(pause=pause)
        finally:
            self.feed.freed(self._monotonic())
            self._sending.release()

    async def _record(self, delivery: Delivery, outcome: int | Exception | None) -> None:
        """The mark after a paced request: sent, refused for good, to retry later, or back to pending unsent."""
        now = self._clock()
        if outcome is None:
            await self.repository.release_claim(delivery.id, now, community_id=delivery.community_id)
        elif isinstance(outcome, DeliveryRefused):
            await self.repository.mark_undeliverable(
                delivery.id, outcome.reason, now, community_id=delivery.community_id
            )
            level = logging.INFO if outcome.reason == DMS_CLOSED else logging.ERROR
            log.log(level, "reminder delivery %s (%s) refused: %s", delivery.id, delivery.target_kind, outcome.reason)
        elif isinstance(outcome, ChannelRefused):
            self._channel_refused(delivery.community_id, outcome)
            await self._retry_later(delivery, outcome.reason, None)
        elif isinstance(outcome, DeliveryFailed):
            await self._retry_later(delivery, outcome.reason, outcome.retry_after)
        elif isinstance(outcome, Exception):  # a bug or an unexpected error: keep the row and try again later
            log.error("reminder delivery %s failed unexpectedly", delivery.id, exc_info=outcome)
            await self._retry_later(delivery, f"unexpected error: {type(outcome).__name__}", None)
        else:
            await self.repository.mark_sent(delivery.id, outcome, now, community_id=delivery.community_id)
            if delivery.target_kind is TargetKind.CHANNEL:
                self._problems.clear(delivery.community_id, _channel_key(delivery.target_id))

    def _channel_refused(self, community_id: int, refused: ChannelRefused) -> None:
        # What is wrong and its fix are the platform's words (the adapter's); the way out is the same everywhere
        # (a channel not the community's own has no other: its fix already is choosing another).
        way_out = "" if refused.foreign else ", or choose another reminder channel with /setup"
        fix = f"{refused.fix}{way_out}. The bot retries the reminder a few times."
        log.error("reminder post refused in channel %s: %s", refused.channel_id, refused.reason)
        self._problems.record(community_id, _channel_key(refused.channel_id), refused.problem, fix)

    async def _retry_later(self, delivery: Delivery, reason: str, retry_after: float | None) -> None:
        now = self._clock()
        attempts = delivery.attempts + 1  # the claim counted this attempt
        if attempts >= MAX_ATTEMPTS:
            log.error("reminder delivery %s given up after %d attempts: %s", delivery.id, attempts, reason)
            await self.repository.mark_undeliverable(
                delivery.id,
                f"gave up after {attempts} attempts: {reason}",
                now,
                community_id=delivery.community_id,
            )
            return
        backoff = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
        if retry_after is not None:
            backoff = max(backoff, timedelta(seconds=retry_after))
        log.warning("reminder delivery %s failed (%s); retrying in %s", delivery.id, reason, backoff)
        await self.repository.mark_retry(delivery.id, reason, now + backoff, now, community_id=delivery.community_id)

    async def take_dms_closed_notice(self, community_id: int, user_id: int) -> bool:
        """Whether to tell this member, now and privately, that their reminder DM was refused (DMs closed).

        Once per member (until they subscribe again); told the next time they use the bot, never in a channel:
        a public notice would show who asked for DM reminders. Organisers see such failures only as counts
        (/stats, with small counts hidden). Call ``release_dms_closed_notice`` if the notice was not delivered.
        """
        claimed = await self.repository.claim_dms_closed_notices(community_id, self._clock(), limit=1, user_id=user_id)
        return bool(claimed)

    async def release_dms_closed_notice(self, community_id: int, user_id: int) -> None:
        await self.repository.unclaim_dms_closed_notices(community_id, [user_id])

    def _arm_wakeup(self, community_id: int, next_due: datetime | None, now: datetime) -> None:
        """Tell the wake-ups when this community's earliest waiting reminder falls due (one entry a community)."""
        if next_due is None:
            self._wakeups.forget(community_id)
            return
        # APScheduler runs on the real clock; the service decides on its own (injectable) clock. Arm the wake-up
        # the same distance ahead as the reminder is, so a test clock never makes it fire in a loop.
        self._wakeups.set(community_id, datetime.now(UTC) + (next_due - now))

    # --- members' DM setting --------------------------------------------------------------------------

    async def set_dm_reminders(self, community_id: int, user_id: int, on: bool) -> DmReminderStatus:
        now = self._clock()
        if on:
            changed = await self.repository.subscribe(community_id, user_id, now)
        else:
            changed = await self.repository.unsubscribe(community_id, user_id, now)
        if changed:
            log.info("DM reminders turned %s for a member of guild %s", "on" if on else "off", community_id)
        return await self._status(community_id, user_id, changed=changed)

    async def dm_reminder_status(self, community_id: int, user_id: int) -> DmReminderStatus:
        return await self._status(community_id, user_id, changed=False)

    async def _status(self, community_id: int, user_id: int, *, changed: bool) -> DmReminderStatus:
        subscription = await self.repository.subscription(community_id, user_id)
        settings = await self._settings.get(community_id)
        return DmReminderStatus(
            on=subscription is not None,
            changed=changed,
            offsets=settings.reminder_offsets,
            channel_id=settings.reminder_channel_id,
            dms_found_closed=subscription is not None and await self.repository.dms_found_closed(community_id, user_id),
            last_outcome_unknown=subscription is not None
            and await self.repository.last_dm_outcome_unknown(community_id, user_id),
        )

    # --- the schedule ---------------------------------------------------------------------------------

    async def schedule(self, community_id: int) -> ReminderSchedule:
        """Every planned reminder with its due time and the state of each of its deliveries."""
        now = self._clock()
        programme = await self._programme.get(community_id)
        settings = await self._settings.get(community_id)
        sessions = programme.sessions if programme else ()
        plan = plan_reminders(sessions, settings.reminder_offsets)
        rows: dict[ReminderId, list[Delivery]] = {}
        for delivery in await self.repository.deliveries(community_id):
            rows.setdefault(delivery.reminder, []).append(delivery)
        by_session = {s.id: s for s in sessions}
        entries = []
        for reminder, decision in pending_decisions(plan, now):
            mine = rows.get(reminder_id(reminder), [])
            channel_rows = [d for d in mine if d.target_kind is TargetKind.CHANNEL]
            entries.append(
                ScheduledReminder(
                    reminder=reminder,
                    week=reminder.week,
                    title=by_session[reminder.session_id].title,
                    decision=decision,
                    channel=_most_telling(channel_rows, settings.reminder_channel_id),
                    dm_states=Counter(d.state for d in mine if d.target_kind is TargetKind.DM),
                )
            )
        return ReminderSchedule(
            community_id=community_id,
            title=programme.title if programme else None,
            timezone=programme.timezone if programme else None,
            offsets=settings.reminder_offsets,
            channel_id=settings.reminder_channel_id,
            ping_role_id=settings.ping_role_id,
            subscribers=await self.repository.subscriber_count(community_id),
            entries=tuple(entries),
            now=now,
        )


def _channel_key(channel_id: int) -> str:
    return f"reminders:{channel_id}"


def _outcome_unknown(delivery: Delivery, error: Exception, *, drops_resends: bool) -> tuple[str, str, str]:
    """What organisers see of a delivery given up because the bot could not check whether it was sent: the key,
    the problem and its fix. The platform's adapter words the place and the fix (OutboxUnreadable); a failure that
    is not one (the platform unreachable) says only what is the same everywhere."""
    lacks = getattr(error, "lacks", None)
    fix = getattr(error, "fix", None)
    why = (
        "to avoid a duplicate"
        if drops_resends
        else "because this platform would show a second copy rather than drop it"
    )
    if delivery.target_kind is TargetKind.CHANNEL:
        where = getattr(error, "where", None) or "the reminder channel"
        return (
            f"reminders-outbox:{delivery.target_id}",
            f"The bot stopped while posting a reminder in {where} and cannot check whether it was posted"
            f"{f': {lacks}' if lacks else ''}. It was not posted again, {why}.",
            f"Look in {where}, and post the reminder by hand if it is missing.{f' {fix}' if fix else ''}",
        )
    return (
        "reminders-outbox:dms",
        f"The bot stopped while sending a reminder by direct message and cannot check whether the member got it"
        f"{f': {lacks}' if lacks else ''}. It was not sent again, {why}; the member is told when they next "
        "look at their reminder setting.",
        fix or "Nothing to do if it happens rarely: it follows a crash or a restart in the middle of sending.",
    )


def _cost(delivery: Delivery) -> float:
    """The delivery's share of one DM's slot at the pace (a DM takes two requests, a channel post one)."""
    return CHANNEL_POST_COST if delivery.target_kind is TargetKind.CHANNEL else 1.0


def _most_telling(rows: Sequence[Delivery], channel_id: int | None) -> Delivery | None:
    """The channel row to show: one sent (to any channel) first, else the current channel's, else any."""
    for delivery in rows:
        if delivery.state in (DeliveryState.SENT, DeliveryState.CLAIMED):
            return delivery
    for delivery in rows:
        if delivery.target_id == channel_id:
            return delivery
    return rows[0] if rows else None
