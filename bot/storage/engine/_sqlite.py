"""SQLite behind the engine interface: one writer connection with serialised transactions, one reader connection.

Why a lock around every write: aiosqlite runs one connection on one thread, but coroutines interleave
between awaits. Without the lock, coroutine A's COMMIT can persist coroutine B's half-done writes that
share the connection. ``transaction()`` holds the lock from BEGIN IMMEDIATE to COMMIT or ROLLBACK.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot.storage.engine._api import (
    SQLITE_DIALECT,
    DatabaseLockedError,
    DatabaseUnavailableError,
    Dialect,
    Params,
    ReaderRevokedError,
    Row,
    ScrubIncompleteError,
)
from bot.storage.engine._migrations import Migration, migrations, run_migrations
from bot.storage.engine._readers import LongReaders

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
READER_GRACE_SECONDS = 20.0  # how long an erasure lets a running export finish before stopping it


def latest_version() -> int:
    return len(migrations("sqlite"))


async def _configure(connection: aiosqlite.Connection, *, read_only: bool = False) -> None:
    connection.row_factory = aiosqlite.Row
    if read_only:
        # Nothing that writes: journal_mode=WAL would convert a database not yet in WAL mode.
        await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA query_only=ON")
        return
    # synchronous=FULL: an acknowledged answer survives a power cut, not just a crash.
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA secure_delete=ON",  # deleted answers are overwritten, not left in free pages
    ):
        await connection.execute(pragma)


class _Statements:
    """The reads of the interface on one aiosqlite connection.

    execute_fetchall runs in one trip to aiosqlite's thread; execute + fetch + close would take three.
    """

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self._raw = raw

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._raw.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query that returns one row (or none)."""
        rows = await self._raw.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class SqliteConnection(_Statements):
    """The writer connection, as handed out inside ``transaction()``."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._raw.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._raw.executemany(sql, rows)


class SqliteDatabase(_Statements):
    """Owns the connections. Open with ``async with open_database(path) as db`` (or ``SqliteDatabase.open``)."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        super().__init__(reader)
        self.path = path
        self._writer = writer
        self._reader = reader
        self._connection = SqliteConnection(writer)
        self._write_lock = asyncio.Lock()
        self._lock_file: int | None = None
        # Long reads on connections of their own (exports, backups): each holds a snapshot that keeps old
        # pages in the write-ahead log. An erasure waits for them, then stops those still running (scrub()).
        self._long_readers = LongReaders()
        self.reader_grace = READER_GRACE_SECONDS
        self._owner_token = uuid.uuid4().hex
        self.read_only = False

    @property
    def engine(self) -> Literal["sqlite"]:
        return "sqlite"

    @property
    def owner_token(self) -> str:
        return self._owner_token

    async def owner_alive(self, token: str | None) -> bool:
        # One bot process per SQLite database (the process lock): another token is a process that is gone.
        return token is not None and token == self._owner_token

    @property
    def dialect(self) -> Dialect:
        return SQLITE_DIALECT

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: Path | str, *, exclusive: bool = False, read_only: bool = False
    ) -> AsyncIterator[SqliteDatabase]:
        """Open (creating the file and folder if needed) and migrate.

        ``exclusive`` takes an advisory lock beside the database so a second bot process refuses to
        start rather than sending every reminder twice. ``read_only`` opens an existing file as it is
        (``mode=ro``): never created, migrated or written (``connect_read_only``).
        """
        if read_only:
            db = await cls.connect_read_only(Path(path))
        else:
            db = await cls.connect(Path(path), exclusive=exclusive)
        try:
            yield db
        finally:
            await db.close()

    @classmethod
    async def connect(cls, path: Path, *, exclusive: bool = False) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = _take_process_lock(path) if exclusive else None
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
        except Exception:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        reader: aiosqlite.Connection | None = None
        try:
            await _configure(writer)
            reader = await aiosqlite.connect(path, isolation_level=None)
            await _configure(reader)
            await reader.execute("PRAGMA query_only=ON")
            db = cls(path, writer, reader)
            db._lock_file = lock_fd
            await db.migrate()
        except BaseException:
            await writer.close()
            if reader is not None:
                await reader.close()
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return db

    @classmethod
    async def connect_read_only(cls, path: Path) -> SqliteDatabase:
        """The file as it is, for the preflight check: opened ``mode=ro`` (SQLite refuses every write), at
        whatever schema version it holds (``schema_version`` says which), and never migrated. Its transactions
        raise DatabaseUnavailableError. A file that is not there is an error: nothing is created.

        SQLite may create its empty ``-wal`` and ``-shm`` files beside a WAL database, as any reader does.
        """
        if not await asyncio.to_thread(path.is_file):
            raise DatabaseUnavailableError(f"there is no database at {path}")
        target = _read_only_uri(path)
        connections: list[aiosqlite.Connection] = []
        try:
            for _ in range(2):  # the interface's "writer" (schema reads) and reader: both read-only
                connection = await aiosqlite.connect(target, uri=True, isolation_level=None)
                connections.append(connection)
                await _configure(connection, read_only=True)
            await connections[0].execute("SELECT count(*) FROM sqlite_master")  # not a database: say so now
        except sqlite3.DatabaseError as error:
            for connection in connections:
                await connection.close()
            raise DatabaseUnavailableError(f"cannot read the database {path}: {error}") from None
        db = cls(path, connections[0], connections[1])
        db.read_only = True
        return db

    async def close(self) -> None:
        async with self._write_lock:
            await self._reader.close()
            await self._writer.close()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    # --- migrations -----------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._writer.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than ``PRAGMA user_version``, each in its own transaction."""
        self._refuse_if_read_only()
        async with self._write_lock:
            return await run_migrations(self, migrations("sqlite"), where=str(self.path))

    async def apply_migration(self, migration: Migration) -> None:
        # executescript commits any open transaction first, so the script carries its own
        # BEGIN/COMMIT: the schema change and the version bump land together or not at all.
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.number};\nCOMMIT;"
        try:
            await self._writer.executescript(script)
        except Exception:
            if self._writer.in_transaction:
                await self._writer.execute("ROLLBACK")
            raise

    # --- writes ---------------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(
        self, community_id: int | None = None, *, communities: Collection[int] | None = None
    ) -> AsyncIterator[SqliteConnection]:
        """A serialised write transaction: committed on exit, rolled back on any exception.

        SQLite has one writer at a time whatever the community: ``community_id`` and ``communities`` are accepted
        and ignored."""
        self._refuse_if_read_only()
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except aiosqlite.OperationalError as error:
                raise _unavailable(error) from error
            try:
                yield self._connection
            except BaseException as error:
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError) and _is_unavailable(error):
                    raise _unavailable(error) from error
                raise
            try:
                await self._writer.execute("COMMIT")
            except aiosqlite.OperationalError as error:
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                raise _unavailable(error) from error

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise DatabaseUnavailableError(
                "Could not save: the database was opened read-only (for the check). Nothing was changed."
            )

    def _connect_target(self) -> tuple[str | Path, bool]:
        """Where a connection of its own opens this database, and whether that is a URI (read-only: ``mode=ro``)."""
        return (_read_only_uri(self.path), True) if self.read_only else (self.path, False)

    # --- long reads -----------------------------------------------------------------------------------

    async def iterate(self, sql: str, params: Params = (), *, batch: int = 500) -> AsyncGenerator[Row, None]:
        """Rows one batch at a time, for exports that must not hold every row in memory.

        On a connection of their own: an open statement holds its read snapshot until it finishes, and on
        the shared reader that would show every other read in the bot the database as it was when a long
        export began.
        """
        target, uri = self._connect_target()
        async with (
            aiosqlite.connect(target, uri=uri, isolation_level=None) as connection,
            self._long_readers.reading() as reader,
        ):
            await _configure(connection, read_only=self.read_only)
            await connection.execute("PRAGMA query_only=ON")
            async with connection.execute(sql, params) as cursor:
                while rows := await cursor.fetchmany(batch):
                    for row in rows:
                        yield row
                    if reader.revoked:
                        raise ReaderRevokedError()

    @contextlib.contextmanager
    def rows_in_thread(self, sql: str, params: Params = ()) -> Iterator[Iterator[tuple[Any, ...]]]:
        """Worker threads only. A blocking connection of its own, opened and closed in the calling thread: the
        thread steps the query itself, one row at a time, with nothing crossing to the event loop per batch
        (which was most of an export's time). One SELECT, so one consistent snapshot.
        """
        target, uri = self._connect_target()
        connection = sqlite3.connect(target, uri=uri, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA query_only=ON")
            cursor = connection.execute(sql, params)
            cursor.arraysize = 1000
            yield iter(cursor)
        finally:
            connection.close()

    async def backup_to(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API, safe while the bot writes.

        The copy holds every answer: it is created readable by the bot's user only.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        target_of_source, uri = self._connect_target()
        async with (
            self._long_readers.reading(),
            aiosqlite.connect(target_of_source, uri=uri) as source,
            aiosqlite.connect(target) as destination,
        ):
            await source.backup(destination)

    # --- upkeep ---------------------------------------------------------------------------------------

    async def scrub(self) -> None:
        """Make deleted rows gone from every file: the database and its write-ahead log.

        ``PRAGMA secure_delete`` overwrote the rows in the pages of the latest version, but older copies of
        those pages stay in the write-ahead log, and the database file itself is only brought up to date by a
        checkpoint, which cannot pass a reader still looking at an older snapshot (an export, a backup). So:
        wait up to ``reader_grace`` seconds for long readers to finish, stop those still running (the export says so
        and can be run again), then checkpoint and truncate the log, and check that it worked. Raises
        ScrubIncompleteError if it did not: the caller must not tell anyone their data is gone.
        """
        self._refuse_if_read_only()
        await self._long_readers.drain(self.reader_grace)
        if not await checkpoint_truncate(self.path):
            raise ScrubIncompleteError(
                "The data was deleted, but an older copy could not yet be wiped from the database files (they are "
                "busy). Please try again in a minute."
            )

    async def try_scrub(self) -> bool:
        """``scrub`` without waiting for or stopping long readers: False if one kept it from completing (a
        later checkpoint then clears the log)."""
        if self.read_only:
            return False
        return await checkpoint_truncate(self.path)

    async def check_integrity(self) -> list[str]:
        problems = [str(r[0]) for r in await self.fetchall("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [str(tuple(r)) for r in await self.fetchall("PRAGMA foreign_key_check")]
        return problems


async def checkpoint_truncate(path: Path) -> bool:
    """Copy the write-ahead log into the database and truncate it; True only if it verifiably happened."""
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            result = await cursor.fetchone()
    wal = path.with_name(path.name + "-wal")
    size = await asyncio.to_thread(lambda: wal.stat().st_size if wal.exists() else 0)
    # (busy, frames in the log, frames checkpointed): not busy, everything copied, and the log file emptied.
    return result is not None and result[0] == 0 and result[1] == result[2] and size == 0


def _read_only_uri(path: Path) -> str:
    """The file's URI for a read-only connection (percent-encoded, so no character of the path is read as a
    parameter)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _take_process_lock(path: Path) -> int:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseLockedError(
            f"another bot process is already using {path}; stop it first (two bots would double every reminder)"
        ) from None
    return fd


def _is_unavailable(error: Exception) -> bool:
    """Errors of the storage itself (full disk, read-only file, I/O), not of the statement."""
    text = str(error).lower()
    return any(marker in text for marker in ("readonly", "read-only", "full", "disk i/o", "locked", "busy"))


def _unavailable(error: Exception) -> DatabaseUnavailableError:
    text = str(error).lower()
    if "readonly" in text or "read-only" in text:
        reason = "the database file is read-only"
    elif "full" in text:
        reason = "the disk is full"
    elif "disk i/o" in text:
        reason = "the disk reported an error"
    else:
        reason = "the database is busy or unavailable"
    log.error("a write to the database failed and was rolled back: %s (%s)", reason, error)
    return DatabaseUnavailableError(f"Could not save: {reason}. Nothing was changed; please try again later.")
