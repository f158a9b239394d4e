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


class Notifier:
    """Wakes every waiter whenever the fake's state changes (a request, a callback, a gateway event)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0

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
                await asyncio.wait_for(event.wait(), min(remaining, POLL_INTERVAL))
