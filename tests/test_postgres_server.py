"""The tests' own PostgreSQL server (tests/postgres.py): it runs, it keeps committed rows across a restart."""

from __future__ import annotations

import asyncpg

from tests.postgres import PostgresServer


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
