"""What every repository and service codes against, whichever engine is underneath.

SQL uses ``?`` placeholders and positional parameters on both engines, and the subset of SQL both speak
(see ``Dialect`` for the few places where they cannot agree).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from bot.domain.errors import UserFacingError

Params = Sequence[Any]
Engine = Literal["sqlite", "postgresql"]


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


class Queries(Protocol):
    """Reads: what both a database (outside a transaction) and a connection (inside one) can do."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None if there is no row."""
        ...


class Connection(Queries, Protocol):
    """A connection inside one write transaction."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few things the two engines spell differently: kept here, not scattered through the repositories."""

    greatest: str  # the larger of two values: SQLite's scalar MAX(a, b), PostgreSQL's GREATEST(a, b)

    def larger(self, a: str, b: str) -> str:
        return f"{self.greatest}({a}, {b})"


SQLITE_DIALECT = Dialect(greatest="MAX")
POSTGRESQL_DIALECT = Dialect(greatest="GREATEST")


class Database(Queries, Protocol):
    """An open database: serialised write transactions, reads outside them, and its upkeep."""

    @property
    def engine(self) -> Engine: ...

    @property
    def dialect(self) -> Dialect: ...

    def transaction(
        self, community_id: int | None = None, *, communities: Collection[int] | None = None
    ) -> AbstractAsyncContextManager[Connection]:
        """A write transaction, committed on a clean exit and rolled back on an exception.

        Writes are serialised: a repository may read, decide and write in one transaction without a race. With
        ``community_id`` the transaction may touch only that community's rows, and is serialised with the
        community's other writers and with every writer of no community; without, with every writer. (SQLite:
        one writer at a time under a lock and BEGIN IMMEDIATE, whatever the community; PostgreSQL: advisory
        transaction locks, so that writers of different communities run side by side.) With ``communities``
        instead, it may touch only those communities' rows, and is serialised with the writers of each of them
        and with every writer of no community (a batch of communities written at once).
        """
        ...

    def iterate(self, sql: str, params: Params = (), *, batch: int = 500) -> AsyncGenerator[Row, None]:
        """Rows one batch at a time, for long reads that must not hold every row in memory."""
        ...

    def rows_in_thread(self, sql: str, params: Params = ()) -> AbstractContextManager[Iterator[tuple[Any, ...]]]:
        """Worker threads only: the rows of one query as plain tuples (not Records), stepped by the calling thread.

        For exports, whose writer runs in a thread: nothing crosses to the event loop per row.
        """
        ...

    async def scrub(self) -> None:
        """Make deleted rows gone from the files (SQLite: a checkpoint that truncates the log; PostgreSQL:
        VACUUM). Raises ScrubIncompleteError if that could not be done yet."""
        ...

    async def try_scrub(self) -> bool:
        """``scrub`` for deletions no one waits on (retention): without waiting for or stopping long reads;
        False if it could not complete now (a later checkpoint or vacuum finishes the job)."""
        ...

    @property
    def owner_token(self) -> str:
        """This process's name for itself in the ledger's claims (new at every start)."""
        ...

    async def owner_alive(self, token: str | None) -> bool:
        """Whether the process that wrote ``token`` still has the database open (this one does; NULL: no).

        SQLite allows one bot process, so any other token belongs to a process that is gone. PostgreSQL looks up
        that process's session lock (never taking it): held by no live connection means the process is gone."""
        ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> int: ...

    async def check_integrity(self) -> list[str]: ...

    async def close(self) -> None: ...


class DatabaseLockedError(UserFacingError):
    """Another bot process already has this database open."""


class DatabaseUnavailableError(UserFacingError):
    """The database cannot be written (full disk, read-only file, server gone, ...)."""


class ReaderRevokedError(UserFacingError):
    """A long read (an export) was stopped so that deleted data could be wiped from the files."""

    def __init__(self) -> None:
        super().__init__(
            "This export was stopped because a member's data was being erased, which must reach every file "
            "first. Nothing was sent; please run the export again."
        )


class ScrubIncompleteError(UserFacingError):
    """Deleted rows whose old copies could not yet be wiped from the database files."""


def placeholders(values: Iterable[object]) -> str:
    """``?,?,?``: one placeholder per value, for ``IN (...)``."""
    return ",".join("?" for _ in values)


_T = TypeVar("_T")

IDS_A_STATEMENT = 500  # ids bound in one ``IN (...)``: both engines limit a statement's parameters


def in_chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """``values`` a statement's worth at a time (IDS_A_STATEMENT), for ``IN (...)`` lists of any length."""
    for start in range(0, len(values), IDS_A_STATEMENT):
        yield values[start : start + IDS_A_STATEMENT]


def community_filters(
    community_ids: Iterable[int] | None, *, column: str = "community_id", keyword: str = "WHERE"
) -> list[tuple[str, tuple[int, ...]]]:
    """The filters of a read over every community (one empty filter) or over the named ones, 500 at a time:
    ``(" WHERE community_id IN (?,?)", (1, 2))``. Named none, no read at all."""
    if community_ids is None:
        return [("", ())]
    chunks = (tuple(chunk) for chunk in in_chunks(sorted(set(community_ids))))
    return [(f" {keyword} {column} IN ({placeholders(chunk)})", chunk) for chunk in chunks]


def needs_transaction(conn: Connection | None, what: str) -> Connection:
    """The connection of a repository that writes; a clear error if it was built outside a unit of work."""
    if conn is None:
        raise RuntimeError(f"{what} writes: call it on a repository of a unit of work (bot.storage.unit_of_work)")
    return conn


def own_or_joined_transaction(db: Database, conn: Connection | None) -> AbstractAsyncContextManager[Connection]:
    """The unit of work's transaction for a repository built in one (``conn``), else a transaction of its own."""
    return nullcontext(conn) if conn is not None else db.transaction()


@contextlib.contextmanager
def rows_in_thread_from_loop(
    loop: asyncio.AbstractEventLoop, rows: AsyncGenerator[Row, None], *, batch: int = 1000
) -> Iterator[Iterator[tuple[Any, ...]]]:
    """``Database.rows_in_thread`` for an engine whose driver lives on the event loop (asyncpg): the worker
    thread asks the loop for one batch of ``rows`` (an ``iterate``) at a time, as plain tuples.

    Worker threads only: called on the loop's own thread it would wait for itself.
    """

    async def next_batch() -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        with contextlib.suppress(StopAsyncIteration):
            while len(found) < batch:
                found.append(tuple(await anext(rows)))
        return found

    def stepped() -> Iterator[tuple[Any, ...]]:
        while found := asyncio.run_coroutine_threadsafe(next_batch(), loop).result():
            yield from found

    try:
        yield stepped()
    finally:
        asyncio.run_coroutine_threadsafe(rows.aclose(), loop).result()
