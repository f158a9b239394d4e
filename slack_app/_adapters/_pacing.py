"""The pace of Web API calls under Slack's documented limits (https://docs.slack.dev/apis/web-api/rate-limits).

Slack limits each method per app per workspace by its *tier* (Tier 1: 1+ a minute, Tier 2: 20+, Tier 3: 50+,
Tier 4: 100+; each method's reference page names its tier), and ``chat.postMessage`` is special: "one message per
second per channel, while also maintaining a workspace-wide limit" whose number is not published. The pacer keeps
every call within the floor of its tier and every post within one a second per channel; beyond that, Slack's 429
``Retry-After`` paces the bot (``pause``), for the method as a whole, not only the call that met it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Requests a minute at the floor of each tier (rate-limits page, "Overview").
TIER_PER_MINUTE: Mapping[int, float] = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}

# The tier of each method the adapters call, from its reference page (docs.slack.dev/reference/methods/<name>).
METHOD_TIERS: Mapping[str, int] = {
    "auth.test": 4,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.replies": 3,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "users.list": 2,
    "users.conversations": 3,
    "users.info": 4,
}
POSTS_PER_SECOND_PER_CHANNEL = 1.0  # chat.postMessage (rate-limits page, "Posting messages")
# The share of each documented rate the pacer uses: requests spaced exactly at the limit reach Slack a little
# bunched (network and scheduling jitter), and a window counted at Slack's end would then see one too many.
MARGIN = 0.95


@dataclass(frozen=True, slots=True)
class SlackLimits:
    """The rates the bot keeps to. ``scale`` speeds every rate up by a factor (benchmarks compress time with it,
    on both sides: the local Slack enforces the same scaled limits)."""

    tiers: Mapping[int, float] = field(default_factory=lambda: dict(TIER_PER_MINUTE))
    methods: Mapping[str, int] = field(default_factory=lambda: dict(METHOD_TIERS))
    posts_per_second_per_channel: float = POSTS_PER_SECOND_PER_CHANNEL
    scale: float = 1.0
    margin: float = MARGIN

    def method_interval(self, method: str) -> float | None:
        """Seconds between two calls of ``method`` at its tier's floor; None for a method paced otherwise."""
        tier = self.methods.get(method)
        if tier is None:
            return None
        return 60.0 / (self.tiers[tier] * self.scale * self.margin)

    def method_burst(self, method: str) -> int:
        """Calls of ``method`` that may go at once ("sporadic bursts are welcome"): what the margin leaves, so
        that any minute still holds no more than the tier's count."""
        tier = self.methods.get(method)
        return max(1, int(self.tiers[tier] * (1 - self.margin))) if tier is not None else 1

    @property
    def post_interval(self) -> float:
        return 1.0 / (self.posts_per_second_per_channel * self.scale * self.margin)


class Pacer:
    """Spaces calls per key (a method, or a channel for posts), start to start, with a small burst allowed,
    reserving each call's slot before it sleeps so that concurrent callers queue up (a generic cell rate
    algorithm). Clock and sleep are injectable, as for the reminder service's Throttle."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}  # key -> when the next call would start, calls one after another
        self._blocked: dict[str, float] = {}  # key -> no call before (a 429's Retry-After)

    async def wait(self, key: str, interval: float, burst: int = 1) -> None:
        """Wait for this call's turn: ``burst`` calls may start at once, then one every ``interval``."""
        now = self._monotonic()
        due = max(self._next.get(key, now), now)  # when the next call would start, one after another
        start = max(now, due - (burst - 1) * interval, self._blocked.get(key, now))
        self._next[key] = max(due, start) + interval
        if start > now:
            await self._sleep(start - now)

    def pause(self, key: str, seconds: float) -> None:
        """Slack answered 429 with ``Retry-After: seconds``: no call with this key before then."""
        until = self._monotonic() + seconds
        self._blocked[key] = max(self._blocked.get(key, until), until)

    async def rest(self, seconds: float) -> None:
        """Wait before trying again after a failure (on the pacer's clock, so tests run on virtual time)."""
        await self._sleep(seconds)

    def delay(self, key: str) -> float:
        """How long a call with this key would wait now (for tests and the benchmark)."""
        return max(0.0, self._next.get(key, 0.0) - self._monotonic(), self._blocked.get(key, 0.0) - self._monotonic())
