"""The community service's arrivals: the servers found at a shard's ready are recorded and announced together."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.communities import CommunityService
from bot.storage.engine import Database

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = 100000000000000000


async def test_servers_found_at_ready_are_recorded_and_announced_in_one_call(db: Database) -> None:
    service = CommunityService(db, owns=lambda community_id: community_id % 2 == 0, clock=lambda: NOW)
    await service.repository.record_present(BASE + 2, NOW, joined=True)
    await service.load()
    told: list[list[int]] = []

    async def listener(community_ids: list[int]) -> None:
        told.append(community_ids)

    service.on_arrival(listener)
    found = [BASE + n for n in range(1, 61)]  # the odd ones are another process's shards
    await service.present(reversed(found))
    arrived = [c for c in found if c % 2 == 0 and c != BASE + 2]
    assert told == [arrived]
    assert service.served() == {BASE + 2, *arrived}
    assert [r.id for r in await service.repository.present()] == [BASE + 2, *arrived]
    await service.present(found)  # found again (a shard reconnects): nothing new
    assert told == [arrived]
    joined = await service.joined(BASE + 100)  # a join is announced on its own
    assert not joined.returned and told[-1] == [BASE + 100]


async def test_a_failing_arrival_listener_does_not_stop_the_others(db: Database) -> None:
    service = CommunityService(db, clock=lambda: NOW)
    told: list[list[int]] = []

    async def broken(community_ids: list[int]) -> None:
        raise RuntimeError("boom")

    async def listener(community_ids: list[int]) -> None:
        told.append(community_ids)

    service.on_arrival(broken)
    service.on_arrival(listener)
    await service.present([BASE + 1, BASE + 2])
    assert told == [[BASE + 1, BASE + 2]] and service.served() == {BASE + 1, BASE + 2}
