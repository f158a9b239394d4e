"""The connection, migrations and the single writer, against a real SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import database as database_module
from bot.storage.database import LATEST_VERSION, Database, DatabaseLockedError


async def test_migrations_from_empty_reach_the_latest_version(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "new" / "bot.sqlite3") as db:
        assert await db.schema_version() == LATEST_VERSION
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {
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
        } <= tables
        assert await db.check_integrity() == []
    # Opening again applies nothing and keeps the version.
    async with Database.open(tmp_path / "new" / "bot.sqlite3") as db:
        assert await db.schema_version() == LATEST_VERSION


async def test_every_connection_has_the_durability_pragmas(db: Database) -> None:
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await db.fetchone("PRAGMA synchronous"))[0] == 2  # type: ignore[index]  # FULL
    assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
    assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1  # type: ignore[index]
    async with db.transaction() as conn, conn.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1  # type: ignore[index]


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.sqlite3"
    real = database_module._migrations()
    broken = [*real[:1], (2, "0002_broken.sql", "CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(database_module, "_migrations", lambda: broken)
    monkeypatch.setattr(database_module, "LATEST_VERSION", 2)
    with pytest.raises(aiosqlite.OperationalError):
        await Database.connect(path)
    monkeypatch.undo()
    async with aiosqlite.connect(path) as raw:
        async with raw.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
        async with raw.execute("SELECT name FROM sqlite_master WHERE name = 'half'") as cursor:
            assert await cursor.fetchone() is None


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


async def test_a_second_bot_process_on_the_same_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with Database.open(path, exclusive=True):
        with pytest.raises(DatabaseLockedError, match="another bot process is already using"):
            await Database.connect(path, exclusive=True)
    # Released on close: a new bot may start.
    async with Database.open(path, exclusive=True) as db:
        assert await db.schema_version() == LATEST_VERSION


async def test_backup_is_consistent_while_writes_go_on(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE pairs (a INTEGER, b INTEGER)")

    async def keep_writing() -> None:
        for n in range(200):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO pairs VALUES (?, ?)", (n, n))
                await conn.execute("INSERT INTO pairs VALUES (?, ?)", (-n, -n))

    writing = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.01)
    await db.backup_to(tmp_path / "copy.sqlite3")
    await writing
    async with Database.open(tmp_path / "copy.sqlite3") as copy:
        assert await copy.check_integrity() == []
        row = await copy.fetchone("SELECT COUNT(*) FROM pairs")
        assert row is not None and row[0] % 2 == 0  # whole transactions only


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


async def test_a_backup_is_readable_by_the_bots_user_only(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "copy.sqlite3"
    await db.backup_to(target)
    assert target.stat().st_mode & 0o777 == 0o600
