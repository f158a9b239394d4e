"""Long reads (exports, reports, backups) that an erasure waits for, and stops if they take too long.

Both engines need it: a long read holds a snapshot (SQLite: old pages in the write-ahead log; PostgreSQL: a lock
that keeps VACUUM FULL waiting), so deleted text cannot leave the files while it runs. The set belongs to the
bot's event loop: a reader in another thread registers and leaves through that loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


class LongReader:
    __slots__ = ("revoked",)

    def __init__(self) -> None:
        self.revoked = False  # checked by the reader between batches: stop, the export can be run again


class LongReaders:
    def __init__(self) -> None:
        self._readers: set[LongReader] = set()
        self._changed = asyncio.Condition()

    def add(self, reader: LongReader) -> None:
        self._readers.add(reader)

    async def forget(self, reader: LongReader) -> None:
        self._readers.discard(reader)
        async with self._changed:
            self._changed.notify_all()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[LongReader]:
        reader = LongReader()
        self.add(reader)
        try:
            yield reader
        finally:
            await self.forget(reader)

    async def drain(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for every long read to finish; stop those still running, and wait for
        them to stop (up to ``grace`` again)."""
        if await self._wait(grace):
            return
        for reader in self._readers:
            reader.revoked = True
        log.warning("stopping %d long read(s) so that deleted data can be wiped", len(self._readers))
        await self._wait(grace)

    async def _wait(self, seconds: float) -> bool:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: not self._readers), seconds)
            except TimeoutError:
                return False
        return True
