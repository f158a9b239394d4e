"""``open_database(read_only=True)``, the preflight check's open, on each engine: the database as it is, at whatever
schema version it holds, never created, migrated or written (the engine itself refuses a write), and its schema
described (``schema_state``) as what the bot's next start would do with it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.storage.engine import DatabaseUnavailableError, open_database, schema_state
from bot.storage.engine._migrations import migrations
from bot.storage.erasures import ErasureRecords
from bot.storage.state import StateRepository
from tests.conftest import ENGINES
from tests.storage.test_erasure_key_check import every_row
from tests.storage.test_erasure_records import at_version_13

LATEST = len(migrations("sqlite"))
PENDING_AFTER_13 = tuple(m.name.removesuffix(".sql") for m in migrations("sqlite") if m.number > 13)


@pytest.fixture(params=ENGINES)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database of each engine: the SQLite file's path, or the PostgreSQL database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "bot.sqlite3")
    return str(request.getfixturevalue("postgres_dsn"))


def file_bytes(target: str) -> dict[str, str]:
    """SQLite: a digest of each file of the database (the log and index files are SQLite's own: the log must hold
    nothing the check wrote). PostgreSQL: nothing to compare here (``every_row`` compares its rows)."""
    if target.startswith("postgresql"):
        return {}
    path = Path(target)
    digests = {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        digests[wal.name] = hashlib.sha256(wal.read_bytes()).hexdigest()
    return digests


async def rows_read_only(target: str) -> dict[str, list[tuple[object, ...]]]:
    async with open_database(target, read_only=True) as db:
        return await every_row(db)


async def set_version(target: str, version: int) -> None:
    """Record ``version`` as the schema's, as a newer bot's migration would have."""
    if target.startswith("postgresql"):
        raw = await asyncpg.connect(target)
        try:
            await raw.execute("UPDATE schema_version SET version = $1", version)
        finally:
            await raw.close()
        return
    async with aiosqlite.connect(target) as lite:
        await lite.execute(f"PRAGMA user_version = {version}")
        await lite.commit()


async def test_a_version_13_database_is_left_at_13_and_its_upgrade_is_described(target: str) -> None:
    await at_version_13(target)
    before, files = await rows_read_only(target), file_bytes(target)

    async with open_database(target, read_only=True) as db:
        state = await schema_state(db)
        assert (state.version, state.latest, state.pending) == (13, LATEST, PENDING_AFTER_13)
        assert not state.current and not state.newer
        assert "member_key" not in str(await db.fetchall("SELECT * FROM erasures LIMIT 1"))  # still 13's table
        with pytest.raises(DatabaseUnavailableError, match="read-only"):
            async with db.transaction() as conn:
                await conn.execute("DELETE FROM erasures")
        with pytest.raises(DatabaseUnavailableError, match="read-only"):
            await db.migrate()

    assert await rows_read_only(target) == before
    assert file_bytes(target) == files
    async with open_database(target) as db:  # the bot's own open does upgrade it
        assert await db.schema_version() == LATEST
        assert await ErasureRecords(db).prepare() == 3  # the three records 13 held, carried over untouched


async def test_the_engine_itself_refuses_a_write_that_bypasses_the_transactions(target: str) -> None:
    async with open_database(target):
        pass  # created and migrated, as by a first start
    before = await rows_read_only(target)
    async with open_database(target, read_only=True) as db:
        with pytest.raises((aiosqlite.OperationalError, DatabaseUnavailableError), match=r"(?i)read-?only"):
            await db.fetchall("INSERT INTO bot_state (key, value) VALUES ('written', 'by a reader') RETURNING key")
        assert await StateRepository(db).get("written") is None
    assert await rows_read_only(target) == before


async def test_a_database_from_a_newer_bot_is_opened_untouched_and_said_to_be_newer(target: str) -> None:
    async with open_database(target):
        pass
    await set_version(target, LATEST + 1)
    before, files = await rows_read_only(target), file_bytes(target)

    async with open_database(target, read_only=True) as db:
        state = await schema_state(db)
        assert state.newer and state.version == LATEST + 1 and state.pending == ()

    assert await rows_read_only(target) == before
    assert file_bytes(target) == files
    with pytest.raises(Exception, match="newer version of the bot"):
        async with open_database(target):
            pass  # the bot's start refuses it


async def test_an_empty_postgresql_database_is_at_version_0_and_gets_no_table(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn, read_only=True) as db:
        state = await schema_state(db)
        assert (state.version, len(state.pending)) == (0, LATEST)
    raw = await asyncpg.connect(postgres_dsn)
    try:
        assert await raw.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == 0
    finally:
        await raw.close()


async def test_a_read_only_postgresql_open_takes_no_lock_a_bot_process_would(migrated_postgres_dsn: str) -> None:
    """The check is no bot process: another process's liveness (its owner lock) must not be mistaken for it."""
    async with open_database(migrated_postgres_dsn, read_only=True) as db:
        held = await db.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert held == 0


async def test_a_missing_sqlite_file_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "not" / "there.sqlite3"
    with pytest.raises(DatabaseUnavailableError, match=re.escape(f"there is no database at {path}")):
        async with open_database(path, read_only=True):
            pass
    assert not (tmp_path / "not").exists()


async def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("not a database, but a file of notes " * 100)
    with pytest.raises(DatabaseUnavailableError, match="cannot read the database"):
        async with open_database(path, read_only=True):
            pass
    assert path.read_text().startswith("not a database")


async def test_a_path_with_uri_characters_is_opened_as_that_file(tmp_path: Path) -> None:
    path = tmp_path / "odd?mode=rwc&name #1%20.sqlite3"
    async with open_database(path):
        pass
    async with open_database(path, read_only=True) as db:
        assert await db.schema_version() == LATEST
