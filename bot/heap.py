"""Returning the heap a burst of work freed to the operating system.

A start-up parses one GUILD_CREATE a server and plans every server's reminders; an export or a report builds a
large file. Each burst frees most of what it allocated, but the C allocator keeps freed memory inside its heap
for reuse, so the process stays at its peak size: at 1,000 servers, ~1.4 KiB a server of resident memory was
heap freed by the start-up and never handed back. glibc returns it when asked (``malloc_trim``); CPython's own
small-object arenas are returned by themselves once empty. So the bot asks once its start-up work is done (see
``WorkshopBot.on_ready``) and then every few minutes: a cheap call (milliseconds, in a thread) that only returns
pages already free, as allocators with background purging (jemalloc's decay) do by themselves. Elsewhere than
glibc (musl, macOS) it does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

RELEASE_INTERVAL_MINUTES = 10  # after an export, a report, a reconnect's GUILD_CREATEs: within minutes


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def release_free_heap() -> bool:
    """Return the allocator's free pages to the operating system; False where the allocator cannot (not glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)  # 0: keep no padding at the top of the heap
    return True


async def release_free_heap_soon() -> None:
    """``release_free_heap`` in a thread, so the event loop never waits for it."""
    if not await asyncio.to_thread(release_free_heap):
        log.debug("this C library cannot return freed heap to the operating system (not glibc)")
