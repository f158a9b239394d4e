"""Many communities recorded as present at once (a shard's ready): the same rows as recording each on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.communities import CommunityRepository
from bot.storage.engine import Database

THEN = datetime(2026, 1, 1, tzinfo=UTC)
NOW = THEN + timedelta(days=3)
NEW, LEFT, PRESENT = 100000000000000001, 100000000000000002, 100000000000000003


async def test_recording_many_as_present_does_what_recording_each_does(db: Database) -> None:
    repo = CommunityRepository(db)
    await repo.record_present(LEFT, THEN, joined=True)
    await repo.record_left(LEFT, THEN + timedelta(days=1))
    await repo.record_present(PRESENT, THEN, joined=True)
    async with db.transaction() as conn:
        rows_before = await conn.fetchall("SELECT id, platform, external_id, joined_at, left_at FROM communities")
    expected = {}
    for community_id in (NEW, LEFT, PRESENT):
        await repo.record_present(community_id, NOW, joined=False)
        expected[community_id] = await repo.get(community_id)
    async with db.transaction() as conn:
        rows_each = sorted(
            tuple(r)
            for r in await conn.fetchall("SELECT id, platform, external_id, joined_at, left_at FROM communities")
        )
        await conn.execute("DELETE FROM communities")
        await conn.executemany(
            "INSERT INTO communities (id, platform, external_id, joined_at, left_at) VALUES (?, ?, ?, ?, ?)",
            [tuple(r) for r in rows_before],
        )
    await repo.record_present_many([PRESENT, NEW, LEFT, NEW], NOW)
    rows_many = sorted(
        tuple(r) for r in await db.fetchall("SELECT id, platform, external_id, joined_at, left_at FROM communities")
    )
    assert rows_many == rows_each
    assert {c: await repo.get(c) for c in (NEW, LEFT, PRESENT)} == expected
    assert expected[PRESENT] is not None and expected[PRESENT].joined_at == THEN  # kept: it never left
    assert expected[LEFT] is not None and expected[LEFT].joined_at == NOW and expected[LEFT].left_at is None


async def test_recording_thousands_as_present_records_them_all_chunk_by_chunk(db: Database) -> None:
    ids = [100000000000000000 + n for n in range(1, 1201)]
    await CommunityRepository(db).record_present_many(ids, NOW)
    assert [r.id for r in await CommunityRepository(db).present()] == ids
