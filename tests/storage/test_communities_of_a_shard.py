"""A shard's servers picked in SQL are exactly those Discord's rule gives the shard (``shard_of``), on both engines:
a shard's ready reads its own servers, never another shard's nor a Slack workspace."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.communities import Shard, shard_of
from bot.storage.communities import CommunityRepository
from bot.storage.engine import Database

pytestmark = pytest.mark.every_engine

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SLACK_WORKSPACE = -(2**62) + 12345  # a Slack id is negative (bot/domain/platform_ids.py): no shard's
SNOWFLAKES = st.integers(min_value=1, max_value=2**63 - 1)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(SNOWFLAKES, min_size=1, max_size=30, unique=True), shard_count=st.integers(1, 64))
async def test_a_shards_servers_read_in_sql_are_those_discords_rule_gives_it(
    db: Database, ids: list[int], shard_count: int
) -> None:
    repository = CommunityRepository(db)
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM communities")
    await repository.record_present_many([*ids, SLACK_WORKSPACE], NOW)
    await repository.record_left(ids[0], NOW)  # a left server is no shard's present one
    for shard_id in {shard_of(ids[-1], shard_count), 0}:
        shard = Shard(shard_id, shard_count)
        expected = sorted(i for i in ids[1:] if shard_of(i, shard_count) == shard_id)
        assert [r.id for r in await repository.present(shard)] == expected
        assert all(shard.covers(i) for i in expected)


def test_a_shard_outside_the_count_is_refused() -> None:
    for shard_id, count in ((2, 2), (-1, 4), (0, 0)):
        with pytest.raises(ValueError, match="is not one of"):
            Shard(shard_id, count)
    assert not Shard(0, 1).covers(SLACK_WORKSPACE)
