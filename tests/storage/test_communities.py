"""The communities repository: joins, departures, the welcome claim, and the purge after the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage.communities import PURGED_TABLES, CommunityRepository
from bot.storage.database import Database

NOW = datetime(2026, 1, 1, tzinfo=UTC)
GONE, STAYS = 100000000000000001, 100000000000000002
KEPT_TABLES = {"export_audit"}  # no answers in it: who exported what, and when (see the README)


async def test_every_table_keyed_by_a_community_is_purged_or_kept_on_purpose(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "bot.sqlite3") as db:
        tables = [row[0] for row in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
        keyed = set()
        for table in tables:
            columns = {row[1] for row in await db.fetchall(f"PRAGMA table_info({table})")}
            if "community_id" in columns:
                keyed.add(table)
    assert keyed == set(PURGED_TABLES) | KEPT_TABLES


async def test_the_purge_deletes_one_community_only_once_its_grace_period_is_over(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "bot.sqlite3") as db:
        repo = CommunityRepository(db)
        for community in (GONE, STAYS):
            await repo.record_present(community, NOW, joined=True)
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO community_settings (community_id, retention_days, updated_at) VALUES (?, 30, ?)",
                    (community, "2026-01-01T00:00:00.000000Z"),
                )
        await repo.record_left(GONE, NOW)
        assert [r.id for r in await repo.present()] == [STAYS]
        assert not await repo.purge(GONE, left_before=NOW - timedelta(seconds=1))
        assert await repo.purge(GONE, left_before=NOW)
        rows = await db.fetchall("SELECT community_id FROM community_settings")
        assert [row[0] for row in rows] == [STAYS]
        assert await repo.get(GONE) is None and await repo.known_ids() == [STAYS]


async def test_the_welcome_is_claimed_once_and_a_failed_one_can_be_tried_again(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "bot.sqlite3") as db:
        repo = CommunityRepository(db)
        await repo.record_present(GONE, NOW, joined=True)
        assert await repo.claim_welcome(GONE, NOW)
        assert not await repo.claim_welcome(GONE, NOW)
        await repo.release_welcome(GONE)
        assert await repo.claim_welcome(GONE, NOW)
        # Back after leaving: joined again, left_at cleared, the welcome still counted.
        await repo.record_left(GONE, NOW)
        back = await repo.record_present(GONE, NOW + timedelta(days=1), joined=True)
        assert back.left_at is None and back.joined_at == NOW + timedelta(days=1) and back.welcomed_at == NOW
