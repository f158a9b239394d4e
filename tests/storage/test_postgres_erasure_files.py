"""On PostgreSQL, an erased member's answers are gone from the database's files after the steps the bot takes.

The steps (docs/postgresql-erasure.md has the experiment behind them): DELETE the rows, then ``VACUUM (FULL)`` the
tables that hold members' words. A plain VACUUM is not enough: it leaves the bytes in the page's free space.
VACUUM (FULL) writes the table anew and truncates the old files at commit; the CHECKPOINT after it is not needed
for the text to be gone, it only removes the emptied files (and lets old WAL go).
The test reads the cluster's files directly (it runs as root or as the server's own user, so it may). The
CHECKPOINT before the DELETE puts the inserted rows on disk, so that the test can see it looks in the right place.
"""

from __future__ import annotations

import base64
import os

import asyncpg

from tests.postgres import PostgresServer
from tests.storage.test_postgres_migrations import POSTGRES_MIGRATIONS, migration_names

GUILD = 100000000000000001
ERASED_MEMBER = 200000000000000002
OTHER_MEMBER = 200000000000000003
NOW = "2026-01-05T19:00:00.000000Z"


async def migrated(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    for name in migration_names(POSTGRES_MIGRATIONS):
        async with conn.transaction():
            await conn.execute((POSTGRES_MIGRATIONS / name).read_text(encoding="utf-8"))
    return conn


async def two_prompts(conn: asyncpg.Connection) -> list[int]:
    await conn.execute("INSERT INTO programmes VALUES ($1, 'Workshops', 'Europe/London', '', $2)", GUILD, NOW)
    session = await conn.fetchval(
        "INSERT INTO sessions (community_id, week, title, starts_at, ends_at, location, description) "
        "VALUES ($1, 1, 'Week 1', $2, '2026-01-05T21:00:00.000000Z', 'Zoom', '') RETURNING id",
        GUILD,
        NOW,
    )
    return [
        await conn.fetchval(
            "INSERT INTO prompts (session_id, position, text) VALUES ($1, $2, 'Why?') RETURNING id", session, p
        )
        for p in (1, 2)
    ]


async def answer(conn: asyncpg.Connection, prompt: int, member: int, text: str) -> int:
    answer_id: int = await conn.fetchval(
        "INSERT INTO answers (community_id, prompt_id, user_id, source, text, created_at, updated_at) "
        "VALUES ($1, $2, $3, 'modal', $4, $5, $5) RETURNING id",
        GUILD,
        prompt,
        member,
        text,
        NOW,
    )
    return answer_id


def files_of(server: PostgresServer, relative_paths: list[str]) -> bytes:
    """Every fork and segment of the given relations (main, _fsm, _vm, .1 ...), concatenated."""
    data = b""
    for relative in relative_paths:
        for path in sorted(server.data_dir.glob(relative + "*")):
            data += path.read_bytes()
    return data


async def relation_paths(conn: asyncpg.Connection) -> list[str]:
    """The files of answers and answer_versions and of their TOAST tables, relative to the data folder."""
    rows = await conn.fetch(
        "SELECT pg_relation_filepath(c.oid), pg_relation_filepath(c.reltoastrelid) FROM pg_class c "
        "WHERE c.relname IN ('answers', 'answer_versions') AND c.relnamespace = 'public'::regnamespace"
    )
    return [path for row in rows for path in row]


async def test_an_erased_members_answers_are_gone_from_the_database_files(
    postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    marker = "erased-" + os.urandom(8).hex()
    short_text = f"{marker} my short answer"
    # About 10 kB that pglz cannot compress: stored out of line, in the TOAST table.
    long_text = f"{marker} " + base64.b64encode(os.urandom(7500)).decode()
    conn = await migrated(postgres_dsn)
    try:
        first, second = await two_prompts(conn)
        for member in range(40):
            await answer(conn, first, OTHER_MEMBER + member, f"someone else's answer {member}")
        # The erased member's answers are the newest on their page: a plain VACUUM would leave them in its hole.
        edited = await answer(conn, first, ERASED_MEMBER, short_text)
        await conn.execute(
            "INSERT INTO answer_versions (answer_id, text, recorded_at) VALUES ($1, $2, $3)",
            edited,
            f"{marker} an earlier version",
            NOW,
        )
        await answer(conn, second, ERASED_MEMBER, long_text)
        await conn.execute("ANALYZE")  # as autovacuum would, some time after the inserts
        await conn.execute("CHECKPOINT")
        before = await relation_paths(conn)
        database_dir = postgres_server.data_dir / "base" / str(await conn.fetchval(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ))  # fmt: skip
        assert marker.encode() in files_of(postgres_server, before)  # the test looks where the rows are

        # What the bot does to erase a member on PostgreSQL.
        await conn.execute("DELETE FROM answers WHERE community_id = $1 AND user_id = $2", GUILD, ERASED_MEMBER)
        await conn.execute("VACUUM (FULL) answers, answer_versions")

        assert marker.encode() not in files_of(postgres_server, await relation_paths(conn))
        leftovers = [p.name for p in database_dir.iterdir() if p.is_file() and marker.encode() in p.read_bytes()]
        assert leftovers == [], "no file of the database holds the erased text (indexes, pg_statistic...)"
        await conn.execute("CHECKPOINT")
        assert not [path for path in before if (postgres_server.data_dir / path).exists()], "emptied files removed"
        assert await conn.fetchval("SELECT count(*) FROM answers") == 40
    finally:
        await conn.close()


async def test_analyze_keeps_no_statistics_of_what_members_wrote(postgres_dsn: str) -> None:
    """pg_statistic would keep a deleted answer as a "most common value" until the next ANALYZE with rows."""
    conn = await migrated(postgres_dsn)
    try:
        first, _ = await two_prompts(conn)
        for member in range(20):
            await answer(conn, first, OTHER_MEMBER + member, "the same words")
        await conn.execute("ANALYZE")
        columns = await conn.fetch(
            "SELECT tablename, attname FROM pg_stats WHERE tablename IN ('answers', 'answer_versions') "
            "AND attname = 'text'"
        )
        assert columns == []
    finally:
        await conn.close()
