"""One wake-up for every community: the earliest time a waiting reminder falls due, among those this process serves.

The ledger is the truth about what is planned, and the sweep is the safety net; this only says when to look
next. It holds one entry per community that has a waiting reminder (its earliest due time), never one per
reminder, and arms a single scheduler job at the earliest of them. A heap keeps finding that earliest time
cheap however many communities there are: an entry that a re-plan moved or removed stays in the heap until it
comes up, and is then recognised as stale and dropped.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

WAKE_JOB_ID = "reminders:wake"
# Two wake-ups closer than this are one: a community due a moment after the one that woke us is requested too.
SAME_MOMENT = timedelta(seconds=1)
# Stale heap entries allowed beyond one per community before they are all dropped (keeps compaction rare).
STALE_SLACK = 64


class WakeUps:
    """Earliest due time per community, and the one scheduler job armed at the earliest of them all."""

    def __init__(self, scheduler: Any, wake: Callable[[list[int]], None], now: Callable[[], datetime]) -> None:
        self._scheduler = scheduler  # an APScheduler scheduler, or None: nothing is armed
        self._wake = wake  # called with the communities whose time has come
        self._now = now  # the scheduler's clock (real UTC time)
        self._due: dict[int, datetime] = {}
        self._heap: list[tuple[datetime, int]] = []
        self._armed_at: datetime | None = None

    def __len__(self) -> int:
        return len(self._due)

    def set(self, community_id: int, run_at: datetime | None) -> None:
        """The community's earliest waiting reminder now falls due at ``run_at`` (None: nothing waits)."""
        if run_at is None:
            self._due.pop(community_id, None)
        elif self._due.get(community_id) != run_at:
            self._due[community_id] = run_at
            heapq.heappush(self._heap, (run_at, community_id))
            if len(self._heap) > 2 * len(self._due) + STALE_SLACK:
                self._compact()
        self._rearm()

    def _compact(self) -> None:
        """Drop every stale entry at once: re-plans (a start-up plans each community more than once) would
        otherwise leave the heap holding several entries a community until their times come up."""
        self._heap = [(run_at, community_id) for community_id, run_at in self._due.items()]
        heapq.heapify(self._heap)

    def forget(self, community_id: int) -> None:
        self.set(community_id, None)

    def clear(self) -> None:
        self._due.clear()
        self._heap.clear()
        self._disarm()

    async def fire(self) -> None:
        """The job's callback: wake every community whose time has come, then arm for the next."""
        self._armed_at = None
        horizon = self._now() + SAME_MOMENT
        woken: list[int] = []
        while self._heap and self._heap[0][0] <= horizon:
            run_at, community_id = heapq.heappop(self._heap)
            if self._due.get(community_id) == run_at:
                del self._due[community_id]  # its pass re-plans and sets the next one
                woken.append(community_id)
        if woken:
            self._wake(woken)
        self._rearm()

    def _earliest(self) -> datetime | None:
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)  # stale: re-planned or removed since it was pushed
        return self._heap[0][0] if self._heap else None

    def _rearm(self) -> None:
        if self._scheduler is None:
            return
        earliest = self._earliest()
        if earliest is None:
            self._disarm()
            return
        if (
            self._armed_at is not None
            and abs(self._armed_at - earliest) < SAME_MOMENT
            and self._scheduler.get_job(WAKE_JOB_ID) is not None  # not lost: the sweep re-arms one that was
        ):
            return
        self._scheduler.add_job(
            self.fire,
            "date",
            run_date=earliest,
            id=WAKE_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,  # a late wake-up still wakes: what is due is decided by the ledger
            coalesce=True,
        )
        self._armed_at = earliest

    def _disarm(self) -> None:
        self._armed_at = None
        if self._scheduler is not None and self._scheduler.get_job(WAKE_JOB_ID) is not None:
            self._scheduler.remove_job(WAKE_JOB_ID)
