"""The communities the deployment knows (migration 0010): when the bot joined, left and said hello, and
deleting everything a community's id keys once the bot has been gone for the grace period.

Written in the SQL that SQLite and PostgreSQL share (``?`` placeholders, ON CONFLICT, nothing engine-specific).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.communities import SNOWFLAKE_TIMESTAMP_SHIFT, Shard
from bot.domain.platform_ids import external_id, platform_of
from bot.storage.codec import optional_time, to_db_time
from bot.storage.engine import Database
from bot.storage.members import truncate_wal

DISCORD = "discord"
PRESENT_CHUNK = 500  # communities recorded per transaction by record_present_many


def _platform_row(community_id: int) -> tuple[str, str]:
    """(platform, external_id) of a community's row: a snowflake's digits, or a Slack workspace's T… id."""
    return platform_of(community_id), external_id(community_id)


# Everything keyed by a community, children before parents. export_audit is not here: it holds no answers,
# only who exported what and when, and that record outlives the data it describes (see the README).
PURGED_TABLES: tuple[str, ...] = (
    "answers",  # answer_versions go with them (ON DELETE CASCADE)
    "consents",
    "erasures",
    "retention_cutoffs",
    "prompt_threads",
    "dm_subscriptions",
    "reminder_deliveries",
    "reminder_plans",
    "event_interest",
    "session_events",
    "dm_opt_outs",
    "conversations",  # deliberations: their participants, statements and votes go with them (ON DELETE CASCADE)
    "community_settings",
    "sessions",  # their prompts go with them (ON DELETE CASCADE)
    "programmes",
)


@dataclass(frozen=True, slots=True)
class CommunityRecord:
    id: int
    joined_at: datetime | None
    left_at: datetime | None
    welcomed_at: datetime | None


def _record(row: object) -> CommunityRecord:
    data = dict(row)  # type: ignore[call-overload]
    return CommunityRecord(
        id=int(data["id"]),
        joined_at=optional_time(data["joined_at"]),
        left_at=optional_time(data["left_at"]),
        welcomed_at=optional_time(data["welcomed_at"]),
    )


class CommunityRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, community_id: int) -> CommunityRecord | None:
        row = await self._db.fetchone(
            "SELECT id, joined_at, left_at, welcomed_at FROM communities WHERE id = ?", (community_id,)
        )
        return None if row is None else _record(row)

    async def present(self, shard: Shard | None = None) -> list[CommunityRecord]:
        """The communities the bot is in (as far as the database knows), every platform's or one shard's
        servers', by id. A shard's are picked in SQL, with Discord's rule (``shard_of``), so that a shard's
        ready reads its own servers, not every server of the bot."""
        where = ""
        params: tuple[int, ...] = ()
        if shard is not None:
            where = f" AND id > 0 AND (id >> {SNOWFLAKE_TIMESTAMP_SHIFT}) % ? = ?"
            params = (shard.shard_count, shard.shard_id)
        rows = await self._db.fetchall(
            f"SELECT id, joined_at, left_at, welcomed_at FROM communities WHERE left_at IS NULL{where} ORDER BY id",
            params,
        )
        return [_record(row) for row in rows]

    async def departed(self) -> list[CommunityRecord]:
        rows = await self._db.fetchall(
            "SELECT id, joined_at, left_at, welcomed_at FROM communities WHERE left_at IS NOT NULL ORDER BY id"
        )
        return [_record(row) for row in rows]

    async def known_ids(self) -> list[int]:
        """Every community with data here, the bot in it or not (the command line lists them): those
        recorded, and those the command line imported a programme for."""
        rows = await self._db.fetchall(
            "SELECT id FROM communities UNION SELECT community_id FROM programmes ORDER BY 1"
        )
        return [int(row[0]) for row in rows]

    async def record_present(self, community_id: int, now: datetime, *, joined: bool) -> CommunityRecord:
        """The bot is in this server: a new row (joined now), or ``left_at`` cleared on one it had left.

        ``joined``: the bot was added just now (Discord said so), so ``joined_at`` moves to now even on a known
        row; otherwise a known row keeps its ``joined_at``.
        """
        when = to_db_time(now)
        async with self._db.transaction(community_id) as conn:
            await conn.execute(
                "INSERT INTO communities (id, platform, external_id, joined_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET left_at = NULL, joined_at = CASE "
                "WHEN ? = 1 OR communities.left_at IS NOT NULL OR communities.joined_at IS NULL "
                "THEN excluded.joined_at "
                "ELSE communities.joined_at END",
                (community_id, *_platform_row(community_id), when, 1 if joined else 0),
            )
        found = await self.get(community_id)
        assert found is not None
        return found

    async def record_present_many(self, community_ids: Sequence[int], now: datetime) -> None:
        """``record_present`` (not ``joined``) for many communities: one statement and one transaction a chunk of
        them, not a transaction each (the servers found at ready)."""
        when = to_db_time(now)
        ids = sorted(set(community_ids))
        for start in range(0, len(ids), PRESENT_CHUNK):
            chunk = ids[start : start + PRESENT_CHUNK]
            async with self._db.transaction(communities=chunk) as conn:
                await conn.executemany(
                    "INSERT INTO communities (id, platform, external_id, joined_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET left_at = NULL, joined_at = CASE "
                    "WHEN communities.left_at IS NOT NULL OR communities.joined_at IS NULL THEN excluded.joined_at "
                    "ELSE communities.joined_at END",
                    [(community_id, *_platform_row(community_id), when) for community_id in chunk],
                )

    async def record_left(self, community_id: int, now: datetime) -> None:
        async with self._db.transaction(community_id) as conn:
            await conn.execute(
                "INSERT INTO communities (id, platform, external_id, left_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET left_at = excluded.left_at",
                (community_id, *_platform_row(community_id), to_db_time(now)),
            )

    async def claim_welcome(self, community_id: int, now: datetime) -> bool:
        """Mark the welcome as posted, once: False when it was already (by this process or another)."""
        async with self._db.transaction(community_id) as conn:
            changed = await conn.execute(
                "UPDATE communities SET welcomed_at = ? WHERE id = ? AND welcomed_at IS NULL",
                (to_db_time(now), community_id),
            )
            return bool(changed)

    async def release_welcome(self, community_id: int) -> None:
        """The welcome could not be posted after all: a later join may try again."""
        async with self._db.transaction(community_id) as conn:
            await conn.execute("UPDATE communities SET welcomed_at = NULL WHERE id = ?", (community_id,))

    async def purge(self, community_id: int, *, left_before: datetime) -> bool:
        """Delete everything keyed by a community the bot left before ``left_before``, its row included (a
        re-add then starts afresh), in one transaction; False if it came back meanwhile (nothing deleted)."""
        async with self._db.transaction() as conn:
            gone = await conn.execute(
                "DELETE FROM communities WHERE id = ? AND left_at IS NOT NULL AND left_at <= ?",
                (community_id, to_db_time(left_before)),
            )
            if not gone:
                return False
            for table in PURGED_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE community_id = ?", (community_id,))
        await truncate_wal(self._db)
        return True
