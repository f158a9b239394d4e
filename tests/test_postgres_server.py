"""The tests' own PostgreSQL server (tests/postgres.py): it runs, it keeps committed rows across a restart."""

from __future__ import annotations

import asyncpg
import pytest

from bot.storage.engine import open_database
from tests.postgres import MigratedTemplate, ModuleDatabase, PostgresServer


async def test_a_committed_row_survives_a_restart(postgres_server: PostgresServer, postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE TABLE kept (id BIGINT PRIMARY KEY, text TEXT NOT NULL)")
        await conn.execute("INSERT INTO kept VALUES ($1, $2)", 2**62, "still here")
    finally:
        await conn.close()

    postgres_server.restart()

    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await conn.fetch("SELECT id, text FROM kept") == [(2**62, "still here")]
    finally:
        await conn.close()


async def test_each_test_gets_an_empty_database_of_its_own(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        database = await conn.fetchval("SELECT current_database()")
    finally:
        await conn.close()
    assert tables == 0
    assert postgres_dsn.endswith("/" + database)


def test_the_server_is_durable_and_listens_on_localhost_only(postgres_server: PostgresServer) -> None:
    settings = postgres_server.sql(
        "SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings "
        "WHERE name IN ('fsync', 'synchronous_commit', 'listen_addresses')"
    )
    assert settings == "fsync=on,listen_addresses=127.0.0.1,synchronous_commit=on"


def test_a_stopped_server_starts_again(postgres_server: PostgresServer) -> None:
    postgres_server.stop()
    assert not postgres_server.running
    postgres_server.start()
    assert postgres_server.sql("SELECT 1") == "1"


# --- the migrated template, and the module's database cloned from it ---------------------------------------------


async def test_the_template_is_migrated_and_takes_no_connections(postgres_template: MigratedTemplate) -> None:
    assert "schema_version" in postgres_template.kept_tables and "answers" in postgres_template.empty_tables
    with pytest.raises(asyncpg.PostgresError, match="not currently accepting connections"):
        await asyncpg.connect(postgres_template.server.dsn(postgres_template.name))


async def test_a_reset_empties_every_table_and_restarts_identities(postgres_template: MigratedTemplate) -> None:
    database = ModuleDatabase(postgres_template)
    try:
        dsn = database.fresh()
        async with open_database(dsn) as db, db.transaction() as conn:
            await conn.execute("INSERT INTO programmes (community_id, title, timezone, introduction, imported_at) "
                               "VALUES (1, 'T', 'UTC', '', '2020-01-01T00:00:00.000000Z')")  # fmt: skip
            await conn.execute("INSERT INTO sessions (community_id, week, title, starts_at, ends_at, location, "
                               "description) VALUES (1, 1, 'S', '2020-01-01T00:00:00.000000Z', "
                               "'2020-01-01T01:00:00.000000Z', 'Zoom', '')")  # fmt: skip
        assert database.fresh() == dsn  # the same database, emptied
        raw = await asyncpg.connect(dsn)
        try:
            assert await raw.fetchval("SELECT count(*) FROM programmes") == 0
            await raw.execute("INSERT INTO programmes (community_id, title, timezone, introduction, imported_at) "
                              "VALUES (1, 'T', 'UTC', '', '2020-01-01T00:00:00.000000Z')")  # fmt: skip
            session_id = await raw.fetchval(
                "INSERT INTO sessions (community_id, week, title, starts_at, ends_at, location, description) "
                "VALUES (1, 1, 'S', '2020-01-01T00:00:00.000000Z', '2020-01-01T01:00:00.000000Z', 'Zoom', '') "
                "RETURNING id"
            )
            assert session_id == 1  # identities start again, as in a new database
        finally:
            await raw.close()
    finally:
        database.drop()


async def test_a_database_whose_schema_a_test_changed_is_cloned_afresh(postgres_template: MigratedTemplate) -> None:
    database = ModuleDatabase(postgres_template)
    try:
        dsn = database.fresh()
        raw = await asyncpg.connect(dsn)
        try:
            await raw.execute("ALTER TABLE answers ADD COLUMN left_behind TEXT")
            await raw.execute("DELETE FROM schema_version")
        finally:
            await raw.close()
        database.fresh()
        raw = await asyncpg.connect(dsn)
        try:
            columns = await raw.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = 'answers'")
            assert "left_behind" not in {row[0] for row in columns}
            assert await raw.fetchval("SELECT count(*) FROM schema_version") > 0
        finally:
            await raw.close()
    finally:
        database.drop()
