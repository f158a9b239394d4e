"""Many prepared servers on PostgreSQL in seconds: the first through the services, the rest copied from it in SQL.

``prepare_servers`` stores each server through the services, a few transactions a server: about 30 ms each, five
minutes for 10,000. Here the first server is stored that way, and its rows (programme, sessions, prompts,
settings) are copied to the others with a few set-based statements, each server with its own reminder channel
and DM subscribers: the database the bot then reads is what 10,000 imports and /setups would have left. The
columns are read from the schema, so a later migration's new columns are copied too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from benchmarks.common import Server, prepare_servers
from bot.domain.programme import Programme
from bot.storage.codec import to_db_time


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [row[0] for row in rows]


async def _copy_per_community(conn: asyncpg.Connection, table: str, source: int, targets: list[int]) -> None:
    """Every row of ``source`` in ``table``, once for each target community (identity ``id`` left to the table)."""
    columns = [c for c in await _columns(conn, table) if c != "id"]
    chosen = ", ".join("target" if c == "community_id" else f"t.{c}" for c in columns)
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} t, "
        "unnest($1::bigint[]) AS target WHERE t.community_id = $2",
        targets,
        source,
    )


async def prepare_many(dsn: str, servers: Sequence[Server], programme: Programme) -> None:
    """What ``prepare_servers`` stores, for many servers at once (PostgreSQL only)."""
    first, rest = servers[0], list(servers[1:])
    await prepare_servers(dsn, [first], programme)
    if not rest:
        return
    targets = [s.guild_id for s in rest]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for table in ("programmes", "sessions", "community_settings"):
                await _copy_per_community(conn, table, first.guild_id, targets)
            prompt_columns = [c for c in await _columns(conn, "prompts") if c not in ("id", "session_id")]
            await conn.execute(
                f"INSERT INTO prompts (session_id, {', '.join(prompt_columns)}) "
                f"SELECT copy.id, {', '.join(f'p.{c}' for c in prompt_columns)} FROM prompts p "
                "JOIN sessions original ON original.id = p.session_id AND original.community_id = $2 "
                "JOIN sessions copy ON copy.week = original.week AND copy.community_id = ANY($1::bigint[])",
                targets,
                first.guild_id,
            )
            await conn.execute(
                "UPDATE community_settings s SET reminder_channel_id = c.channel FROM "
                "unnest($1::bigint[], $2::bigint[]) AS c(community, channel) WHERE s.community_id = c.community",
                targets,
                [s.reminder_channel_id for s in rest],
            )
            subscribed_at = to_db_time(datetime.now(UTC) - timedelta(days=1))
            pairs = [(s.guild_id, member_id) for s in rest for member_id in s.subscriber_ids]
            await conn.execute(
                "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) "
                "SELECT community, member, $3 FROM unnest($1::bigint[], $2::bigint[]) AS m(community, member)",
                [p[0] for p in pairs],
                [p[1] for p in pairs],
                subscribed_at,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
