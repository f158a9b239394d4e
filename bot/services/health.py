"""Problems the bot met while running (a catch-up it could not trust, a post Discord refused), kept per server
so organisers see them in /setup's health section and `python -m bot check`, not only in the log.

In memory: every problem here is found again by the work that meets it (the catch-up runs at each start,
reminders at each send), so a restart loses nothing that still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import Clock, system_clock


@dataclass(frozen=True, slots=True)
class RuntimeProblem:
    key: str  # what the problem is about, e.g. "catch-up:<channel id>": a newer report replaces an older one
    text: str  # one line: what is wrong, naming the channel and the missing permission
    fix: str  # one line: what an organiser does about it
    seen_at: datetime


class RuntimeProblems:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._by_community: dict[int, dict[str, RuntimeProblem]] = {}

    def record(self, community_id: int, key: str, text: str, fix: str) -> None:
        self._by_community.setdefault(community_id, {})[key] = RuntimeProblem(key, text, fix, self._clock())

    def clear(self, community_id: int, key: str) -> None:
        self._by_community.get(community_id, {}).pop(key, None)

    def current(self, community_id: int) -> list[RuntimeProblem]:
        return sorted(self._by_community.get(community_id, {}).values(), key=lambda p: p.seen_at)
