"""Whose claim is it: the outbox check settles only claims of processes that are gone (rolling restarts)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.programme import Programme
from bot.domain.reminders import parse_offsets, plan_reminders
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database, open_database
from bot.storage.reminders import ReminderRepository
from tests.conftest import GUILD_ID

IMPORTED = datetime(2020, 7, 1, tzinfo=UTC)
CHANNEL = 700


async def _claim_one(db: Database, programme: Programme) -> int:
    """Plan week 1's reminders and claim the first delivery; its id."""
    await ProgrammeService(db, clock=lambda: IMPORTED).import_programme(GUILD_ID, programme)
    stored = await ProgrammeService(db).require(GUILD_ID)
    session = stored.session_for_week(1)
    assert session is not None
    repo = ReminderRepository(db)
    reminders = plan_reminders([session], parse_offsets("1h"))
    await repo.replan(GUILD_ID, active=reminders, dropped=(), channel_id=CHANNEL, now=IMPORTED)
    (delivery,) = await repo.deliveries(GUILD_ID)
    assert await repo.claim(delivery.id, IMPORTED)
    return delivery.id


async def test_a_claim_records_its_process_and_is_not_abandoned_while_that_process_lives(
    db: Database, programme: Programme
) -> None:
    delivery_id = await _claim_one(db, programme)
    repo = ReminderRepository(db)
    claimed = await repo.get(delivery_id)
    assert claimed is not None and claimed.claimed_by == db.owner_token
    assert await repo.abandoned(GUILD_ID) == []  # this process's own send in flight
    assert not await db.owner_alive(None)  # claims from before owners were recorded count as gone


async def test_on_sqlite_a_claim_of_an_earlier_process_is_abandoned(tmp_path: Path, programme: Programme) -> None:
    path = tmp_path / "bot.sqlite3"
    async with open_database(path, exclusive=True) as first:
        delivery_id = await _claim_one(first, programme)
    async with open_database(path, exclusive=True) as restarted:  # one process at a time: the first is gone
        assert [d.id for d in await ReminderRepository(restarted).abandoned(GUILD_ID)] == [delivery_id]


async def test_on_postgresql_a_live_process_keeps_its_claim_and_a_closed_one_abandons_it(
    postgres_dsn: str, programme: Programme
) -> None:
    async with open_database(postgres_dsn) as overlapping:
        async with open_database(postgres_dsn) as old:
            delivery_id = await _claim_one(old, programme)
            # A rolling restart: the new process looks while the old one is still sending.
            assert await overlapping.owner_alive(old.owner_token)
            assert await ReminderRepository(overlapping).abandoned(GUILD_ID) == []
        # The old process is gone (its connection closed): its claim is the new one's to settle, as soon as the
        # server has seen the connection go (its backend ends a moment after the socket closes).
        for _ in range(100):
            if not await overlapping.owner_alive(old.owner_token):
                break
            await asyncio.sleep(0.05)
        assert not await overlapping.owner_alive(old.owner_token)
        assert [d.id for d in await ReminderRepository(overlapping).abandoned(GUILD_ID)] == [delivery_id]


async def test_on_postgresql_many_outbox_checks_at_once_all_see_a_gone_process_as_gone(
    postgres_dsn: str, programme: Programme
) -> None:
    """PostgreSQL's probe takes a gone process's lock for a moment: passes checking at once must not see each
    other's probe as the gone process, or its claims wait for a later sweep (found with claims taken ahead)."""
    async with open_database(postgres_dsn) as restarted:
        async with open_database(postgres_dsn) as old:
            delivery_id = await _claim_one(old, programme)
        for _ in range(100):
            if not await restarted.owner_alive(old.owner_token):
                break
            await asyncio.sleep(0.05)
        repository = ReminderRepository(restarted)  # one per service: its passes share it
        found = await asyncio.gather(*(repository.abandoned(GUILD_ID) for _ in range(20)))
        assert [[d.id for d in claims] for claims in found] == [[delivery_id]] * 20


async def test_on_postgresql_two_processes_checking_at_once_never_take_each_other_for_the_owner(
    postgres_dsn: str, programme: Programme
) -> None:
    """Two processes started after a crash check the same gone process at the same moment, many times over: each
    sees it gone, since a check only looks at which locks live connections hold and takes none itself; and both
    still see a live process as alive."""
    async with open_database(postgres_dsn) as first, open_database(postgres_dsn) as second:
        async with open_database(postgres_dsn) as old:
            delivery_id = await _claim_one(old, programme)
            live = await asyncio.gather(*(db.owner_alive(old.owner_token) for _ in range(10) for db in (first, second)))
            assert live == [True] * 20
        for _ in range(100):
            if not await first.owner_alive(old.owner_token):
                break
            await asyncio.sleep(0.05)
        checks = await asyncio.gather(*(db.owner_alive(old.owner_token) for _ in range(25) for db in (first, second)))
        assert checks == [False] * 50
        # Each process's own repository (nothing shared between them) finds the claim abandoned.
        found = await asyncio.gather(
            *(ReminderRepository(db).abandoned(GUILD_ID) for _ in range(5) for db in (first, second))
        )
        assert [[d.id for d in claims] for claims in found] == [[delivery_id]] * 10
