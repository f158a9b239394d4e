"""The shard rule (events/gateway.mdx, "Sharding Formula") and the leave grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.communities import DEFAULT_LEAVE_GRACE, check_shards, owns_community, purge_due, rate_share, shard_of
from bot.domain.errors import SettingsError

snowflakes = st.integers(min_value=1 << 22, max_value=(1 << 63) - 1)


def test_the_documented_formula() -> None:
    # (guild_id >> 22) % num_shards
    assert shard_of(41771983423143937, 1) == 0
    assert shard_of(41771983423143937, 4) == (41771983423143937 >> 22) % 4


@given(snowflakes, st.integers(min_value=1, max_value=64))
def test_exactly_one_process_owns_each_server_when_the_shards_are_split(guild_id: int, count: int) -> None:
    processes = [tuple(range(start, count, 2)) for start in (0, 1) if start < count]
    owners = [ids for ids in processes if owns_community(guild_id, count, ids)]
    assert len(owners) == 1


def test_without_shard_settings_one_process_owns_everything_and_non_discord_ids_go_to_shard_0() -> None:
    assert owns_community(123 << 22, None, None)
    assert owns_community(-5, 2, (0,)) and not owns_community(-5, 2, (1,))


def test_processes_split_the_applications_rate_by_their_shards() -> None:
    # One token, one global limit: two processes of two shards each pace at half the rate, together the whole.
    assert rate_share(4, (0, 1)) + rate_share(4, (2, 3)) == 1.0
    assert rate_share(4, (3,)) == 0.25
    assert rate_share(None, None) == 1.0


@pytest.mark.parametrize(("count", "ids"), [(None, (0,)), (0, None), (2, (2,)), (2, (0, 0)), (2, ())])
def test_bad_shard_settings(count: int | None, ids: tuple[int, ...] | None) -> None:
    with pytest.raises(SettingsError):
        check_shards(count, ids)


def test_purge_is_due_only_once_the_grace_period_is_over() -> None:
    left = datetime(2026, 1, 1, tzinfo=UTC)
    assert not purge_due(None, left + timedelta(days=400), DEFAULT_LEAVE_GRACE)
    assert not purge_due(left, left + DEFAULT_LEAVE_GRACE - timedelta(seconds=1), DEFAULT_LEAVE_GRACE)
    assert purge_due(left, left + DEFAULT_LEAVE_GRACE, DEFAULT_LEAVE_GRACE)
