"""Per-key state that lasts only while it is in use, so a process's memory does not grow with every server it
has ever served (README, "Ten thousand servers")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class KeyedLocks(Generic[K]):
    """One ``asyncio.Lock`` per key, kept only while a task holds it or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[K, tuple[asyncio.Lock, list[int]]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[key]


def forget_when_done(tasks: dict[K, asyncio.Task[None]], key: K, task: asyncio.Task[None]) -> None:
    """Keep ``task`` in ``tasks`` under ``key`` until it finishes (a finished task is not kept for ever)."""
    tasks[key] = task

    def forget(done: asyncio.Task[None]) -> None:
        if tasks.get(key) is done:
            del tasks[key]

    task.add_done_callback(forget)
