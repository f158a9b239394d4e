"""The engine interface, against a real database of each engine: serialised writes, whole transactions, long reads.

What holds for SQLite only (its PRAGMAs, the process lock, the backup API) is in test_sqlite_engine.py.
"""

from __future__ import annotations

import asyncio

from bot.storage.engine import Database, rows_in_thread_from_loop
from bot.storage.engine._migrations import migrations

TABLES = {
    "programmes",
    "sessions",
    "prompts",
    "answers",
    "answer_versions",
    "consents",
    "prompt_threads",
    "reminder_deliveries",
    "dm_subscriptions",
    "export_audit",
    "community_settings",
    "bot_state",
}


async def test_a_new_database_is_at_the_latest_version_with_every_table(db: Database) -> None:
    assert await db.schema_version() == len(migrations(db.engine))
    for table in TABLES:
        assert await db.fetchval(f"SELECT COUNT(*) FROM {table}") == 0
    assert await db.check_integrity() == []
    assert await db.migrate() == len(migrations(db.engine))  # again: nothing to apply, the version stays


async def test_fifty_concurrent_writers_one_failing_half_way_persist_nothing_partial(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE scratch (writer INTEGER, step INTEGER)")

    async def writer(number: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO scratch VALUES (?, 1)", (number,))
            await asyncio.sleep(0)  # let every other writer run here if the lock allowed it
            if number == 25:
                raise RuntimeError("writer 25 fails half-way")
            await conn.execute("INSERT INTO scratch VALUES (?, 2)", (number,))

    results = await asyncio.gather(*(writer(n) for n in range(50)), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and "writer 25" in str(failures[0])
    rows = await db.fetchall("SELECT writer, COUNT(*) FROM scratch GROUP BY writer")
    counts = {r[0]: r[1] for r in rows}
    assert 25 not in counts
    assert counts == {n: 2 for n in range(50) if n != 25}


async def test_execute_counts_rows_and_fetchval_reads_one_value(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        await conn.executemany("INSERT INTO things (id, name) VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "c")])
        assert await conn.execute("UPDATE things SET name = 'z' WHERE id >= ?", (2,)) == 2
        assert await conn.fetchval("SELECT name FROM things WHERE id = ?", (3,)) == "z"
        assert await conn.fetchval("SELECT name FROM things WHERE id = ?", (9,)) is None
        new_id = await conn.fetchval("INSERT INTO things (id, name) VALUES (?, ?) RETURNING id", (7, "d"))
    assert new_id == 7
    row = await db.fetchone("SELECT id, name FROM things WHERE id = ?", (7,))
    assert row is not None and row["name"] == "d" and row[0] == 7
    assert await db.fetchone("SELECT id FROM things WHERE id = ?", (8,)) is None


async def test_a_long_read_does_not_show_other_reads_an_old_database(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE items (n INTEGER)")
        await conn.executemany("INSERT INTO items VALUES (?)", [(n,) for n in range(2000)])
    rows = db.iterate("SELECT n FROM items ORDER BY n", batch=100)
    assert (await anext(rows))["n"] == 0  # an export is under way, its snapshot open
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO items VALUES (2000)")
    count = await db.fetchone("SELECT COUNT(*) FROM items")
    assert count is not None and count[0] == 2001  # everyone else sees the new row at once
    assert sum(1 for _ in [row async for row in rows]) == 1999  # the export reads its own snapshot
    await rows.aclose()


async def test_rows_in_a_worker_thread_are_plain_tuples(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE items (n INTEGER, label TEXT)")
        await conn.executemany("INSERT INTO items VALUES (?, ?)", [(n, f"n{n}") for n in range(5)])

    def read() -> list[tuple[object, ...]]:
        with db.rows_in_thread("SELECT n, label FROM items WHERE n >= ? ORDER BY n", (3,)) as rows:
            return list(rows)

    assert await asyncio.to_thread(read) == [(3, "n3"), (4, "n4")]


async def test_rows_bridged_from_the_loop_reach_a_worker_thread_in_batches(db: Database) -> None:
    """The bridge an engine whose driver lives on the loop uses for ``rows_in_thread``."""
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE items (n INTEGER)")
        await conn.executemany("INSERT INTO items VALUES (?)", [(n,) for n in range(25)])
    loop = asyncio.get_running_loop()

    def read(stop_after: int | None = None) -> list[tuple[object, ...]]:
        rows = db.iterate("SELECT n FROM items ORDER BY n", batch=4)
        with rows_in_thread_from_loop(loop, rows, batch=10) as stepped:
            return [row for _, row in zip(range(stop_after or 10**6), stepped, strict=False)]

    assert await asyncio.to_thread(read) == [(n,) for n in range(25)]
    assert await asyncio.to_thread(read, 3) == [(0,), (1,), (2,)]  # stopping early closes the read
