"""The pace of reminder sends."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any


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

    async def wait(self) -> None:
        while (delay := self._next - self._monotonic()) > 0:
            await self._sleep(delay)
        self._next = self._monotonic() + self.interval

    def sent(self, *, pause: float | None = None) -> None:
        if pause:
            self._next = max(self._next, self._monotonic() + pause)
