"""The reminder ledger and DM subscriptions, against a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.programme import Programme, ProgrammeRecord, SessionRecord
from bot.domain.reminders import PlannedReminder, parse_offsets, plan_reminders
from bot.services.programme import ProgrammeService
from bot.storage.codec import to_db_time
from bot.storage.engine import Database
from bot.storage.reminders import (
    DMS_CLOSED,
    Delivery,
    DeliveryState,
    ReminderRepository,
    TargetKind,
    delivery_nonce,
    reminder_id,
)
from tests.conftest import GUILD_ID, integrity_errors

H = timedelta(hours=1)
IMPORTED = datetime(2020, 7, 1, tzinfo=UTC)
CHANNEL, OTHER_CHANNEL = 700, 701
ALICE, BOB, CAROL = 501, 502, 503


@pytest.fixture
async def stored(db: Database, programme: Programme) -> ProgrammeRecord:
    service = ProgrammeService(db, clock=lambda: IMPORTED)
    await service.import_programme(GUILD_ID, programme)
    return await service.require(GUILD_ID)


@pytest.fixture
def repo(db: Database) -> ReminderRepository:
    return ReminderRepository(db)


def week(programme: ProgrammeRecord, number: int) -> SessionRecord:
    session = programme.session_for_week(number)
    assert session is not None
    return session


def reminders_of(session: SessionRecord, offsets: str = "24h,1h") -> tuple[PlannedReminder, ...]:
    return plan_reminders([session], parse_offsets(offsets))


async def rows(repo: ReminderRepository) -> list[Delivery]:
    return await repo.deliveries(GUILD_ID)


async def test_replan_writes_one_channel_row_per_reminder_and_is_idempotent(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    planned = reminders_of(week(stored, 1))
    first = await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    again = await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    assert (first.inserted, again.inserted, again.deleted) == (2, 0, 0)
    ledger = await rows(repo)
    assert [(d.target_kind, d.target_id, d.state) for d in ledger] == [("channel", CHANNEL, "pending")] * 2
    assert {d.due_at for d in ledger} == {r.due_at for r in planned}
    assert ledger[0].nonce == delivery_nonce(ledger[0].reminder, TargetKind.CHANNEL, CHANNEL)
    assert len({d.nonce for d in ledger}) == 2 and all(len(d.nonce) <= 25 for d in ledger)


async def test_the_unique_key_refuses_a_second_row_for_the_same_reminder_and_target(
    db: Database, repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    planned = reminders_of(week(stored, 1), "1h")
    await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    (row,) = await rows(repo)
    with pytest.raises(integrity_errors()):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
                "target_id, nonce, updated_at) VALUES (?, ?, ?, ?, 'channel', ?, 'x', ?)",
                (GUILD_ID, row.session_id, row.offset_minutes, to_db_time(row.due_at), CHANNEL, to_db_time(IMPORTED)),
            )


async def test_claim_is_atomic_and_only_from_pending(repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    await repo.replan(
        GUILD_ID, active=reminders_of(week(stored, 1), "1h"), dropped=(), channel_id=CHANNEL, now=IMPORTED
    )
    (row,) = await rows(repo)
    results = await asyncio.gather(*(repo.claim(row.id, IMPORTED) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    claimed = await repo.get(row.id)
    assert claimed is not None and claimed.state is DeliveryState.CLAIMED and claimed.attempts == 1
    await repo.mark_sent(row.id, 9001, IMPORTED)
    assert not await repo.claim(row.id, IMPORTED)
    sent = await repo.get(row.id)
    assert sent is not None and (sent.state, sent.message_id) == ("sent", 9001)


async def test_marks_apply_only_to_claimed_rows(repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    await repo.replan(
        GUILD_ID, active=reminders_of(week(stored, 1), "1h"), dropped=(), channel_id=CHANNEL, now=IMPORTED
    )
    (row,) = await rows(repo)
    await repo.mark_sent(row.id, 1, IMPORTED)  # never claimed: a stray mark changes nothing
    assert (await rows(repo))[0].state is DeliveryState.PENDING


async def test_release_claims_puts_crashed_sends_back_to_pending(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    await repo.replan(GUILD_ID, active=reminders_of(week(stored, 1)), dropped=(), channel_id=CHANNEL, now=IMPORTED)
    first, second = await rows(repo)
    assert await repo.claim(first.id, IMPORTED) and await repo.claim(second.id, IMPORTED)
    await repo.mark_sent(second.id, 77, IMPORTED)
    assert await repo.release_claims(IMPORTED) == 1
    states = {d.id: d.state for d in await rows(repo)}
    assert states == {first.id: DeliveryState.PENDING, second.id: DeliveryState.SENT}
    released = await repo.get(first.id)
    assert released is not None and released.nonce == first.nonce  # the resend carries the same nonce


async def test_a_claim_keeps_what_it_was_about_to_send_for_the_outbox_check(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    await repo.replan(GUILD_ID, active=reminders_of(week(stored, 1)), dropped=(), channel_id=CHANNEL, now=IMPORTED)
    first, second = await rows(repo)
    assert await repo.latest_message_to(TargetKind.CHANNEL, CHANNEL) is None
    assert await repo.claim(first.id, IMPORTED, digest="abc") and await repo.claim(second.id, IMPORTED)
    await repo.mark_sent(second.id, 77, IMPORTED)
    assert await repo.latest_message_to(TargetKind.CHANNEL, CHANNEL) == 77  # older messages need no look
    [claimed] = await repo.claimed(GUILD_ID)
    assert (claimed.id, claimed.claimed_digest) == (first.id, "abc")
    await repo.release_claim(first.id, IMPORTED)
    assert await repo.claimed(GUILD_ID) == []
    released = await repo.get(first.id)
    assert released is not None and released.state is DeliveryState.PENDING


async def test_a_redated_session_moves_pending_rows_and_keeps_what_was_sent(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    session = week(stored, 3)
    old = reminders_of(session)
    await repo.replan(GUILD_ID, active=old, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    day_before = next(d for d in await rows(repo) if d.offset_minutes == 24 * 60)
    assert await repo.claim(day_before.id, IMPORTED)
    await repo.mark_sent(day_before.id, 42, IMPORTED)

    moved = reminders_of(dataclasses.replace(session, start=session.start + 2 * H, end=session.end + 2 * H))
    result = await repo.replan(GUILD_ID, active=moved, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    assert (result.inserted, result.deleted) == (2, 1)  # the old 1h row was never sent: gone
    ledger = await rows(repo)
    assert {(d.due_at, d.state) for d in ledger} == {
        (day_before.due_at, DeliveryState.SENT),  # history: what members were told
        (moved[0].due_at, DeliveryState.PENDING),
        (moved[1].due_at, DeliveryState.PENDING),
    }
    # The new time is a new message: its nonce differs from the old one's.
    assert len({d.nonce for d in ledger}) == 3


async def test_dropped_reminders_are_skipped_not_deleted(repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    planned = reminders_of(week(stored, 1))
    await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    result = await repo.replan(GUILD_ID, active=planned[1:], dropped=planned[:1], channel_id=CHANNEL, now=IMPORTED)
    assert result.skipped == 1
    assert [d.state for d in await rows(repo)] == [DeliveryState.SKIPPED, DeliveryState.PENDING]


async def test_a_new_channel_takes_pending_reminders_but_does_not_repeat_sent_ones(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    planned = reminders_of(week(stored, 1))
    await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    sent = (await rows(repo))[0]
    assert await repo.claim(sent.id, IMPORTED)
    await repo.mark_sent(sent.id, 1, IMPORTED)
    await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=OTHER_CHANNEL, now=IMPORTED)
    assert sorted((d.offset_minutes, d.target_id, d.state) for d in await rows(repo)) == [
        (60, OTHER_CHANNEL, DeliveryState.PENDING),
        (24 * 60, CHANNEL, DeliveryState.SENT),
    ]
    await repo.replan(GUILD_ID, active=planned, dropped=(), channel_id=None, now=IMPORTED)
    assert [(d.target_id, d.state) for d in await rows(repo)] == [(CHANNEL, DeliveryState.SENT)]


async def test_dm_rows_go_to_members_subscribed_by_the_due_time_once(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    (reminder,) = reminders_of(week(stored, 1), "1h")
    await repo.subscribe(GUILD_ID, ALICE, reminder.due_at - H)
    await repo.subscribe(GUILD_ID, BOB, reminder.due_at)
    await repo.subscribe(GUILD_ID, CAROL, reminder.due_at + timedelta(seconds=1))  # too late for this one
    assert await repo.add_dm_rows(GUILD_ID, reminder, reminder.due_at) == 2
    assert await repo.add_dm_rows(GUILD_ID, reminder, reminder.due_at) == 0
    dms = [d for d in await rows(repo) if d.target_kind is TargetKind.DM]
    assert sorted(d.target_id for d in dms) == [ALICE, BOB]
    assert {d.nonce for d in dms} == {
        delivery_nonce(reminder_id(reminder), TargetKind.DM, ALICE),
        delivery_nonce(reminder_id(reminder), TargetKind.DM, BOB),
    }


async def test_turning_dms_off_drops_unsent_dms_only(repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    planned = reminders_of(week(stored, 1))
    assert await repo.subscribe(GUILD_ID, ALICE, IMPORTED)
    assert not await repo.subscribe(GUILD_ID, ALICE, IMPORTED + H)  # already on: the first time is kept
    subscription = await repo.subscription(GUILD_ID, ALICE)
    assert subscription is not None and subscription.subscribed_at == IMPORTED
    for reminder in planned:
        await repo.add_dm_rows(GUILD_ID, reminder, reminder.due_at)
    first, _ = await rows(repo)
    assert await repo.claim(first.id, IMPORTED)
    await repo.mark_sent(first.id, 5, IMPORTED)
    assert await repo.unsubscribe(GUILD_ID, ALICE, IMPORTED)
    assert not await repo.unsubscribe(GUILD_ID, ALICE, IMPORTED)
    assert [(d.id, d.state) for d in await rows(repo)] == [(first.id, DeliveryState.SENT)]
    assert await repo.subscription(GUILD_ID, ALICE) is None
    assert await repo.subscriber_count(GUILD_ID) == 0


async def test_ready_lists_due_rows_channel_first_and_waits_for_retries(
    repo: ReminderRepository, stored: ProgrammeRecord
) -> None:
    (reminder,) = reminders_of(week(stored, 1), "1h")
    await repo.subscribe(GUILD_ID, ALICE, IMPORTED)
    await repo.replan(GUILD_ID, active=[reminder], dropped=(), channel_id=CHANNEL, now=IMPORTED)
    await repo.add_dm_rows(GUILD_ID, reminder, reminder.due_at)
    assert await repo.ready(GUILD_ID, reminder.due_at - timedelta(seconds=1)) == []
    ready = await repo.ready(GUILD_ID, reminder.due_at)
    assert [d.target_kind for d in ready] == [TargetKind.CHANNEL, TargetKind.DM]
    channel_row = ready[0]
    assert await repo.claim(channel_row.id, reminder.due_at)
    retry_at = reminder.due_at + timedelta(seconds=30)
    await repo.mark_retry(channel_row.id, "Discord unavailable (503)", retry_at, reminder.due_at)
    assert [d.target_kind for d in await repo.ready(GUILD_ID, retry_at - timedelta(seconds=1))] == [TargetKind.DM]
    retried = (await repo.ready(GUILD_ID, retry_at))[0]
    assert (retried.id, retried.state, retried.last_error) == (
        channel_row.id,
        DeliveryState.PENDING,
        "Discord unavailable (503)",
    )
    assert retried.next_attempt_at == retry_at


async def test_members_with_closed_dms_are_told_once(repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    first, second = reminders_of(week(stored, 1))
    for user in (ALICE, BOB):
        await repo.subscribe(GUILD_ID, user, IMPORTED)
    await repo.add_dm_rows(GUILD_ID, first, first.due_at)
    assert await repo.claim_dms_closed_notices(GUILD_ID, first.due_at, limit=50) == []
    for delivery in await rows(repo):
        assert await repo.claim(delivery.id, first.due_at)
        if delivery.target_id == ALICE:
            await repo.mark_undeliverable(delivery.id, DMS_CLOSED, first.due_at)
        else:
            await repo.mark_undeliverable(delivery.id, "forbidden (code 50013)", first.due_at)
    assert await repo.claim_dms_closed_notices(GUILD_ID, first.due_at, limit=50) == [ALICE]
    assert await repo.claim_dms_closed_notices(GUILD_ID, first.due_at, limit=50) == []
    await repo.unclaim_dms_closed_notices(GUILD_ID, [ALICE])  # the notice could not be posted
    assert await repo.claim_dms_closed_notices(GUILD_ID, first.due_at, limit=50) == [ALICE]
    subscription = await repo.subscription(GUILD_ID, ALICE)
    assert subscription is not None and subscription.dms_closed_noticed_at == first.due_at

    # Off and on again: a fresh start, and the old refusal does not count against the new subscription.
    await repo.unsubscribe(GUILD_ID, ALICE, IMPORTED)
    await repo.subscribe(GUILD_ID, ALICE, second.due_at - H)
    assert await repo.claim_dms_closed_notices(GUILD_ID, second.due_at, limit=50) == []


async def test_notices_come_in_batches(repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    (reminder,) = reminders_of(week(stored, 1), "1h")
    users = list(range(1000, 1007))
    for user in users:
        await repo.subscribe(GUILD_ID, user, IMPORTED)
    await repo.add_dm_rows(GUILD_ID, reminder, reminder.due_at)
    for delivery in await rows(repo):
        assert await repo.claim(delivery.id, reminder.due_at)
        await repo.mark_undeliverable(delivery.id, DMS_CLOSED, reminder.due_at)
    batches = [await repo.claim_dms_closed_notices(GUILD_ID, reminder.due_at, limit=3) for _ in range(4)]
    assert batches == [users[:3], users[3:6], users[6:], []]


async def test_open_threads_of_prompts(db: Database, repo: ReminderRepository, stored: ProgrammeRecord) -> None:
    first, second, third = week(stored, 1).prompts
    async with db.transaction() as conn:
        for prompt, thread, state in ((first, 9001, "open"), (second, 9002, "closed")):
            await conn.execute(
                "INSERT INTO prompt_threads (prompt_id, community_id, parent_channel_id, thread_id, state, opened_at) "
                "VALUES (?, ?, 1, ?, ?, ?)",
                (prompt.id, GUILD_ID, thread, state, to_db_time(IMPORTED)),
            )
    assert await repo.open_threads([first.id, second.id, third.id]) == {first.id: 9001}
    assert await repo.open_threads([]) == {}


async def test_removing_a_session_removes_its_ledger_rows(
    db: Database, repo: ReminderRepository, stored: ProgrammeRecord, programme: Programme
) -> None:
    await repo.replan(GUILD_ID, active=reminders_of(week(stored, 1)), dropped=(), channel_id=CHANNEL, now=IMPORTED)
    shorter = dataclasses.replace(programme, sessions=tuple(s for s in programme.sessions if s.week != 1))
    await ProgrammeService(db, clock=lambda: IMPORTED).import_programme(GUILD_ID, shorter, force=True)
    assert await rows(repo) == []
