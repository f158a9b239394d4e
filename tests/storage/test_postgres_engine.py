"""The PostgreSQL engine (bot/storage/engine/_postgres.py) against a real server: what the interface promises."""

from __future__ import annotations

import asyncio
import threading
import time

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.database_url import check_postgresql_url, redact_url
from bot.storage.engine import DatabaseUnavailableError, ReaderRevokedError, open_database
from bot.storage.engine._postgres import POOL_MAX, PostgresDatabase, _changes_session, latest_version, translate
from tests.postgres import PostgresServer


def test_placeholders_become_numbered_outside_literals_identifiers_and_comments() -> None:
    sql = "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = ? AND b = 'it''s ?' /* ? */ AND c IN (?, ?)"
    assert translate(sql) == (
        "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = $1 AND b = 'it''s ?' /* ? */ AND c IN ($2, $3)"
    )


@given(st.lists(st.sampled_from(["?", "'?'", "x", " ", "''", "'a''?'"]), max_size=30))
def test_every_placeholder_outside_a_literal_is_numbered_in_order(parts: list[str]) -> None:
    sql = "".join(parts)
    placeholders = sum(1 for p in parts if p == "?")
    translated = translate(sql)
    assert "?" not in translated.replace("'?'", "").replace("'a''?'", "")
    assert [f"${n}" in translated for n in range(1, placeholders + 1)] == [True] * placeholders


def test_a_url_is_shown_without_its_password() -> None:
    assert redact_url("postgresql://bot:s3cret@db.example:5432/bot") == "postgresql://bot:***@db.example:5432/bot"
    assert redact_url("postgresql://db/bot?password=s3cret&sslmode=require") == (
        "postgresql://db/bot?password=***&sslmode=require"
    )
    assert redact_url("postgresql://bot@db/bot") == "postgresql://bot@db/bot"


@pytest.mark.parametrize(
    "url",
    ["postgresql://bot:s3cret@db:notaport/bot", "mysql://bot:s3cret@db/bot", "postgresql://bot:s3cret@/bot",
     "postgresql://bot:s3cret@db"],
)  # fmt: skip
def test_a_malformed_url_is_refused_without_showing_its_password(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL") as refused:
        check_postgresql_url(url)
    assert "s3cret" not in str(refused.value)


async def test_it_migrates_to_the_latest_version_once(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        assert db.engine == "postgresql"
        assert await db.schema_version() == latest_version()
        assert await db.migrate() == latest_version()
        assert await db.check_integrity() == []


async def test_two_processes_starting_at_once_migrate_once(postgres_dsn: str) -> None:
    async def start() -> int:
        async with open_database(postgres_dsn) as db:
            return await db.schema_version()

    assert await asyncio.gather(start(), start(), start()) == [latest_version()] * 3


async def test_a_write_reports_rows_changed_and_rolls_back_on_an_error(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        async with db.transaction() as conn:
            assert await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, ?)", ("k?", "it's ?")) == 1
            await conn.executemany("INSERT INTO bot_state (key, value) VALUES (?, ?)", [("a", "1"), ("b", "2")])
            assert await conn.execute("UPDATE bot_state SET value = ? WHERE key IN (?, ?)", ("3", "a", "b")) == 2
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("DELETE FROM bot_state")
                raise RuntimeError("changed my mind")
        assert await db.fetchval("SELECT value FROM bot_state WHERE key = ?", ("k?",)) == "it's ?"
        assert [tuple(r) for r in await db.fetchall("SELECT key, value FROM bot_state ORDER BY key")] == [
            ("a", "3"), ("b", "3"), ("k?", "it's ?"),
        ]  # fmt: skip
        row = await db.fetchone("SELECT key FROM bot_state WHERE key = ?", ("b",))
        assert row is not None and row["key"] == "b" and row[0] == "b"
        assert await db.fetchone("SELECT key FROM bot_state WHERE key = ?", ("none",)) is None


async def test_writes_are_serialised_across_connections(postgres_dsn: str) -> None:
    """Read-decide-write in a transaction never races: as with SQLite's BEGIN IMMEDIATE, one writer at a time."""
    async with open_database(postgres_dsn) as first, open_database(postgres_dsn) as second:
        async with first.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('n', '0')")

        async def increment(db: object) -> None:
            async with db.transaction() as conn:  # type: ignore[attr-defined]
                value = int(await conn.fetchval("SELECT value FROM bot_state WHERE key = 'n'"))
                await asyncio.sleep(0.01)
                await conn.execute("UPDATE bot_state SET value = ? WHERE key = 'n'", (str(value + 1),))

        await asyncio.gather(*(increment(db) for db in [first, second] * 10))
        assert await first.fetchval("SELECT value FROM bot_state WHERE key = 'n'") == "20"


async def test_a_long_read_streams_in_one_snapshot(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO bot_state (key, value) VALUES (?, ?)", [(f"{i:04}", "x") for i in range(1200)]
            )
        seen = []
        async for row in db.iterate("SELECT key FROM bot_state ORDER BY key", batch=100):
            if not seen:
                async with db.transaction() as conn:  # written after the read began: not in its snapshot
                    await conn.execute("INSERT INTO bot_state (key, value) VALUES ('9999', 'late')")
            seen.append(row["key"])
        assert len(seen) == 1200

        def in_thread() -> list[tuple[object, ...]]:
            with db.rows_in_thread("SELECT key FROM bot_state WHERE value = ?", ("late",)) as rows:
                return [tuple(row) for row in rows]

        assert await asyncio.to_thread(in_thread) == [("9999",)]


async def test_the_next_write_after_a_server_restart_succeeds(
    postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    async with open_database(postgres_dsn) as db:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('before', '1')")
        await asyncio.to_thread(postgres_server.restart)
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('after', '1')")
        await asyncio.to_thread(postgres_server.restart)
        assert await db.fetchval("SELECT count(*) FROM bot_state") == 2


async def test_a_stopped_server_is_a_clear_member_safe_error_and_then_recovers(
    postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    async with open_database(postgres_dsn) as db:
        await asyncio.to_thread(postgres_server.stop)
        try:
            with pytest.raises(DatabaseUnavailableError) as refused:
                async with db.transaction() as conn:
                    await conn.execute("INSERT INTO bot_state (key, value) VALUES ('lost', '1')")
            assert str(refused.value).startswith("Could not save:")
            assert "postgres" not in str(refused.value).lower()  # no server details for members
        finally:
            await asyncio.to_thread(postgres_server.start)
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('back', '1')")
        assert await db.fetchval("SELECT key FROM bot_state") == "back"


async def test_a_connection_lost_mid_transaction_rolls_back_and_says_so(
    postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    async with open_database(postgres_dsn) as db:
        with pytest.raises(DatabaseUnavailableError, match="Nothing was changed"):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO bot_state (key, value) VALUES ('half', '1')")
                await asyncio.to_thread(postgres_server.restart)
                await conn.execute("INSERT INTO bot_state (key, value) VALUES ('done', '1')")
        assert await db.fetchval("SELECT count(*) FROM bot_state") == 0


async def test_an_unreachable_server_is_a_clear_error_without_the_password(postgres_server: PostgresServer) -> None:
    url = f"postgresql://bot:s3cret@127.0.0.1:{postgres_server.port + 1}/nothing"
    with pytest.raises(DatabaseUnavailableError, match="cannot be reached") as refused:
        async with open_database(url):
            pass
    assert "s3cret" not in str(refused.value) and "bot:***@" in str(refused.value)


async def test_scrub_rewrites_the_member_text_tables(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        before = await db.fetchval("SELECT pg_relation_filenode('answers')")
        await db.scrub()
        assert await db.fetchval("SELECT pg_relation_filenode('answers')") != before
        assert await db.try_scrub()


async def test_scrub_stops_a_long_read_that_holds_the_tables(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        db.reader_grace = 0.2
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO bot_state (key, value) VALUES (?, ?)", [(str(i), "x") for i in range(50)]
            )
        stopped = asyncio.Event()

        async def export() -> None:
            try:
                async for _ in db.iterate("SELECT a.id, s.key FROM answers a RIGHT JOIN bot_state s ON TRUE", batch=1):
                    await asyncio.sleep(0.05)
            except Exception:
                stopped.set()
                raise

        reading = asyncio.create_task(export())
        await asyncio.sleep(0.1)
        await db.scrub()
        assert stopped.is_set()
        with pytest.raises(Exception, match="export was stopped"):
            await reading


async def test_a_plain_asyncpg_connection_sees_what_the_engine_committed(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db, db.transaction() as conn:
        await conn.execute("INSERT INTO bot_state (key, value) VALUES ('seen', 'yes')")
    raw = await asyncpg.connect(postgres_dsn)
    try:
        assert await raw.fetchval("SELECT value FROM bot_state WHERE key = 'seen'") == "yes"
        assert await raw.fetchval("SELECT version FROM schema_version") == latest_version()
    finally:
        await raw.close()


async def test_scrub_stops_an_export_reading_in_a_worker_thread(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db:
        db.reader_grace = 0.3
        async with db.transaction() as conn:
            rows = [(str(i), "x") for i in range(3000)]
            await conn.executemany("INSERT INTO bot_state (key, value) VALUES (?, ?)", rows)
        started = threading.Event()

        def export() -> int:
            seen = 0
            with db.rows_in_thread("SELECT s.key, a.id FROM bot_state s LEFT JOIN answers a ON FALSE") as found:
                for _ in found:
                    started.set()
                    seen += 1
                    time.sleep(0.0005)
            return seen

        reading = asyncio.ensure_future(asyncio.to_thread(export))
        assert await asyncio.to_thread(started.wait, 10)
        await db.scrub()
        with pytest.raises(ReaderRevokedError):
            await reading


async def other_session_can_lock(dsn: str, key: int) -> bool:
    """Whether a session of its own can take the advisory lock ``key`` now (and it lets go at once)."""
    other = await asyncpg.connect(dsn)
    try:
        return bool(await other.fetchval("SELECT pg_try_advisory_lock($1)", key))
    finally:
        await other.close()


async def test_a_connection_back_in_the_pool_keeps_no_transaction_lock_or_setting(postgres_dsn: str) -> None:
    """Connections go back to the pool without asyncpg's reset query (a round trip per read and per write), so
    what a caller left behind must still not reach the next: an open transaction is rolled back, and a connection
    whose session was changed (a session lock, a SET) is reset in full."""
    async with open_database(postgres_dsn) as db:
        assert isinstance(db, PostgresDatabase)
        async with db._pooled() as raw:
            await raw.execute("BEGIN; INSERT INTO bot_state (key, value) VALUES ('left', 'open')")
        async with db._pooled() as raw:
            _changes_session(raw)
            await raw.execute("SELECT pg_advisory_lock(4242)")
            await raw.execute("SET statement_timeout = '1234ms'")
            # and never unlocked nor RESET, as when the connection's own clean-up did not run
        assert await db.fetchval("SELECT COUNT(*) FROM bot_state WHERE key = 'left'") == 0
        assert await other_session_can_lock(postgres_dsn, 4242)
        pooled = [await db._pool.acquire() for _ in range(POOL_MAX)]  # every connection the pool holds
        try:
            assert {await raw.fetchval("SHOW statement_timeout") for raw in pooled} == {"0"}
            assert {await raw.fetchval("SELECT pg_current_xact_id_if_assigned()") for raw in pooled} == {None}
        finally:
            for raw in pooled:
                await db._pool.release(raw)


async def test_a_probe_for_another_process_leaves_its_lock_free(postgres_dsn: str) -> None:
    async with open_database(postgres_dsn) as db, open_database(postgres_dsn) as other:
        assert await db.owner_alive(other.owner_token)
        await other.close()
        for _ in range(3):
            assert not await db.owner_alive(other.owner_token)
        assert await db.fetchval("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'") == 1  # its own
