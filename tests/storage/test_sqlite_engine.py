"""What holds for the SQLite engine only: its PRAGMAs, migrations in one script, the process lock and the backup API.

Against a real SQLite file; never run for PostgreSQL (the ``sqlite_only`` mark).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.engine import DatabaseLockedError, SqliteDatabase, open_database
from bot.storage.engine import _sqlite as sqlite_engine
from bot.storage.engine._migrations import Migration, migrations

pytestmark = pytest.mark.sqlite_only("the SQLite engine itself: its PRAGMAs, files and process lock")


async def test_migrations_from_empty_reach_the_latest_version(tmp_path: Path) -> None:
    latest = len(migrations("sqlite"))
    async with open_database(tmp_path / "new" / "bot.sqlite3") as db:
        assert db.engine == "sqlite"
        assert await db.schema_version() == latest
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"programmes", "sessions", "prompts", "answers", "reminder_deliveries", "communities"} <= tables
    # Opening again applies nothing and keeps the version.
    async with open_database(tmp_path / "new" / "bot.sqlite3") as db:
        assert await db.schema_version() == latest


async def test_every_connection_has_the_durability_pragmas(tmp_path: Path) -> None:
    async with SqliteDatabase.open(tmp_path / "bot.sqlite3") as db:
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA synchronous") == 2  # FULL
        assert await db.fetchval("PRAGMA busy_timeout") == 5000
        assert await db.fetchval("PRAGMA secure_delete") == 1
        async with db.transaction() as conn:
            assert await conn.fetchval("PRAGMA foreign_keys") == 1


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.sqlite3"
    real = migrations("sqlite")
    broken = [*real[:1], Migration(2, "0002_broken.sql", "CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(sqlite_engine, "migrations", lambda engine: broken)
    with pytest.raises(aiosqlite.OperationalError):
        await SqliteDatabase.connect(path)
    monkeypatch.undo()
    async with aiosqlite.connect(path) as raw:
        async with raw.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
        async with raw.execute("SELECT name FROM sqlite_master WHERE name = 'half'") as cursor:
            assert await cursor.fetchone() is None


async def test_a_database_from_a_newer_bot_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    latest = len(migrations("sqlite"))
    async with aiosqlite.connect(path) as raw:
        await raw.execute(f"PRAGMA user_version = {latest + 1}")
        await raw.commit()
    with pytest.raises(Exception, match="newer version of the bot"):
        await SqliteDatabase.connect(path)


async def test_a_second_bot_process_on_the_same_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with open_database(path, exclusive=True):
        with pytest.raises(DatabaseLockedError, match="another bot process is already using"):
            await SqliteDatabase.connect(path, exclusive=True)
    # Released on close: a new bot may start.
    async with open_database(path, exclusive=True) as db:
        assert await db.schema_version() == len(migrations("sqlite"))


async def test_backup_is_consistent_while_writes_go_on(tmp_path: Path) -> None:
    async with SqliteDatabase.open(tmp_path / "bot.sqlite3") as db:
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
    async with SqliteDatabase.open(tmp_path / "copy.sqlite3") as copy:
        assert await copy.check_integrity() == []
        row = await copy.fetchone("SELECT COUNT(*) FROM pairs")
        assert row is not None and row[0] % 2 == 0  # whole transactions only


async def test_a_backup_is_readable_by_the_bots_user_only(tmp_path: Path) -> None:
    target = tmp_path / "backups" / "copy.sqlite3"
    async with SqliteDatabase.open(tmp_path / "bot.sqlite3") as db:
        await db.backup_to(target)
    assert target.stat().st_mode & 0o777 == 0o600


async def test_a_postgresql_url_without_the_postgresql_engine_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    real_import = importlib.import_module

    def without_postgres(name: str, package: str | None = None) -> object:
        if name == "bot.storage.engine._postgres":
            raise ModuleNotFoundError("No module named 'asyncpg'", name="asyncpg")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", without_postgres)
    with pytest.raises(Exception, match="PostgreSQL") as caught:
        async with open_database("postgresql://bot@localhost/bot"):
            pass
    assert "asyncpg" in str(caught.value) and "DATABASE_URL" in str(caught.value)
