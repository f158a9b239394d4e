"""Database round trips per server to settle, on PostgreSQL: counted, not timed, so the figures do not depend on the
machine's load. Each statement the services send counts one, and each write transaction two (BEGIN with its locks,
and COMMIT), which is one round trip each on PostgreSQL (the pool's reset of a connection given back is not counted).

Two moments, each at 200 servers (12 sessions, a reminder channel and two DM subscribers each), against the
per-server path measured in the same run (a pass per server, which is how start-up planned before it planned in
chunks, and each arrival recorded in a transaction of its own):

- the first start after the data was stored: a shard's ready lists every server, none known yet (``present``);
- a restart in which every server's plan is stale (every server known, none planned yet: ``ReminderService.start``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import asynccontextmanager
from typing import Any

from benchmarks.common import Figure, Server, weekly_programme
from benchmarks.server_copies import prepare_many
from benchmarks.servers_startup import first_monday_evening
from bot.domain.server_settings import ServerDefaults
from bot.services.communities import CommunityService
from bot.services.programme import ProgrammeService
from bot.services.reminders import OutgoingMessage, ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Connection, Database, Params, Row, open_database
from tests.postgres import PostgresServer, quote_identifier, running_postgres, unique_database_name

FIRST_GUILD, FIRST_CHANNEL, FIRST_MEMBER = 400_000_000_000_000_000, 500_000_000_000_000_000, 600_000_000_000_000_000


class CountingConnection:
    def __init__(self, conn: Connection, counter: CountingDatabase) -> None:
        self._conn = conn
        self._counter = counter

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        self._counter.trips += 1
        return await self._conn.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        self._counter.trips += 1
        return await self._conn.fetchone(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        self._counter.trips += 1
        return await self._conn.fetchval(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        self._counter.trips += 1
        return await self._conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._counter.trips += 1
        await self._conn.executemany(sql, rows)


class CountingDatabase:
    """A database that counts the statements and transactions sent through it (everything else passes through)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.trips = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        self.trips += 1
        return await self._db.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        self.trips += 1
        return await self._db.fetchone(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        self.trips += 1
        return await self._db.fetchval(sql, params)

    @asynccontextmanager
    async def transaction(
        self, community_id: int | None = None, *, communities: Collection[int] | None = None
    ) -> AsyncIterator[CountingConnection]:
        self.trips += 2  # BEGIN with the locks; COMMIT
        async with self._db.transaction(community_id, communities=communities) as conn:
            yield CountingConnection(conn, self)


class NothingSent:
    """A sender that is never asked to send: no reminder is due while counting (the outbox check still runs)."""

    def drops_resends(self, target_id: int) -> bool:
        raise AssertionError("no claim is left while counting")

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        raise AssertionError("no reminder is due while counting")

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        raise AssertionError("no reminder is due while counting")

    async def find_in_channel(
        self, channel_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        raise AssertionError("no claim is left while counting")

    async def find_in_dms(
        self, user_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        raise AssertionError("no claim is left while counting")


def servers(count: int) -> list[Server]:
    return [
        Server(FIRST_GUILD + n, FIRST_CHANNEL + n, (FIRST_MEMBER + 2 * n, FIRST_MEMBER + 2 * n + 1))
        for n in range(count)
    ]


@contextlib.asynccontextmanager
async def counted(dsn: str) -> AsyncIterator[tuple[CountingDatabase, CommunityService, ReminderService]]:
    async with open_database(dsn) as opened:
        db = CountingDatabase(opened)
        as_database: Any = db  # the services take any Database; this one counts on its way through
        settings = ServerSettingsService(as_database, ServerDefaults())
        communities = CommunityService(as_database)
        reminders = ReminderService(
            as_database,
            ProgrammeService(as_database),
            settings,
            community_ids=communities.served,
            sender=NothingSent(),
        )
        yield db, communities, reminders
        await reminders.close()


async def first_start(dsn: str, ids: list[int], *, per_server: bool) -> int:
    """Round trips from a shard's ready listing ``ids`` (none known) to every one planned."""
    async with counted(dsn) as (db, communities, reminders):
        await communities.load()
        await reminders.start()
        await reminders.idle()
        db.trips = 0

        async def arrived(community_ids: list[int]) -> None:
            if per_server:
                for community_id in community_ids:
                    reminders.request(community_id)
            else:
                reminders.arrived(community_ids)

        communities.on_arrival(arrived)
        if per_server:
            for community_id in ids:  # as ``present`` did: each recorded in a transaction of its own, and passed over
                await communities._arrive(community_id, joined=False)
        else:
            await communities.present(ids)
        await reminders.idle()
        await planned_every_one(db, ids)
        return db.trips


async def planned_every_one(db: CountingDatabase, ids: list[int]) -> None:
    planned = await db._db.fetchval("SELECT COUNT(*) FROM reminder_plans")
    rows = await db._db.fetchval("SELECT COUNT(DISTINCT community_id) FROM reminder_deliveries")
    assert planned == rows == len(ids), (planned, rows, len(ids))


async def restart(dsn: str, ids: list[int], *, per_server: bool) -> int:
    """Round trips from start-up (every server known, none planned) to every one planned."""
    async with counted(dsn) as (db, communities, reminders):
        await communities.repository.record_present_many(ids, communities._clock())
        await communities.load()
        db.trips = 0
        if per_server:
            for community_id in ids:
                await reminders.run_pass(community_id)
        else:
            await reminders.start()
            await reminders.idle()
        await planned_every_one(db, ids)
        return db.trips


async def count_all(postgres: PostgresServer, count: int) -> dict[tuple[str, bool], int]:
    template = unique_database_name()
    prepared = servers(count)
    await prepare_many(postgres.create_database(template), prepared, weekly_programme(first_monday_evening()))
    ids = [s.guild_id for s in prepared]
    found: dict[tuple[str, bool], int] = {}
    try:
        for name, measure in (("first start", first_start), ("restart", restart)):
            for per_server in (True, False):
                copy = unique_database_name()
                postgres.sql(f"CREATE DATABASE {quote_identifier(copy)} TEMPLATE {quote_identifier(template)}")
                try:
                    found[name, per_server] = await measure(postgres.dsn(copy), ids, per_server=per_server)
                finally:
                    postgres.drop_database(copy)
    finally:
        postgres.drop_database(template)
    return found


async def run(*, quick: bool) -> list[Figure]:
    count = 50 if quick else 200
    with running_postgres() as postgres:
        found = await count_all(postgres, count)
    size = f"{count} servers (12 sessions, a channel, 2 subscribers each), PostgreSQL, 1 process"
    return [
        Figure("settle, round trips", f"{name}: round trips per server, planned in chunks", size,
               found[name, False] / count, found[name, True] / count, "trips", "ratio <= 0.2", "a pass per server")
        for name in ("first start", "restart")
    ]  # fmt: skip
