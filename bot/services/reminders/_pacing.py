"""The pace of reminder sends."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

# A DM reminder takes two requests (open the DM channel, then send); a channel post one. The rate counts DMs,
# so a channel post takes half a DM's slot: the pace then follows requests, which is what Discord limits.
CHANNEL_POST_COST = 0.5


class Throttle:
    """At most ``per_second`` sends a second (DMs, and the few channel posts with them), spaced from the
    start of one send to the start of the next.

    Start-to-start spacing keeps the rate exact: a send's own latency does not slow the fan-out, and a send
    that takes longer than the interval simply delays the next one. A rate-limited send can ask for a longer
    pause. Clock and sleep are injectable so tests can run thousands of sends on virtual time.
    """

    def __init__(
        self,
        per_second: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if not per_second > 0:
            raise ValueError("the rate must be above 0")
        self.interval = 1.0 / per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = -math.inf

    async def wait(self, cost: float = 1.0) -> None:
        """Wait for this send's turn; ``cost`` is its share of one send's interval (see CHANNEL_POST_COST)."""
        while (delay := self._next - self._monotonic()) > 0:
            await self._sleep(delay)
        self._next = self._monotonic() + self.interval * cost

    def sent(self, *, pause: float | None = None) -> None:
        if pause:
            self._next = max(self._next, self._monotonic() + pause)

    @property
    def next_turn(self) -> float:
        """The monotonic time from which the next send may start (-inf: at once)."""
        return self._next


@dataclass(slots=True)
class PacerFeed:
    """How well the pacer is fed: of its turns, how many came due with no delivery claimed and waiting for it, so
    that the pacer stood idle waiting for the database (a claim, a pass's reads) instead of sending at the pace.

    ``turns`` and ``starved`` count since the service started; ``lost`` is the time the pacer so stood idle past
    its turns. A burst (``begin``) starts fed: the wait before its first turn is planning, not starvation.
    """

    turns: int = 0
    starved: int = 0
    lost: float = 0.0
    waiting: int = 0  # deliveries claimed and waiting for their turn now
    _idle_since: float | None = None  # the pacer came free with nothing claimed, at this monotonic time

    def begin(self) -> None:
        self._idle_since = None

    def claimed(self) -> None:
        self.waiting += 1

    def take_turn(self, now: float, next_turn: float) -> None:
        """A claimed delivery got the pacer at ``now``; ``next_turn``: when the throttle would have let it send.

        Starved: the pacer came free with nothing claimed, and the claim came after its turn was due."""
        self.waiting -= 1
        self.turns += 1
        if self._idle_since is not None and now > (due := max(self._idle_since, next_turn)):
            self.starved += 1
            self.lost += now - due
        self._idle_since = None

    def freed(self, now: float) -> None:
        """The pacer's request is made; it is idle now unless a claimed delivery waits for it."""
        if self.waiting == 0:
            self._idle_since = now
