"""The reminder tables: DM subscriptions and the delivery ledger (one row per reminder and target).

The ledger, not the scheduler, is the record of what is due and what was sent. A row moves
pending -> claimed (atomically, just before the send) -> sent | undeliverable, or back to pending to be
retried later; a pending row whose reminder the catch-up rules drop becomes skipped. Rows a process that is
gone left claimed (``abandoned``) are settled by the service's outbox check; the command line, which sends
nothing, puts them back to pending (``release_claims``). A resend carries the row's nonce, so Discord drops the
duplicate if the first send had got through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.reminders import DMS_CLOSED, PlannedReminder, reminder_nonce
from bot.storage.codec import from_db_time, optional_time, to_db_time
from bot.storage.engine import Connection, Database, Params, Row, community_filters, in_chunks, placeholders

_MINUTE = timedelta(minutes=1)
# How a delivery given up after a crash begins its last_error: the bot could not check whether it had been sent.
OUTCOME_UNKNOWN = "outcome unknown"


class DeliveryState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"
    SKIPPED = "skipped"


class TargetKind(StrEnum):
    CHANNEL = "channel"
    DM = "dm"


ReminderId = tuple[int, int, datetime]
"""(session_id, offset_minutes, due_at): one reminder; due_at is in it so a re-dated session's are new."""


def reminder_id(reminder: PlannedReminder) -> ReminderId:
    return (reminder.session_id, reminder.offset // _MINUTE, reminder.due_at)


def delivery_nonce(reminder: ReminderId, kind: TargetKind, target_id: int) -> str:
    """The Discord nonce of one (reminder, target): the same on every attempt, new if the session moves."""
    session_id, offset_minutes, due_at = reminder
    return reminder_nonce(f"s{session_id}-o{offset_minutes}@{to_db_time(due_at)}", f"{kind}:{target_id}")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One ledger row: a reminder to one target."""

    id: int
    community_id: int
    session_id: int
    offset_minutes: int
    due_at: datetime
    target_kind: TargetKind
    target_id: int
    state: DeliveryState
    nonce: str
    attempts: int
    message_id: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    updated_at: datetime
    claimed_digest: str | None = None  # what the latest claim was about to send (see content_digest)
    claimed_by: str | None = None  # the process that took the latest claim (Database.owner_token)

    @property
    def reminder(self) -> ReminderId:
        return (self.session_id, self.offset_minutes, self.due_at)


@dataclass(frozen=True, slots=True)
class Subscription:
    community_id: int
    user_id: int
    subscribed_at: datetime
    dms_closed_noticed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PlanStamp:
    """What a community's reminders were last planned from (``fingerprint``), and when the next one is due."""

    fingerprint: str
    next_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplanResult:
    inserted: int  # channel rows written for reminders now planned
    deleted: int  # pending rows of reminders no longer planned (a moved session, a dropped offset...)
    skipped: int  # pending rows of reminders the catch-up rules dropped


@dataclass(frozen=True, slots=True)
class CommunityPlan:
    """One community's part of ``replan_many``: ``replan``'s arguments, and the stamp the plan was made over."""

    community_id: int
    active: tuple[PlannedReminder, ...]
    dropped: tuple[PlannedReminder, ...]
    channel_id: int | None
    stamp: PlanStamp
    expected: PlanStamp | None  # the community's stamp when its plan was read (None: never planned)


@dataclass(frozen=True, slots=True)
class ManyReplanned:
    results: dict[int, ReplanResult]  # community -> what its re-plan changed
    superseded: tuple[int, ...]  # communities another pass planned meanwhile: left as that pass left them


@dataclass(frozen=True, slots=True)
class _LedgerChange:
    skip: list[int]
    delete: list[int]
    insert: list[ReminderId]


def _ledger_change(plan: CommunityPlan, rows: Iterable[Row]) -> _LedgerChange:
    """What ``replan`` does to one community's rows (its pending rows, and its channel rows), worked out in memory:
    pending rows of dropped reminders are skipped; pending rows of reminders no longer planned, or for another
    channel, are deleted; a channel row is inserted for each active reminder that has none for this channel and
    none sent (or being sent) to an earlier one."""
    active_ids = {reminder_id(r) for r in plan.active}
    dropped_ids = {reminder_id(r) for r in plan.dropped}
    skip: list[int] = []
    delete: list[int] = []
    taken: set[ReminderId] = set()
    for row in rows:
        identity = (row["session_id"], row["offset_minutes"], from_db_time(row["due_at"]))
        if row["state"] == DeliveryState.PENDING:
            if identity in dropped_ids:
                skip.append(row["id"])
            elif identity not in active_ids or (
                row["target_kind"] == TargetKind.CHANNEL and row["target_id"] != plan.channel_id
            ):
                delete.append(row["id"])
                continue  # gone: it takes no reminder's place
        if row["target_kind"] == TargetKind.CHANNEL and (
            row["target_id"] == plan.channel_id or row["state"] in (DeliveryState.SENT, DeliveryState.CLAIMED)
        ):
            taken.add(identity)
    insert = sorted(active_ids - taken) if plan.channel_id is not None else []
    return _LedgerChange(skip, delete, insert)


_COLUMNS = (
    "id, community_id, session_id, offset_minutes, due_at, target_kind, target_id, state, nonce, attempts, "
    "message_id, last_error, next_attempt_at, updated_at, claimed_digest, claimed_by"
)


def _delivery(row: Row) -> Delivery:
    return Delivery(
        id=row["id"],
        community_id=row["community_id"],
        session_id=row["session_id"],
        offset_minutes=row["offset_minutes"],
        due_at=from_db_time(row["due_at"]),
        target_kind=TargetKind(row["target_kind"]),
        target_id=row["target_id"],
        state=DeliveryState(row["state"]),
        nonce=row["nonce"],
        attempts=row["attempts"],
        message_id=row["message_id"],
        last_error=row["last_error"],
        next_attempt_at=optional_time(row["next_attempt_at"]),
        updated_at=from_db_time(row["updated_at"]),
        claimed_digest=row["claimed_digest"],
        claimed_by=row["claimed_by"],
    )


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Processes found gone: a token is new at every start, so one found gone stays gone (no second probe).
        self._gone_owners: set[str] = set()

    # --- subscriptions --------------------------------------------------------------------------------

    async def subscription(self, community_id: int, user_id: int) -> Subscription | None:
        row = await self._db.fetchone(
            "SELECT subscribed_at, dms_closed_noticed_at FROM dm_subscriptions WHERE community_id = ? AND user_id = ?",
            (community_id, user_id),
        )
        if row is None:
            return None
        return Subscription(community_id, user_id, from_db_time(row[0]), optional_time(row[1]))

    async def subscribe(self, community_id: int, user_id: int, now: datetime) -> bool:
        """Turn DM reminders on; False if they already were (the original time is kept)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM dm_opt_outs WHERE community_id = ? AND user_id = ?", (community_id, user_id)
            )
            inserted = await conn.execute(
                "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (community_id, user_id) DO NOTHING",
                (community_id, user_id, to_db_time(now)),
            )
            return inserted == 1

    async def unsubscribe(self, community_id: int, user_id: int, now: datetime) -> bool:
        """Turn DM reminders off, dropping DMs not sent yet; False if they were not on. Remembered as an
        opt-out, which wins over being Interested in a session's event."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO dm_opt_outs (community_id, user_id, opted_out_at) VALUES (?, ?, ?) "
                "ON CONFLICT (community_id, user_id) DO NOTHING",
                (community_id, user_id, to_db_time(now)),
            )
            removed = await conn.execute(
                "DELETE FROM dm_subscriptions WHERE community_id = ? AND user_id = ?", (community_id, user_id)
            )
            await conn.execute(
                "DELETE FROM reminder_deliveries WHERE community_id = ? AND target_kind = 'dm' AND target_id = ? "
                "AND state = 'pending'",
                (community_id, user_id),
            )
        return removed == 1

    async def subscriber_count(self, community_id: int) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM dm_subscriptions WHERE community_id = ?", (community_id,))
        return int(row[0]) if row else 0

    # --- planning -------------------------------------------------------------------------------------

    async def replan(
        self,
        community_id: int,
        *,
        active: Iterable[PlannedReminder],
        dropped: Iterable[PlannedReminder],
        channel_id: int | None,
        now: datetime,
        stamp: PlanStamp | None = None,
    ) -> ReplanResult:
        """Bring the ledger in line with the plan, in one transaction.

        ``active`` are the reminders still to send (not due yet, or due and to send now); ``dropped`` those
        the catch-up rules skip; ``stamp`` (what the plan was made from) is recorded with it. Pending rows of
        dropped reminders become skipped; pending rows of
        reminders no longer planned at all (a re-dated session's old time, a removed offset) or for
        another channel are deleted: they were never sent, and their replacements are written here.
        A channel row is written for each active reminder unless one was already sent (or is being
        sent) to an earlier channel, so changing the channel does not repeat a reminder.
        """
        active_ids = {reminder_id(r) for r in active}
        dropped_ids = {reminder_id(r) for r in dropped}
        written_at = to_db_time(now)
        async with self._db.transaction(community_id) as conn:
            if stamp is not None:
                await conn.execute(
                    "INSERT INTO reminder_plans (community_id, fingerprint, next_due_at, planned_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                    "next_due_at = excluded.next_due_at, planned_at = excluded.planned_at",
                    (
                        community_id,
                        stamp.fingerprint,
                        None if stamp.next_due_at is None else to_db_time(stamp.next_due_at),
                        written_at,
                    ),
                )
            pending = await conn.fetchall(
                "SELECT id, session_id, offset_minutes, due_at, target_kind, target_id FROM reminder_deliveries "
                "WHERE community_id = ? AND state = 'pending'",
                (community_id,),
            )
            to_skip: list[int] = []
            to_delete: list[int] = []
            for row in pending:
                identity = (row["session_id"], row["offset_minutes"], from_db_time(row["due_at"]))
                if identity in dropped_ids:
                    to_skip.append(row["id"])
                elif identity not in active_ids or (
                    row["target_kind"] == TargetKind.CHANNEL and row["target_id"] != channel_id
                ):
                    to_delete.append(row["id"])
            for chunk in in_chunks(to_skip):
                await conn.execute(
                    f"UPDATE reminder_deliveries SET state = 'skipped', updated_at = ? "
                    f"WHERE id IN ({placeholders(chunk)})",
                    (written_at, *chunk),
                )
            for chunk in in_chunks(to_delete):
                await conn.execute(f"DELETE FROM reminder_deliveries WHERE id IN ({placeholders(chunk)})", chunk)
            inserted = 0
            if channel_id is not None:
                fresh = await self._unwritten_channel_rows(conn, active_ids, channel_id)
                await conn.executemany(
                    "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
                    "target_id, nonce, updated_at) VALUES (?, ?, ?, ?, 'channel', ?, ?, ?)",
                    [
                        (
                            community_id,
                            session_id,
                            offset_minutes,
                            to_db_time(due_at),
                            channel_id,
                            delivery_nonce((session_id, offset_minutes, due_at), TargetKind.CHANNEL, channel_id),
                            written_at,
                        )
                        for session_id, offset_minutes, due_at in fresh
                    ],
                )
                inserted = len(fresh)
        return ReplanResult(inserted=inserted, deleted=len(to_delete), skipped=len(to_skip))

    @staticmethod
    async def _unwritten_channel_rows(
        conn: Connection, active_ids: set[ReminderId], channel_id: int
    ) -> list[ReminderId]:
        """The active reminders that need a channel row: none for this channel yet, and none sent (or being sent)
        to an earlier channel. One read for them all, in the re-plan's transaction (which holds the community's
        write lock, so nothing slips in between), then one batch of inserts: not a statement per reminder."""
        session_ids = sorted({session_id for session_id, _, _ in active_ids})
        taken: set[ReminderId] = set()
        for chunk in in_chunks(session_ids):
            rows = await conn.fetchall(
                "SELECT session_id, offset_minutes, due_at FROM reminder_deliveries WHERE target_kind = 'channel' "
                f"AND (target_id = ? OR state IN ('sent', 'claimed')) AND session_id IN ({placeholders(chunk)})",
                (channel_id, *chunk),
            )
            taken.update((row[0], row[1], from_db_time(row[2])) for row in rows)
        return sorted(active_ids - taken)

    async def add_dm_rows(
        self, community_id: int, reminder: PlannedReminder, now: datetime, *, interested_too: bool = False
    ) -> int:
        """A pending DM row for each member subscribed at the reminder's due time who has none yet; with
        ``interested_too``, also for each member marked Interested in the session's event by then, unless they
        turned DM reminders off (``dm_opt_outs``: /reminders off always wins).

        Called when the reminder is due (and again on later passes, which finds nothing new unless the
        first pass was interrupted). Members who subscribe after the due time get the next reminder.
        """
        identity = reminder_id(reminder)
        session_id, offset_minutes, due_at = identity
        due_text = to_db_time(due_at)
        async with self._db.transaction(community_id) as conn:
            found = await conn.fetchall(
                # Positional parameters only (both engines), in the order they appear.
                "SELECT u.user_id FROM ("
                "SELECT s.user_id FROM dm_subscriptions s WHERE s.community_id = ? AND s.subscribed_at <= ? "
                "UNION SELECT i.user_id FROM event_interest i JOIN session_events e ON e.event_id = i.event_id "
                "JOIN sessions ss ON ss.community_id = e.community_id AND ss.week = e.week "
                "WHERE ? = 1 AND ss.id = ? AND i.marked_at <= ?) u "
                "WHERE NOT EXISTS (SELECT 1 FROM dm_opt_outs o WHERE o.community_id = ? AND o.user_id = u.user_id) "
                "AND NOT EXISTS (SELECT 1 FROM reminder_deliveries d WHERE d.session_id = ? "
                "AND d.offset_minutes = ? AND d.due_at = ? AND d.target_kind = 'dm' "
                "AND d.target_id = u.user_id) ORDER BY u.user_id",
                (
                    community_id,
                    due_text,
                    1 if interested_too else 0,
                    session_id,
                    due_text,
                    community_id,
                    session_id,
                    offset_minutes,
                    due_text,
                ),
            )
            user_ids = [row[0] for row in found]
            await conn.executemany(
                "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
                "target_id, nonce, updated_at) VALUES (?, ?, ?, ?, 'dm', ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (
                        community_id,
                        session_id,
                        offset_minutes,
                        due_text,
                        user_id,
                        delivery_nonce(identity, TargetKind.DM, user_id),
                        to_db_time(now),
                    )
                    for user_id in user_ids
                ],
            )
        return len(user_ids)

    async def plan_stamps(self, community_ids: Sequence[int] | None = None) -> dict[int, PlanStamp]:
        """What every community's reminders (or the named ones') were last planned from: one query for all of
        them, or one per 500 named."""
        select = "SELECT community_id, fingerprint, next_due_at FROM reminder_plans"
        stamps: dict[int, PlanStamp] = {}
        for where, params in community_filters(community_ids):
            for row in await self._db.fetchall(select + where, params):
                stamps[row["community_id"]] = PlanStamp(row["fingerprint"], optional_time(row["next_due_at"]))
        return stamps

    async def replan_many(self, plans: Sequence[CommunityPlan], now: datetime) -> ManyReplanned:
        """``replan`` for several communities in one transaction, with a few statements for them all.

        Each community's ledger ends as ``replan`` would leave it. A plan whose community's stamp is no longer
        the ``expected`` one (another pass planned it since it was read) is left alone and reported in
        ``superseded``: that pass's plan is as new as this one or newer.
        """
        if not plans:
            return ManyReplanned({}, ())
        by_community = {plan.community_id: plan for plan in plans}
        community_ids = sorted(by_community)
        written_at = to_db_time(now)
        async with self._db.transaction(communities=community_ids) as conn:
            current: dict[int, PlanStamp] = {}
            rows_of: dict[int, list[Row]] = {}
            for chunk in in_chunks(community_ids):
                for row in await conn.fetchall(
                    f"SELECT community_id, fingerprint, next_due_at FROM reminder_plans "
                    f"WHERE community_id IN ({placeholders(chunk)})",
                    chunk,
                ):
                    current[row["community_id"]] = PlanStamp(row["fingerprint"], optional_time(row["next_due_at"]))
                # The rows a re-plan looks at: pending ones (to keep, skip or delete), and channel rows (those
                # already written for a reminder, or sent to an earlier channel).
                for row in await conn.fetchall(
                    "SELECT id, community_id, session_id, offset_minutes, due_at, target_kind, target_id, state "
                    f"FROM reminder_deliveries WHERE community_id IN ({placeholders(chunk)}) "
                    "AND (state = 'pending' OR target_kind = 'channel')",
                    chunk,
                ):
                    rows_of.setdefault(row["community_id"], []).append(row)
            superseded = tuple(c for c in community_ids if current.get(c) != by_community[c].expected)
            results: dict[int, ReplanResult] = {}
            to_skip: list[int] = []
            to_delete: list[int] = []
            fresh: list[Params] = []
            for community_id in community_ids:
                plan = by_community[community_id]
                if community_id in superseded:
                    continue
                change = _ledger_change(plan, rows_of.get(community_id, ()))
                to_skip += change.skip
                to_delete += change.delete
                fresh += [
                    (
                        community_id,
                        session_id,
                        offset_minutes,
                        to_db_time(due_at),
                        plan.channel_id,
                        delivery_nonce((session_id, offset_minutes, due_at), TargetKind.CHANNEL, plan.channel_id),
                        written_at,
                    )
                    for session_id, offset_minutes, due_at in change.insert
                    if plan.channel_id is not None
                ]
                results[community_id] = ReplanResult(len(change.insert), len(change.delete), len(change.skip))
            for chunk in in_chunks(to_skip):
                await conn.execute(
                    f"UPDATE reminder_deliveries SET state = 'skipped', updated_at = ? "
                    f"WHERE id IN ({placeholders(chunk)})",
                    (written_at, *chunk),
                )
            for chunk in in_chunks(to_delete):
                await conn.execute(f"DELETE FROM reminder_deliveries WHERE id IN ({placeholders(chunk)})", chunk)
            if fresh:
                await conn.executemany(
                    "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
                    "target_id, nonce, updated_at) VALUES (?, ?, ?, ?, 'channel', ?, ?, ?)",
                    fresh,
                )
            if results:
                await conn.executemany(
                    "INSERT INTO reminder_plans (community_id, fingerprint, next_due_at, planned_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                    "next_due_at = excluded.next_due_at, planned_at = excluded.planned_at",
                    [
                        (
                            community_id,
                            by_community[community_id].stamp.fingerprint,
                            _db_time_or_none(by_community[community_id].stamp.next_due_at),
                            written_at,
                        )
                        for community_id in results
                    ],
                )
        return ManyReplanned(results, superseded)

    async def with_work_now(self, now: datetime, community_ids: Sequence[int] | None = None) -> set[int]:
        """Communities (all, or among those named) with a delivery to make now (pending, due, not waiting for a
        retry) or a claim to settle: one query for all of them, or one per 500 named."""
        stamp = to_db_time(now)
        found: set[int] = set()
        for where, params in community_filters(community_ids, keyword="AND"):
            rows = await self._db.fetchall(
                "SELECT DISTINCT community_id FROM reminder_deliveries WHERE (state = 'claimed' "
                "OR (state = 'pending' AND due_at <= ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))" + where,
                (stamp, stamp, *params),
            )
            found.update(row["community_id"] for row in rows)
        return found

    # --- delivering -----------------------------------------------------------------------------------

    async def ready(self, community_id: int, now: datetime) -> list[Delivery]:
        """Pending rows that are due and not waiting for a retry: channel rows first, then by due time."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM reminder_deliveries WHERE community_id = ? AND state = 'pending' AND due_at <= ? "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "ORDER BY CASE WHEN target_kind = 'dm' THEN 1 ELSE 0 END, due_at, id",
            (community_id, to_db_time(now), to_db_time(now)),
        )
        return [_delivery(row) for row in rows]

    async def claim(
        self, delivery_id: int, now: datetime, *, digest: str | None = None, community_id: int | None = None
    ) -> bool:
        """Take a pending row for sending; False if it is no longer pending (sent, skipped, deleted).

        ``digest`` identifies the text about to be sent, for the outbox check after a crash. ``community_id``
        (the row's) lets the claim run beside other communities' writes.
        """
        async with self._db.transaction(community_id) as conn:
            claimed = await conn.execute(
                "UPDATE reminder_deliveries SET state = 'claimed', attempts = attempts + 1, updated_at = ?, "
                "claimed_digest = ?, claimed_by = ? WHERE id = ? AND state = 'pending'",
                (to_db_time(now), digest, self._db.owner_token, delivery_id),
            )
            return claimed == 1

    # The marks take the row's ``community_id``, as ``claim`` does, to run beside other communities' writes.

    async def mark_sent(
        self, delivery_id: int, message_id: int, now: datetime, *, community_id: int | None = None
    ) -> None:
        await self._finish(
            delivery_id,
            "state = 'sent', message_id = ?, last_error = NULL, next_attempt_at = NULL",
            (message_id,),
            now,
            community_id,
        )

    async def mark_undeliverable(
        self, delivery_id: int, reason: str, now: datetime, *, community_id: int | None = None
    ) -> None:
        await self._finish(
            delivery_id, "state = 'undeliverable', last_error = ?, next_attempt_at = NULL", (reason,), now, community_id
        )

    async def mark_retry(
        self, delivery_id: int, reason: str, retry_at: datetime, now: datetime, *, community_id: int | None = None
    ) -> None:
        """Back to pending after a failed attempt, not to be tried again before ``retry_at``."""
        await self._finish(
            delivery_id,
            "state = 'pending', last_error = ?, next_attempt_at = ?",
            (reason, to_db_time(retry_at)),
            now,
            community_id,
        )

    async def _finish(
        self,
        delivery_id: int,
        assignments: str,
        params: Sequence[object],
        now: datetime,
        community_id: int | None,
    ) -> None:
        async with self._db.transaction(community_id) as conn:
            await conn.execute(
                f"UPDATE reminder_deliveries SET {assignments}, updated_at = ? WHERE id = ? AND state = 'claimed'",
                (*params, to_db_time(now), delivery_id),
            )

    async def claimed(self, community_id: int) -> list[Delivery]:
        """Rows a crash left claimed: sent or not, nobody knows yet."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM reminder_deliveries WHERE community_id = ? AND state = 'claimed' ORDER BY id",
            (community_id,),
        )
        return [_delivery(row) for row in rows]

    async def abandoned(self, community_id: int) -> list[Delivery]:
        """Claimed rows whose process is gone (a crash, a kill -9): sent or not, nobody knows yet.

        A live process's claim, this one's or another's during a rolling restart, is left to that process.
        """
        claimed = await self.claimed(community_id)
        return [d for d in claimed if not await self._owner_alive(d.claimed_by)]

    async def _owner_alive(self, token: str | None) -> bool:
        if token is not None and token in self._gone_owners:
            return False
        alive = await self._db.owner_alive(token)
        if not alive and token is not None:
            self._gone_owners.add(token)
        return alive

    async def release_claim(self, delivery_id: int, now: datetime, *, community_id: int | None = None) -> None:
        """Back to pending, to be sent (again) at once with the same nonce."""
        await self._finish(delivery_id, "state = 'pending'", (), now, community_id)

    async def latest_message_to(self, target_kind: TargetKind, target_id: int) -> int | None:
        """The newest message the ledger knows the bot sent to this target: older messages need no look."""
        row = await self._db.fetchone(
            "SELECT MAX(message_id) FROM reminder_deliveries WHERE target_kind = ? AND target_id = ? "
            "AND state = 'sent'",
            (target_kind.value, target_id),
        )
        return int(row[0]) if row and row[0] is not None else None

    async def release_claims(self, now: datetime) -> int:
        """Rows a crash left claimed go back to pending (at start, before anything is sent)."""
        async with self._db.transaction() as conn:
            return await conn.execute(
                "UPDATE reminder_deliveries SET state = 'pending', updated_at = ? WHERE state = 'claimed'",
                (to_db_time(now),),
            )

    async def deliveries(self, community_id: int) -> list[Delivery]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM reminder_deliveries WHERE community_id = ? "
            "ORDER BY due_at, target_kind, target_id, id",
            (community_id,),
        )
        return [_delivery(row) for row in rows]

    async def get(self, delivery_id: int) -> Delivery | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM reminder_deliveries WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    # --- "your DMs are closed" notices ---------------------------------------------------------------

    async def claim_dms_closed_notices(
        self, community_id: int, now: datetime, *, limit: int, user_id: int | None = None
    ) -> list[int]:
        """Up to ``limit`` subscribers (or just ``user_id``) whose DMs were found closed and who were not told
        yet; marks them told.

        Only refusals since the member (last) subscribed count. Marked before the notice is sent: a
        crash in between loses that notice rather than repeating it.
        """
        only = "AND s.user_id = ? " if user_id is not None else ""
        owed = (
            "SELECT s.user_id FROM dm_subscriptions s WHERE s.community_id = ? AND s.dms_closed_noticed_at IS NULL "
            f"{only}AND EXISTS (SELECT 1 FROM reminder_deliveries d WHERE d.community_id = s.community_id "
            "AND d.target_kind = 'dm' AND d.target_id = s.user_id AND d.state = 'undeliverable' "
            "AND d.last_error = ? AND d.updated_at >= s.subscribed_at) ORDER BY s.user_id LIMIT ?"
        )
        params = (community_id, *((user_id,) if user_id is not None else ()), DMS_CLOSED, limit)
        # Asked after every command a member runs: almost always nobody is owed one, which a read settles without
        # a write transaction. Claimed under the community's write lock, read again there.
        if not await self._db.fetchall(owed, params):
            return []
        async with self._db.transaction(community_id) as conn:
            found = await conn.fetchall(owed, params)
            user_ids = [row[0] for row in found]
            if user_ids:
                await conn.execute(
                    f"UPDATE dm_subscriptions SET dms_closed_noticed_at = ? WHERE community_id = ? "
                    f"AND user_id IN ({placeholders(user_ids)})",
                    (to_db_time(now), community_id, *user_ids),
                )
        return user_ids

    async def dms_found_closed(self, community_id: int, user_id: int) -> bool:
        """Whether a reminder DM to this subscriber was refused as closed since they (last) subscribed."""
        row = await self._db.fetchone(
            "SELECT 1 FROM dm_subscriptions s WHERE s.community_id = ? AND s.user_id = ? "
            "AND EXISTS (SELECT 1 FROM reminder_deliveries d WHERE d.community_id = s.community_id "
            "AND d.target_kind = 'dm' AND d.target_id = s.user_id AND d.state = 'undeliverable' "
            "AND d.last_error = ? AND d.updated_at >= s.subscribed_at)",
            (community_id, user_id, DMS_CLOSED),
        )
        return row is not None

    async def last_dm_outcome_unknown(self, community_id: int, user_id: int) -> bool:
        """Whether the member's latest reminder DM settled was given up because the bot could not check whether it
        had been sent (a crash in the middle of sending, and the DMs unreadable)."""
        row = await self._db.fetchone(
            "SELECT state, last_error FROM reminder_deliveries WHERE community_id = ? AND target_kind = 'dm' "
            "AND target_id = ? AND state IN ('sent', 'undeliverable') ORDER BY due_at DESC, id DESC LIMIT 1",
            (community_id, user_id),
        )
        return (
            row is not None
            and row["state"] == DeliveryState.UNDELIVERABLE
            and str(row["last_error"] or "").startswith(OUTCOME_UNKNOWN)
        )

    async def unclaim_dms_closed_notices(self, community_id: int, user_ids: Sequence[int]) -> None:
        """The notice could not be posted (yet): try again on a later pass."""
        for chunk in in_chunks(list(user_ids)):
            async with self._db.transaction(community_id) as conn:
                await conn.execute(
                    f"UPDATE dm_subscriptions SET dms_closed_noticed_at = NULL WHERE community_id = ? "
                    f"AND user_id IN ({placeholders(chunk)})",
                    (community_id, *chunk),
                )

    # --- the week's discussion threads ---------------------------------------------------------------

    async def open_threads(self, prompt_ids: Sequence[int]) -> dict[int, int]:
        """prompt id -> thread id, for the prompts whose discussion thread is open."""
        if not prompt_ids:
            return {}
        rows = await self._db.fetchall(
            f"SELECT prompt_id, thread_id FROM prompt_threads WHERE state = 'open' "
            f"AND prompt_id IN ({placeholders(prompt_ids)})",
            tuple(prompt_ids),
        )
        return {row["prompt_id"]: row["thread_id"] for row in rows}


def _db_time_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else to_db_time(moment)
