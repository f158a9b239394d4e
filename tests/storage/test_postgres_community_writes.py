"""Writes of different communities run side by side on PostgreSQL, across processes; writes of one community, and
writes of no community in particular, stay serialised (bot/storage/engine/_postgres.py).

Each ``open_database`` is a pool of its own, as a second bot process would have. That a writer is waiting is read
from the server (an advisory lock requested and not granted), so no test sleeps to guess.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from bot.domain.answering import SaveOutcome
from bot.domain.programme import Programme
from bot.services.answers import AnswerService
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database, open_database
from bot.storage.engine._postgres import PostgresDatabase
from bot.storage.reminders import ReminderRepository

SERVER_A, SERVER_B = 111_111_111_111_111_111, 222_222_222_222_222_222


class Held:
    """A write transaction kept open until ``release``; ``entered`` once it holds its locks."""

    def __init__(self, db: Database, community_id: int | None, key: str) -> None:
        self.entered = asyncio.Event()
        self._release = asyncio.Event()
        self.task = asyncio.create_task(self._run(db, community_id, key))

    async def _run(self, db: Database, community_id: int | None, key: str) -> None:
        async with db.transaction(community_id) as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'x')", (key,))
            self.entered.set()
            await self._release.wait()

    async def release(self) -> None:
        self._release.set()
        await self.task


@asynccontextmanager
async def two_processes(dsn: str) -> AsyncIterator[tuple[Database, Database]]:
    async with open_database(dsn) as first, open_database(dsn) as second:
        yield first, second


async def waiting_for_locks(db: Database) -> int:
    """How many advisory lock requests on the server wait (requested, not granted)."""
    return int(await db.fetchval("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))


async def until_waiting(db: Database, count: int) -> None:
    for _ in range(500):
        if await waiting_for_locks(db) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} writers waited for a lock")


async def test_two_communities_commit_while_the_other_is_open_across_processes(postgres_dsn: str) -> None:
    async with two_processes(postgres_dsn) as (first, second):
        held = Held(first, SERVER_A, "a")
        await held.entered.wait()
        async with asyncio.timeout(5):  # would wait for ever behind a global lock
            async with second.transaction(SERVER_B) as conn:
                await conn.execute("INSERT INTO bot_state (key, value) VALUES ('b', 'x')")
        assert await first.fetchval("SELECT value FROM bot_state WHERE key = 'b'") == "x"
        assert not held.task.done()
        await held.release()
        assert await second.fetchval("SELECT COUNT(*) FROM bot_state WHERE key IN ('a', 'b')") == 2


async def test_two_communities_commit_side_by_side_in_one_process(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        held = Held(db, SERVER_A, "a")
        await held.entered.wait()
        async with asyncio.timeout(5), db.transaction(SERVER_B) as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('b', 'x')")
        await held.release()


async def test_one_community_s_writers_wait_for_each_other_across_processes(postgres_dsn: str) -> None:
    async with two_processes(postgres_dsn) as (first, second):
        held = Held(first, SERVER_A, "a")
        await held.entered.wait()
        waiting = Held(second, SERVER_A, "a2")
        await until_waiting(first, 1)
        assert not waiting.entered.is_set()
        await held.release()
        await waiting.entered.wait()
        await waiting.release()


async def test_read_decide_write_of_one_community_never_races(postgres_dsn: str) -> None:
    """The guarantee the global lock gave (claims, "has this member answered?"), now per community."""
    async with two_processes(postgres_dsn) as (first, second):
        async with first.transaction() as conn:
            await conn.executemany("INSERT INTO bot_state (key, value) VALUES (?, '0')", [("a",), ("b",)])

        async def increment(db: Database, community_id: int, key: str) -> None:
            async with db.transaction(community_id) as conn:
                value = int(await conn.fetchval("SELECT value FROM bot_state WHERE key = ?", (key,)))
                await asyncio.sleep(0.005)
                await conn.execute("UPDATE bot_state SET value = ? WHERE key = ?", (str(value + 1), key))

        writers = [(db, server, key) for db in (first, second) for server, key in ((SERVER_A, "a"), (SERVER_B, "b"))]
        await asyncio.gather(*(increment(*writer) for writer in writers * 8))
        assert await first.fetchval("SELECT value FROM bot_state WHERE key = 'a'") == "16"
        assert await first.fetchval("SELECT value FROM bot_state WHERE key = 'b'") == "16"


async def test_a_write_of_no_community_waits_for_every_community_and_they_for_it(postgres_dsn: str) -> None:
    async with two_processes(postgres_dsn) as (first, second), open_database(postgres_dsn) as third:
        in_a, in_b = Held(first, SERVER_A, "a"), Held(second, SERVER_B, "b")
        await asyncio.gather(in_a.entered.wait(), in_b.entered.wait())
        purge = Held(third, None, "purge")
        await until_waiting(second, 1)
        await in_a.release()
        await until_waiting(second, 1)  # still: it waits for B
        assert not purge.entered.is_set()
        await in_b.release()
        await purge.entered.wait()

        # And while it runs, a community's writer in another process waits for it.
        late = Held(second, SERVER_A, "a-late")
        await until_waiting(first, 1)
        assert not late.entered.is_set()
        await purge.release()
        await late.entered.wait()
        await late.release()


async def test_a_process_keeps_no_lock_per_community_once_its_writes_are_done(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        assert isinstance(db, PostgresDatabase)

        async def write(community_id: int) -> None:
            async with db.transaction(community_id) as conn:
                await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'x')", (str(community_id),))

        await asyncio.gather(*(write(community_id) for community_id in range(1, 201)))
        assert db._writers.community_locks == 0


async def test_in_one_process_a_write_of_no_community_waits_for_the_community_writers_and_goes_first(
    postgres_dsn: str,
) -> None:
    """Within a process the writers queue on in-process locks before the server's: the same order holds there."""
    async with open_database(postgres_dsn) as db:
        assert isinstance(db, PostgresDatabase)
        in_a = Held(db, SERVER_A, "a")
        await in_a.entered.wait()
        purge = Held(db, None, "purge")
        for _ in range(20):  # let it run as far as it can: it waits for A
            await asyncio.sleep(0)
        later = Held(db, SERVER_B, "b")  # arrives after the purge asked: waits for it
        for _ in range(20):
            await asyncio.sleep(0)
        assert not purge.entered.is_set() and not later.entered.is_set()
        await in_a.release()
        await purge.entered.wait()
        assert not later.entered.is_set()
        await purge.release()
        await later.entered.wait()
        await later.release()


async def test_a_write_of_no_community_waits_for_the_last_of_many_community_writers_then_the_rest_wait_for_it(
    postgres_dsn: str,
) -> None:
    async with open_database(postgres_dsn) as db:
        first = [Held(db, SERVER_A + n, f"first {n}") for n in range(5)]
        await asyncio.gather(*(held.entered.wait() for held in first))
        purge = Held(db, None, "purge")
        for _ in range(20):
            await asyncio.sleep(0)
        later = [Held(db, SERVER_B + n, f"later {n}") for n in range(5)]
        for held in first[:-1]:
            await held.release()
        for _ in range(20):
            await asyncio.sleep(0)
        assert not purge.entered.is_set()
        await first[-1].release()
        await purge.entered.wait()
        assert not any(held.entered.is_set() for held in later)
        await purge.release()
        for held in later:
            await held.entered.wait()
            await held.release()
        assert await db.fetchval("SELECT COUNT(*) FROM bot_state") == 11


async def test_one_member_answering_from_two_processes_at_once_has_one_answer_and_every_version(
    postgres_dsn: str, programme: Programme
) -> None:
    """The answer is read and written under its server's lock: no two processes both insert it, or both replace
    the same text without keeping the other's as a version."""
    async with two_processes(postgres_dsn) as (first, second):
        await ProgrammeService(first).import_programme(SERVER_A, programme)
        prompt_id = await AnswerService(first).prompt_id(SERVER_A, 8, 1)
        assert prompt_id is not None
        services = [AnswerService(first), AnswerService(second)]
        saved = await asyncio.gather(
            *(services[n % 2].submit(prompt_id, 42, f"text {n}", community_id=SERVER_A) for n in range(20))
        )
        assert [s.outcome for s in saved].count(SaveOutcome.CREATED) == 1
        assert sum(s.consent_recorded for s in saved) == 1
        data = await services[0].member_data(SERVER_A, 42)
        [answer] = data.answers
        texts = [answer.answer.text, *(version.text for version in answer.versions)]
        assert sorted(texts) == sorted(f"text {n}" for n in range(20))


async def test_asking_whether_a_member_is_owed_a_dms_closed_notice_takes_no_write_lock(postgres_dsn: str) -> None:
    """Asked after every command a member runs: it must not queue behind (or hold up) the writers of every server."""
    async with two_processes(postgres_dsn) as (first, second):
        purge = Held(first, None, "purge")
        await purge.entered.wait()
        claim = ReminderRepository(second).claim_dms_closed_notices(SERVER_A, datetime.now(UTC), limit=1, user_id=42)
        assert await asyncio.wait_for(claim, 5) == []
        assert await waiting_for_locks(second) == 0
        await purge.release()
