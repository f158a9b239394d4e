"""A write of several communities at once (start-up planning a chunk of servers) on PostgreSQL: it holds each one's
write lock, so it waits for and holds back exactly those communities' writers, in any process, and the writers of
other communities run beside it (bot/storage/engine/_postgres.py, ``transaction(communities=...)``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from bot.storage.engine import Database, open_database
from bot.storage.engine._postgres import WRITE_LOCK_KEY, PostgresDatabase, _lock_statement, community_lock_key
from tests.storage.test_postgres_community_writes import Held, two_processes, until_waiting

SERVER_A, SERVER_B, SERVER_C = 111_111_111_111_111_111, 222_222_222_222_222_222, 333_333_333_333_333_333


class HeldMany:
    """A write transaction of several communities, kept open until ``release``."""

    def __init__(self, db: Database, communities: Collection[int], key: str) -> None:
        self.entered = asyncio.Event()
        self._release = asyncio.Event()
        self.task = asyncio.create_task(self._run(db, communities, key))

    async def _run(self, db: Database, communities: Collection[int], key: str) -> None:
        async with db.transaction(communities=communities) as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'x')", (key,))
            self.entered.set()
            await self._release.wait()

    async def release(self) -> None:
        self._release.set()
        await self.task


@asynccontextmanager
async def one_process(dsn: str) -> AsyncIterator[PostgresDatabase]:
    async with open_database(dsn) as db:
        assert isinstance(db, PostgresDatabase)
        yield db


def test_the_locks_of_several_communities_are_taken_sorted_and_once_in_one_statement() -> None:
    keys = sorted({community_lock_key(SERVER_A), community_lock_key(SERVER_B)})
    expected = ", ".join(f"pg_advisory_xact_lock({namespace}, {key})" for namespace, key in keys)
    assert _lock_statement(None, [SERVER_B, SERVER_A, SERVER_B]) == (
        f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK_KEY}), {expected}"
    )


async def test_a_batch_holds_back_its_communities_writers_in_another_process_and_no_others(postgres_dsn: str) -> None:
    async with two_processes(postgres_dsn) as (first, second):
        batch = HeldMany(first, [SERVER_B, SERVER_A], "batch")
        await batch.entered.wait()
        async with asyncio.timeout(5), second.transaction(SERVER_C) as conn:  # another community: not held back
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('c', 'x')")
        waiting = Held(second, SERVER_B, "b")
        await until_waiting(first, 1)
        assert not waiting.entered.is_set()
        await batch.release()
        await waiting.entered.wait()
        await waiting.release()


async def test_a_batch_waits_for_a_writer_of_one_of_its_communities_and_for_a_write_of_none(
    postgres_dsn: str,
) -> None:
    async with two_processes(postgres_dsn) as (first, second):
        in_b = Held(first, SERVER_B, "b")
        await in_b.entered.wait()
        batch = HeldMany(second, [SERVER_A, SERVER_B], "batch")
        await until_waiting(first, 1)
        assert not batch.entered.is_set()
        await in_b.release()
        await batch.entered.wait()
        purge = Held(first, None, "purge")  # a write of no community waits for the batch, too
        await until_waiting(first, 1)
        assert not purge.entered.is_set()
        await batch.release()
        await purge.entered.wait()
        await purge.release()


async def test_two_overlapping_batches_in_one_process_take_turns_and_leave_no_lock_behind(postgres_dsn: str) -> None:
    async with one_process(postgres_dsn) as db:
        first = HeldMany(db, [SERVER_A, SERVER_B], "first")
        await first.entered.wait()
        second = HeldMany(db, [SERVER_C, SERVER_B], "second")  # shares B: waits in the process, holding C
        for _ in range(20):
            await asyncio.sleep(0)
        assert not second.entered.is_set()
        async with asyncio.timeout(5), db.transaction(SERVER_A + 1) as conn:  # any other community goes on
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('other', 'x')")
        await first.release()
        await second.entered.wait()
        await second.release()
        assert db._writers.community_locks == 0
