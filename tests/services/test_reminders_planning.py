"""Planning many communities at once (start-up and the sweep) leaves the ledger exactly as a pass per community.

The same database, in the same state, is planned both ways: by ``run_pass`` for each community, and by the batched
path (``_planning``, ``ReminderRepository.replan_many``); the stored deliveries and plan stamps must be identical.
The state covers what a re-plan meets: communities never planned, a changed channel (with a reminder already sent
to the old one), changed offsets, a moved session, no reminder channel, and a session started while the bot was
down (its reminders skipped). On every engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.programme import Programme, Session
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from bot.services.reminders._planning import PLAN_IN_THREAD_FROM
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database
from bot.storage.reminders import CommunityPlan, ManyReplanned, ReminderRepository, TargetKind
from bot.storage.server_settings import ServerSettingsRepository
from tests.conftest import GUILD_ID
from tests.harness import FakeClock

pytestmark = pytest.mark.every_engine

H = timedelta(hours=1)
START = datetime(2020, 8, 3, 18, tzinfo=UTC)
CHANNEL, NEW_CHANNEL = 700000000000000001, 700000000000000002
COMMUNITIES = [GUILD_ID + n for n in range(12)]
UNCHANGED = COMMUNITIES[7:9]  # planned before, nothing changed since, nothing due yet: start-up leaves them be


def first_session(n: int) -> datetime:
    """Week 1 of the n-th community: the first six have started by the time the bot is back; the others are over
    a day later, so that no reminder is due then (a community with one due gets a pass, not the batch)."""
    return START + n * H if n < 6 else START + 72 * H + n * H


DELIVERY_COLUMNS = (
    "community_id, session_id, offset_minutes, due_at, target_kind, target_id, state, nonce, attempts, message_id, "
    "last_error, next_attempt_at, updated_at, claimed_digest, claimed_by"
)


def programme(first: datetime, *, weeks: int = 3) -> Programme:
    return Programme(
        title="Test programme",
        timezone="Europe/London",
        sessions=tuple(
            Session(
                week=n + 1,
                title=f"Week {n + 1}",
                start=first + n * 7 * 24 * H,
                end=first + n * 7 * 24 * H + 2 * H,
                location="Zoom",
                description="A session.",
                prompts=("What now?",),
            )
            for n in range(weeks)
        ),
    )


@dataclass
class World:
    db: Database
    clock: FakeClock
    programme: ProgrammeService
    settings: ServerSettingsService

    def service(self) -> ReminderService:
        return ReminderService(
            self.db, self.programme, self.settings, community_ids=COMMUNITIES, clock=self.clock, sender=None
        )

    async def ledger(self) -> list[tuple[Any, ...]]:
        rows = await self.db.fetchall(f"SELECT {DELIVERY_COLUMNS} FROM reminder_deliveries")
        return sorted((tuple(row) for row in rows), key=repr)

    async def stamps(self) -> list[tuple[Any, ...]]:
        rows = await self.db.fetchall("SELECT community_id, fingerprint, next_due_at, planned_at FROM reminder_plans")
        return sorted(tuple(row) for row in rows)

    async def snapshot(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        deliveries = await self.db.fetchall(f"SELECT id, {DELIVERY_COLUMNS} FROM reminder_deliveries")
        plans = await self.db.fetchall("SELECT community_id, fingerprint, next_due_at, planned_at FROM reminder_plans")
        return [tuple(r) for r in deliveries], [tuple(r) for r in plans]

    async def restore(self, snapshot: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]) -> None:
        deliveries, plans = snapshot
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM reminder_deliveries")
            await conn.execute("DELETE FROM reminder_plans")
            await conn.executemany(
                f"INSERT INTO reminder_deliveries (id, {DELIVERY_COLUMNS}) VALUES ({', '.join('?' * 16)})", deliveries
            )
            await conn.executemany(
                "INSERT INTO reminder_plans (community_id, fingerprint, next_due_at, planned_at) VALUES (?, ?, ?, ?)",
                plans,
            )


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    """Twelve communities planned once a week before their first session, then changed while the bot was down."""
    clock = FakeClock(START - 7 * 24 * H)
    defaults = ServerDefaults(reminder_offsets=parse_offsets("24h,1h"))
    made = World(db, clock, ProgrammeService(db, clock=clock), ServerSettingsService(db, defaults, clock=clock))
    for n, community_id in enumerate(COMMUNITIES):
        await made.programme.import_programme(community_id, programme(first_session(n)))
        if n % 4 != 3:  # every fourth has no reminder channel
            await made.settings.update(community_id, reminder_channel_id=CHANNEL)
    before = made.service()
    for community_id in COMMUNITIES[:9]:  # the last three were never planned (added while the bot was down)
        await before.run_pass(community_id)
    # Week 1's day-before reminder went out in the first two communities.
    repository = ReminderRepository(db)
    for community_id in COMMUNITIES[:2]:
        (sent,) = [
            d
            for d in await repository.deliveries(community_id)
            if d.offset_minutes == 24 * 60 and d.due_at == first_session(community_id - GUILD_ID) - 24 * H
        ]
        assert await repository.claim(sent.id, clock(), community_id=community_id)
        await repository.mark_sent(sent.id, 900 + community_id % 100, clock(), community_id=community_id)
    # While the bot was down: a new channel (one of them had sent a reminder to the old one), new offsets, a moved
    # session; and week 1 started in the first six.
    await made.settings.update(COMMUNITIES[0], reminder_channel_id=NEW_CHANNEL)
    await made.settings.update(COMMUNITIES[2], reminder_channel_id=NEW_CHANNEL)
    await made.settings.update(COMMUNITIES[4], reminder_offsets=parse_offsets("2h"))
    await made.settings.update(COMMUNITIES[5], reminder_offsets=parse_offsets("24h,3h,1h"))
    await made.programme.import_programme(COMMUNITIES[6], programme(START + 100 * H), force=True)
    clock.now = START + 5 * H + 30 * 60 * timedelta(seconds=1)  # week 1 started in the first six
    yield made


async def plan_each_by_a_pass(world: World) -> None:
    service = world.service()
    for community_id in COMMUNITIES:
        await service.run_pass(community_id)


async def plan_in_one_batch(world: World) -> list[int]:
    """The batched path over every community, directly: what it handed to passes."""
    service = world.service()
    planner = service._planner
    stamps = await service.repository.plan_stamps()
    planned = await planner.plan(
        COMMUNITIES,
        digests=await world.programme.fingerprints(),
        settings=await world.settings.get_many(COMMUNITIES),
        stamps=stamps,
    )
    assert sorted(planned.next_due) == sorted(c for c in COMMUNITIES if c not in planned.needs_pass)
    return planned.needs_pass


async def test_a_batch_leaves_the_ledger_and_stamps_as_a_pass_per_community_does(world: World) -> None:
    before = await world.snapshot()
    await plan_each_by_a_pass(world)
    by_passes = (await world.ledger(), await world.stamps())
    await world.restore(before)
    assert (await world.ledger(), await world.stamps()) != by_passes  # the state is one a re-plan changes
    needs_pass = await plan_in_one_batch(world)
    assert needs_pass == []  # nothing due now: every community was planned by the batch
    assert (await world.ledger(), await world.stamps()) == by_passes
    # What the scenario covers, so that the comparison means something.
    states = {row[6] for row in by_passes[0]}
    assert {"pending", "sent", "skipped"} <= states
    first = [row for row in by_passes[0] if row[0] == COMMUNITIES[0] and row[4] == TargetKind.CHANNEL]
    assert {row[5] for row in first} == {CHANNEL, NEW_CHANNEL}
    assert not [row for row in by_passes[0] if row[0] == COMMUNITIES[3]]  # no channel, no subscriber: no rows


async def test_a_large_batch_is_planned_in_a_thread_with_the_same_result(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await world.snapshot()
    await plan_each_by_a_pass(world)
    by_passes = (await world.ledger(), await world.stamps())
    await world.restore(before)
    monkeypatch.setattr("bot.services.reminders._planning.PLAN_IN_THREAD_FROM", 2)
    assert PLAN_IN_THREAD_FROM > 2
    await plan_in_one_batch(world)
    assert (await world.ledger(), await world.stamps()) == by_passes


async def test_start_up_plans_the_stale_ones_in_batches_and_ends_as_passes_would(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await world.snapshot()
    await plan_each_by_a_pass(world)
    by_passes = await world.ledger()
    await world.restore(before)
    monkeypatch.setattr("bot.services.reminders._service.PLAN_BATCH", 2)
    service = world.service()
    passes: list[int] = []
    batched: list[list[int]] = []
    real_pass, real_many = service.run_pass, service.repository.replan_many

    async def run_pass(community_id: int) -> None:
        passes.append(community_id)
        await real_pass(community_id)

    async def replan_many(plans: Sequence[CommunityPlan], now: datetime) -> ManyReplanned:
        batched.append([plan.community_id for plan in plans])
        return await real_many(plans, now)

    monkeypatch.setattr(service, "run_pass", run_pass)
    monkeypatch.setattr(service.repository, "replan_many", replan_many)
    await service.start()
    await service.idle()
    await service.close()
    assert await world.ledger() == by_passes
    # The planned ones whose next reminder fell due while the bot was down get a pass (their stamp's due time says
    # so); those never planned, or changed, are planned in chunks; none both ways, and the unchanged not at all.
    in_chunks = [c for chunk in batched for c in chunk]
    assert sorted(passes) == COMMUNITIES[:6]
    assert sorted(in_chunks) == [COMMUNITIES[6], *COMMUNITIES[9:]]
    assert [len(chunk) for chunk in batched] == [2, 2]
    assert not set(UNCHANGED) & set(passes + in_chunks)


async def test_many_arriving_together_are_planned_in_chunks_and_end_as_passes_would(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await world.snapshot()
    await plan_each_by_a_pass(world)
    by_passes = await world.ledger()
    await world.restore(before)
    monkeypatch.setattr("bot.services.reminders._service.ARRIVALS_LOOKED_AT_TOGETHER", 5)
    served: set[int] = set()
    service = ReminderService(
        world.db, world.programme, world.settings, community_ids=lambda: served, clock=world.clock, sender=None
    )
    batched: list[int] = []
    real_many = service.repository.replan_many

    async def replan_many(plans: Sequence[CommunityPlan], now: datetime) -> ManyReplanned:
        batched.extend(plan.community_id for plan in plans)
        return await real_many(plans, now)

    monkeypatch.setattr(service.repository, "replan_many", replan_many)
    await service.start()  # serving none yet
    await service.idle()
    served.update(COMMUNITIES)  # a shard's ready finds them all
    service.arrived(COMMUNITIES)
    await service.idle()
    await service.close()
    assert await world.ledger() == by_passes
    assert sorted(batched) == [COMMUNITIES[6], *COMMUNITIES[9:]]


async def test_a_chunk_that_fails_is_planned_by_a_pass_each(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = await world.snapshot()
    await plan_each_by_a_pass(world)
    by_passes = await world.ledger()
    await world.restore(before)
    service = world.service()

    async def broken(plans: Sequence[CommunityPlan], now: datetime) -> ManyReplanned:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service.repository, "replan_many", broken)
    await service.start()
    await service.idle()
    await service.close()
    assert "planning 4 communities at once failed; planning each on its own" in caplog.text
    assert await world.ledger() == by_passes


async def test_a_community_planned_by_another_pass_meanwhile_is_left_to_it(world: World) -> None:
    service = world.service()
    stamps = await service.repository.plan_stamps()
    community_id = COMMUNITIES[0]
    await service.run_pass(community_id)  # planned after the batch read the stamps
    after_pass = await world.ledger()
    needs_pass = await service._planner.plan(
        [community_id],
        digests=await world.programme.fingerprints(),
        settings=await world.settings.get_many([community_id]),
        stamps=stamps,
    )
    assert needs_pass.needs_pass == [community_id] and needs_pass.next_due == {}
    assert await world.ledger() == after_pass


async def test_replan_many_of_no_community_changes_nothing(db: Database) -> None:
    assert await ReminderRepository(db).replan_many([], datetime(2020, 1, 1, tzinfo=UTC)) == ManyReplanned({}, ())


# --- any history at all ------------------------------------------------------------------------------------------

OFFSET_CHOICES = ("24h", "24h,1h", "3h", "24h,3h,1h")
CHANNEL_CHOICES = (None, CHANNEL, NEW_CHANNEL)


@dataclass(frozen=True)
class History:
    """One community's story: planned (or not) under its first settings, some channel posts sent, then its
    settings and programme changed while the bot was down, and the bot back some hours later."""

    offsets: str
    channel: int | None
    planned: bool
    sent: tuple[int, ...]  # which pending channel rows were sent (by position)
    later_offsets: str
    later_channel: int | None
    moved_hours: int  # week 2 moved by this much (0: not moved)


histories = st.builds(
    History,
    offsets=st.sampled_from(OFFSET_CHOICES),
    channel=st.sampled_from(CHANNEL_CHOICES),
    planned=st.booleans(),
    sent=st.lists(st.integers(0, 8), max_size=3, unique=True).map(tuple),
    later_offsets=st.sampled_from(OFFSET_CHOICES),
    later_channel=st.sampled_from(CHANNEL_CHOICES),
    moved_hours=st.sampled_from((0, -30, 5, 48)),
)


async def start_afresh(db: Database) -> None:
    async with db.transaction() as conn:
        for table in ("reminder_deliveries", "reminder_plans", "community_settings", "sessions", "programmes"):
            await conn.execute(f"DELETE FROM {table}")


async def live_through(world: World, stories: Sequence[History], back_after: timedelta) -> list[int]:
    """Each community's story; returns the communities."""
    ids = [GUILD_ID + n for n in range(len(stories))]
    repository = ReminderRepository(world.db)
    service = world.service()
    for community_id, story in zip(ids, stories, strict=True):
        await world.programme.import_programme(community_id, programme(START))
        await world.settings.update(
            community_id, reminder_offsets=parse_offsets(story.offsets), reminder_channel_id=story.channel
        )
        if story.planned:
            await service.run_pass(community_id)
        pending = [d for d in await repository.deliveries(community_id) if d.state == "pending"]
        for position in story.sent:
            if position < len(pending):
                delivery = pending[position]
                assert await repository.claim(delivery.id, world.clock(), community_id=community_id)
                await repository.mark_sent(delivery.id, 1000 + position, world.clock(), community_id=community_id)
        await world.settings.update(
            community_id,
            reminder_offsets=parse_offsets(story.later_offsets),
            reminder_channel_id=story.later_channel,
        )
        if story.moved_hours:
            moved = programme(START)
            week_2 = moved.sessions[1]
            shift = story.moved_hours * H
            sessions = (
                moved.sessions[0],
                dataclasses.replace(week_2, start=week_2.start + shift, end=week_2.end + shift),
                moved.sessions[2],
            )
            await world.programme.import_programme(
                community_id, dataclasses.replace(moved, sessions=sessions), force=True
            )
    world.clock.advance(back_after)
    return ids


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stories=st.lists(histories, min_size=1, max_size=4), back_after_hours=st.integers(0, 24 * 16))
async def test_after_any_history_a_batch_leaves_what_a_pass_per_community_leaves(
    db: Database, stories: list[History], back_after_hours: int
) -> None:
    await start_afresh(db)
    clock = FakeClock(START - 7 * 24 * H)
    defaults = ServerDefaults(reminder_offsets=parse_offsets("24h,1h"))
    world = World(db, clock, ProgrammeService(db, clock=clock), ServerSettingsService(db, defaults, clock=clock))
    ids = await live_through(world, stories, back_after_hours * H)
    before = await world.snapshot()
    service = world.service()
    for community_id in ids:
        await service.run_pass(community_id)
    by_passes = (await world.ledger(), await world.stamps())
    await world.restore(before)
    planned = await service._planner.plan(
        ids,
        digests=await world.programme.fingerprints(),
        settings=await world.settings.get_many(ids),
        stamps=await service.repository.plan_stamps(),
    )
    for community_id in planned.needs_pass:  # a reminder due now: the service hands it to a pass
        await service.run_pass(community_id)
    assert (await world.ledger(), await world.stamps()) == by_passes


async def test_a_process_reads_only_the_communities_it_serves(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process's start-up and sweep read their own share of the servers, not every server's rows: with many
    processes the reads add up to the number of servers, not to it times the number of processes."""
    ours = set(COMMUNITIES[::2])
    read_of: set[int] = set()
    real_fetchall = world.db.fetchall

    async def fetchall(sql: str, params: Any = ()) -> list[Any]:
        rows = await real_fetchall(sql, params)
        # keys(): a row's own ``in`` looks among its values.
        read_of.update(row["community_id"] for row in rows if "community_id" in row.keys())  # noqa: SIM118
        return rows

    monkeypatch.setattr(world.db, "fetchall", fetchall)
    service = ReminderService(
        world.db, world.programme, world.settings, community_ids=lambda: ours, clock=world.clock, sender=None
    )
    await service.start()
    await service.idle()
    await service._sweep()
    await service.close()
    assert read_of == ours
    stamps = await ReminderRepository(world.db).plan_stamps()
    assert {c for c in COMMUNITIES[9:] if c in stamps} == ours & set(COMMUNITIES[9:])  # never planned: ours now are


async def test_reads_of_named_communities_go_five_hundred_at_a_time_and_find_them_all(db: Database) -> None:
    """More communities named than one statement may bind: each read finds every named one and no other."""
    named = [GUILD_ID + n for n in range(1, 1202)]
    others = [GUILD_ID + 5000 + n for n in range(3)]
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO reminder_plans (community_id, fingerprint, next_due_at, planned_at) VALUES (?, ?, ?, ?)",
            [(c, f"f{c}", None, "2026-01-01T00:00:00+00:00") for c in named + others],
        )
        await conn.executemany(
            "INSERT INTO community_settings (community_id, updated_at) VALUES (?, ?)",
            [(c, "2026-01-01T00:00:00+00:00") for c in named + others],
        )
    assert set(await ServerSettingsRepository(db).load_many(named)) == set(named)
    repository = ReminderRepository(db)
    assert set(await repository.plan_stamps(named)) == set(named)
    assert set(await repository.plan_stamps()) == set(named + others)
    assert await repository.plan_stamps([]) == {}
    assert await repository.with_work_now(START, named) == set()
