"""The reminders' one wake-up (bot/services/reminders/_wakeups.py): what it keeps per community."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.reminders._wakeups import STALE_SLACK, WakeUps


async def test_re_plans_leave_at_most_about_one_heap_entry_a_community() -> None:
    base = datetime(2030, 1, 7, 19, tzinfo=UTC)
    woken: list[list[int]] = []
    wakeups = WakeUps(None, woken.append, now=lambda: base + timedelta(days=1))
    for minutes in range(10):  # every community re-planned ten times, each to a new time
        for community_id in range(1, 1001):
            wakeups.set(community_id, base + timedelta(minutes=minutes, seconds=community_id))
    assert len(wakeups) == 1000
    assert len(wakeups._heap) <= 2 * 1000 + STALE_SLACK
    await wakeups.fire()  # the latest plan of each, once
    assert sorted(woken[0]) == list(range(1, 1001))
    assert len(wakeups) == 0
