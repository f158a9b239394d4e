"""Condition-style waiting on "something changed in the fake" with hard timeouts."""

# Every wait in this module takes an explicit ``timeout`` and fails with a readable AssertionError; that is
# the documented API, so ASYNC109 ("use asyncio.timeout instead") does not apply.

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


#: Predicates are also re-evaluated this often, for conditions on state the fake does not own
#: (e.g. the bot's caches) and so never notifies about.
POLL_INTERVAL = 0.005
#: With many waiters at once (200 members submitting together) polling at that rate would starve the event
#: loop the bot and the fake share: the interval grows with the number of waiters, one poll per
#: POLL_INTERVAL per this many waiters. Notified changes still wake every waiter at once.
WAITERS_PER_POLL = 8


class Notifier:
    """Wakes every waiter whenever the fake's state changes (a request, a callback, a gateway event)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0
        self._waiters = 0

    def notify(self) -> None:
        """Signal a change: every pending :meth:`wait_for` re-evaluates its predicate."""
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float,
        describe: Callable[[], str],
        checks: Iterable[Callable[[], None]] = (),
    ) -> T:
        """Return ``predicate()`` as soon as it is neither None nor False.

        ``checks`` run before each evaluation and may raise (e.g. "the bot task crashed"). On timeout an
        AssertionError with ``describe()`` is raised: waits never hang.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checks = list(checks)
        self._waiters += 1
        try:
            return await self._wait(predicate, loop=loop, deadline=deadline, timeout=timeout, describe=describe,
                                    checks=checks)  # fmt: skip
        finally:
            self._waiters -= 1

    async def _wait(
        self,
        predicate: Callable[[], T | None],
        *,
        loop: asyncio.AbstractEventLoop,
        deadline: float,
        timeout: float,
        describe: Callable[[], str],
        checks: list[Callable[[], None]],
    ) -> T:
        while True:
            for check in checks:
                check()
            result = predicate()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout:g}s: {describe()}")
            event = self._event
            with contextlib.suppress(TimeoutError):
                poll = POLL_INTERVAL * max(1.0, self._waiters / WAITERS_PER_POLL)
                await asyncio.wait_for(event.wait(), min(remaining, poll))
