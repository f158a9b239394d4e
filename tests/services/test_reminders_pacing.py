"""Many communities' reminders due at once: only the paced request waits in the critical section.

Each pass claims its delivery before its turn and marks it after, so the pacer never waits for the database: no
database call is made by the task that holds the pacer, claims are taken a bounded distance ahead, and one target
never has two claims at once. Uses the fakes of ``test_reminders`` (a sender that behaves like Discord).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.services.reminders import ReminderService
from bot.services.reminders._pacing import PacerFeed
from bot.services.reminders._service import CLAIMS_AHEAD, PASS_CONCURRENCY
from bot.storage.engine import Database
from bot.storage.reminders import DeliveryState, TargetKind
from tests.conftest import GUILD_ID
from tests.services.test_reminders import (
    ALICE,
    CHANNEL,
    IMPORTED,
    START,
    H,
    Sent,
    World,
    one_session_programme,
    world,  # noqa: F401 - the fixture
)

COMMUNITIES = [GUILD_ID + n for n in range(40)]


def channel_of(community_id: int) -> int:
    return CHANNEL + (community_id - GUILD_ID)


class OwnedLock(asyncio.Lock):
    """The service's pacer lock, remembering which task holds it."""

    owner: asyncio.Task[Any] | None = None

    async def acquire(self) -> bool:
        await super().acquire()
        self.owner = asyncio.current_task()
        return True

    def release(self) -> None:
        self.owner = None
        super().release()


class CallsWhileHolding:
    """Counts the database calls made by the task that holds ``lock`` (reads, and write transactions)."""

    def __init__(self, db: Database, lock: OwnedLock) -> None:
        self.lock = lock
        self.calls: list[str] = []
        for name in ("fetchall", "fetchone", "fetchval"):
            setattr(db, name, self._counted(name, getattr(db, name)))
        transaction = db.transaction

        @contextlib.asynccontextmanager
        async def counted_transaction(community_id: int | None = None) -> AsyncIterator[Any]:
            self._note("transaction")
            async with transaction(community_id) as conn:
                yield conn

        db.transaction = counted_transaction  # type: ignore[method-assign]

    def _note(self, name: str) -> None:
        if self.lock.owner is not None and self.lock.owner is asyncio.current_task():
            self.calls.append(name)

    def _counted(self, name: str, call: Any) -> Any:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self._note(name)
            return await call(*args, **kwargs)

        return counted


async def many_communities_due(world: World) -> ReminderService:  # noqa: F811 - the fixture's name
    for community_id in COMMUNITIES:
        if community_id != GUILD_ID:
            await world.programme.import_programme(community_id, one_session_programme(START))
        await world.settings.update(community_id, reminder_channel_id=channel_of(community_id))
    service = ReminderService(
        world.db,
        world.programme,
        world.settings,
        community_ids=COMMUNITIES,
        sender=world.sender,
        clock=world.clock,
        dm_rate_per_second=1000.0,  # real time, fast: what is measured is what waits for what
    )
    for community_id in COMMUNITIES[:5]:  # and a member of several of them, who gets a DM from each
        await service.repository.subscribe(community_id, ALICE, IMPORTED)
    world.clock.now = START - H
    return service


async def test_the_task_holding_the_pacer_makes_no_database_call_and_each_reminder_goes_once(
    world: World,  # noqa: F811 - the fixture
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.services.reminders")
    service = await many_communities_due(world)
    lock = OwnedLock()
    service._sending = lock
    watch = CallsWhileHolding(world.db, lock)
    holders: list[bool] = []
    world.sender.after_send = lambda _: holders.append(lock.owner is asyncio.current_task())

    await service.start()
    await service.idle()

    posts = Counter(m.target for m in world.sender.messages if m.kind is TargetKind.CHANNEL)
    assert posts == {channel_of(c): 1 for c in COMMUNITIES}
    assert len(world.sender.to(TargetKind.DM, ALICE)) == 5
    assert holders and all(holders)  # every request is made inside the critical section...
    assert watch.calls == []  # ...and nothing else happens there: no claim, no mark, no read
    assert service.feed.turns == len(COMMUNITIES) + 5
    assert service.feed.waiting == 0
    # The burst's count, as the benchmark reads it from the log (servers_due: "pacer turns that waited").
    assert f"reminders: {len(COMMUNITIES) + 5} paced requests, {service.feed.starved} of them late" in caplog.text
    ledger = [d for c in COMMUNITIES for d in await service.repository.deliveries(c) if d.due_at == START - H]
    assert {d.state for d in ledger} == {DeliveryState.SENT}


async def test_claims_are_taken_ahead_of_the_pacer_a_bounded_distance_and_one_per_target(
    world: World,  # noqa: F811 - the fixture
) -> None:
    service = await many_communities_due(world)
    claimed_at_send: list[int] = []
    alice_claims: list[int] = []

    async def claims() -> list[tuple[TargetKind, int]]:
        rows = await world.db.fetchall("SELECT target_kind, target_id FROM reminder_deliveries WHERE state = 'claimed'")
        return [(TargetKind(row[0]), row[1]) for row in rows]

    async def look(sent: Sent) -> None:
        held = await claims()
        claimed_at_send.append(len(held))
        alice_claims.append(held.count((TargetKind.DM, ALICE)))

    looks: list[asyncio.Task[None]] = []
    world.sender.after_send = lambda sent: looks.append(asyncio.get_running_loop().create_task(look(sent)))

    await service.start()
    await service.idle()
    await asyncio.gather(*looks)

    assert max(claimed_at_send) > 1  # the next deliveries were claimed while the pacer sent
    assert max(claimed_at_send) <= PASS_CONCURRENCY + CLAIMS_AHEAD
    assert max(alice_claims) <= 1  # a member of five servers: one claim on their DMs at a time
    assert len(world.sender.to(TargetKind.DM, ALICE)) == 5


def test_a_turn_is_starved_only_when_its_claim_came_after_the_turn_was_due() -> None:
    feed = PacerFeed()
    feed.begin()
    feed.claimed()
    feed.take_turn(0.0, -math.inf)  # the burst's first turn: the wait before it is planning
    feed.freed(0.01)
    feed.claimed()
    feed.take_turn(0.03, 0.05)  # nothing was claimed when the pacer came free, but the claim beat the turn
    feed.freed(0.06)
    feed.claimed()
    feed.take_turn(0.20, 0.10)  # the claim came 0.1 s after the turn was due: the pacer waited for the database
    feed.claimed()
    feed.claimed()
    feed.freed(0.21)  # two claims wait: the pacer is not idle
    feed.take_turn(0.50, 0.25)
    assert (feed.turns, feed.starved, feed.waiting) == (4, 1, 1)
    assert feed.lost == pytest.approx(0.10)
