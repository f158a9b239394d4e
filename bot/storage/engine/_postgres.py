"""PostgreSQL behind the engine interface, with asyncpg: a pool, serialised write transactions, reads on the pool.

Writes are serialised by transaction-scoped advisory locks taken right after BEGIN, across every process:
repositories read, decide and write in one transaction (reminder claims, "has this member answered?") and rely on
no other writer slipping in between. A write of one community (``transaction(community_id)``) serialises only with
writes of the same community and with writes of no community in particular: it holds the global write lock
shared and its community's lock exclusively. A write of no community (migrations, purges, erasure across
servers, anything that spans communities) holds the global write lock exclusively, so it waits for every writer
and every writer waits for it, as all writes did before. Answers in different servers so commit in parallel, in
one process or many. Reads take no lock.

Everything that differs from SQLite's SQL is translated here, in ``translate`` (``?`` placeholders become
``$1..$n``), or lives in the Dialect (``_api.POSTGRESQL_DIALECT``); repositories hold one SQL text for both.

When the server goes away (restart, crash, failover) the pool's idle connections are dead without knowing it. A
statement on one fails with a connection error: the pool is told to replace every idle connection, and work that
has not started yet (a read, or a transaction before its caller ran anything) is tried again once on a fresh
connection. What cannot be retried becomes ``DatabaseUnavailableError``, whose message is safe to show a member.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

import asyncpg
from asyncpg.exceptions._base import InternalClientError

from bot.domain.errors import SettingsError
from bot.storage.database_url import ENCODING_HINT, URL_FORM, check_postgresql_url, redact_url
from bot.storage.engine._api import (
    POSTGRESQL_DIALECT,
    DatabaseUnavailableError,
    Dialect,
    Params,
    ReaderRevokedError,
    Row,
    ScrubIncompleteError,
)
from bot.storage.engine._migrations import Migration, migrations, run_migrations
from bot.storage.engine._readers import LongReader, LongReaders

log = logging.getLogger(__name__)

T = TypeVar("T")

# Advisory lock keys (64-bit, any fixed values no other application on the database uses): "wbwrites", "wbmigrat".
WRITE_LOCK_KEY = 0x7762_7772_6974_6573
MIGRATION_LOCK_KEY = 0x7762_6D69_6772_6174
# A community's write lock uses the two-integer form of the advisory locks, whose keys never meet the one-bigint
# keys above: (this namespace, "wbcm", the community id folded to 32 bits). Two communities that fold to the same
# value merely serialise with each other.
COMMUNITY_LOCK_NAMESPACE = 0x7762_636D
# Write transactions this process runs at once, at most: the rest of the pool stays free for reads (a transaction
# may read on the pool while it runs, and must never wait for a connection held by a writer waiting for it).
MAX_CONCURRENT_WRITES = 5

READER_GRACE_SECONDS = 20.0  # how long an erasure lets a running export finish before stopping it
SCRUB_LOCK_TIMEOUT = "5s"  # VACUUM FULL waits at most this long for its lock, so it never queues everyone behind it
POOL_MIN, POOL_MAX = 1, 10
# Rows a worker thread's read fetches per trip: small enough that a batch of long answers stays well under a MB
# (1,000 held 2 MB more at the peak of a 20,000-answer export), large enough that trips cost nothing.
THREAD_BATCH_ROWS = 200
CONNECT_TIMEOUT_SECONDS = 10.0
# A read, or a transaction's start, is tried on fresh connections while the server comes back: 0.25 s, 0.5 s, ...
# about 7 s in all, so that a restart of the server goes unnoticed by members.
RECONNECT_ATTEMPTS = 8
RECONNECT_DELAY_SECONDS = 0.25

# The tables that hold what members wrote: erasure and retention rewrite them (VACUUM FULL) so the text is gone
# from the files, not merely marked dead (docs/postgresql-erasure.md).
MEMBER_TEXT_TABLES = ("answers", "answer_versions")

# SQLSTATE classes and codes of the server's own trouble, not of the statement: 08 connection exception,
# 53 insufficient resources (disk full, out of memory, too many connections), 57 operator intervention (admin
# shutdown, crash shutdown, cannot connect now), 58 system error (I/O), 25006 read-only transaction (a standby,
# or default_transaction_read_only), XX internal error.
_UNAVAILABLE_CLASSES = ("08", "53", "57", "58", "XX")
READ_ONLY_TRANSACTION = "25006"
_UNAVAILABLE_CODES = (READ_ONLY_TRANSACTION,)


def latest_version() -> int:
    return len(migrations("postgresql"))


# --- dialect: placeholders ------------------------------------------------------------------------------------

_TOKENS = re.compile(
    r"""
      '(?:[^']|'')*'          # a string literal ('' is a quote inside it)
    | "(?:[^"]|"")*"          # a quoted identifier
    | --[^\n]*                # a line comment
    | /\*.*?\*/               # a block comment
    | \?                      # a placeholder
    """,
    re.VERBOSE | re.DOTALL,
)


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQLite's ``?`` placeholders as PostgreSQL's ``$1, $2, ...``, leaving any ``?`` inside a string literal, a
    quoted identifier or a comment alone. Cached: the repositories use a few hundred fixed SQL texts."""
    number = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal number
        if match.group() != "?":
            return match.group()
        number += 1
        return f"${number}"

    return _TOKENS.sub(replace, sql)


def _rows_affected(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1", "DELETE 0") as a number of rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


# --- errors ---------------------------------------------------------------------------------------------------


def is_unavailable(error: BaseException) -> bool:
    """An error of the server or the connection to it (which a retry may cure), not of the statement."""
    if isinstance(error, asyncpg.PostgresError):
        code = error.sqlstate or ""
        return code[:2] in _UNAVAILABLE_CLASSES or code in _UNAVAILABLE_CODES
    if isinstance(error, asyncpg.InterfaceError):
        return "closed" in str(error) or "connection" in str(error).lower()
    if isinstance(error, InternalClientError):
        return True  # asyncpg's protocol tripping over its own state as the server drops the connection
    return isinstance(error, OSError | TimeoutError | ConnectionError)


def _reason(error: BaseException) -> str:
    code = getattr(error, "sqlstate", None) or ""
    if code == "53100":
        return "the database server's disk is full"
    if code == "25006":
        return "the database is read-only"
    if code.startswith("53"):
        return "the database server is overloaded"
    if code.startswith("57"):
        return "the database server is restarting"
    return "the database server cannot be reached"


def unavailable(error: BaseException, doing: str = "save") -> DatabaseUnavailableError:
    """The member-safe error for ``error``; the detail goes to the log only (never the DSN or its password)."""
    reason = _reason(error)
    log.error("database unavailable (%s): %s: %s", reason, type(error).__name__, error)
    if doing == "save":
        return DatabaseUnavailableError(f"Could not save: {reason}. Nothing was changed; please try again later.")
    return DatabaseUnavailableError(f"Could not {doing}: {reason}. Please try again later.")


# --- connections ----------------------------------------------------------------------------------------------


class _Statements:
    """The reads of the interface on one asyncpg connection."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self._raw = raw

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._raw.fetch(translate(sql), *params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._raw.fetchrow(translate(sql), *params)
        return row

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._raw.fetchval(translate(sql), *params)


class _PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A connection of the pool, given back to it without a round trip when it holds no session state.

    asyncpg resets every connection the pool takes back: a ROLLBACK if a transaction was left open, then
    ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` to drop session state, one round trip to the
    server per read and per write. Reads and write transactions leave no session state: their advisory locks
    are the transaction's, their cursors close with it, they LISTEN to nothing and SET nothing. So that query runs
    only for a connection whose session was changed (``changes_session``: a session lock, a SET); the ROLLBACK of
    a transaction left open still runs (asyncpg does it whatever the reset query is).
    """

    __slots__ = ("_session_changed",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session_changed = False

    def changes_session(self) -> None:
        """Before this connection takes a session lock or SETs something: the pool resets it fully when it is back."""
        self._session_changed = True

    def get_reset_query(self) -> str:
        if not self._session_changed:
            return ""
        self._session_changed = False
        return str(super().get_reset_query())


def _changes_session(raw: asyncpg.Connection) -> None:
    """``_PooledConnection.changes_session`` through the pool's proxy of the connection."""
    raw.changes_session()


class PostgresConnection(_Statements):
    """A pooled connection inside one write transaction, as handed out by ``transaction()``."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _rows_affected(await self._raw.execute(translate(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._raw.executemany(translate(sql), [tuple(row) for row in rows])


class PostgresDatabase:
    """Owns the pool. Open with ``async with open_database("postgresql://...") as db``."""

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self._url = url
        self.where = redact_url(url)
        self._pool = pool
        self._long_readers = LongReaders()
        self.reader_grace = READER_GRACE_SECONDS
        self._bot_loop = asyncio.get_running_loop()
        self._writers = _WriterGate(MAX_CONCURRENT_WRITES)
        self._owner_token = uuid.uuid4().hex
        self._owner_connection: asyncpg.Connection | None = None  # holds the owner lock while the process lives
        self.read_only = False

    @property
    def engine(self) -> Literal["postgresql"]:
        return "postgresql"

    @property
    def dialect(self) -> Dialect:
        return POSTGRESQL_DIALECT

    # --- which processes are alive (for the reminder ledger's claims) ---------------------------------------

    @property
    def owner_token(self) -> str:
        return self._owner_token

    async def _hold_owner_lock(self) -> None:
        """A session-level advisory lock named by this process's token, held on a connection of its own for the
        process's life: the server releases it when the connection goes, that is, when the process does."""
        connection = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT_SECONDS)
        await connection.execute("SELECT pg_advisory_lock($1)", _owner_lock_key(self._owner_token))
        self._owner_connection = connection

    async def owner_alive(self, token: str | None) -> bool:
        if token is None:
            return False
        if token == self._owner_token:
            return True
        # Looked up, never taken: a probe that took the lock for a moment would look, to another process probing at
        # the same moment, like the owner itself. pg_locks shows a bigint advisory key as its high half in classid,
        # its low half in objid and objsubid 1 (PostgreSQL docs, "pg_locks"); a lock is listed while the backend
        # holding it lives, so a granted one means that process's connection, and so the process, is still there.
        high, low = _lock_key_halves(_owner_lock_key(token))
        return bool(
            await self._retrying(
                lambda raw: raw.fetchval(_OWNER_LOCK_HELD, high, low), "checking whether another bot process is alive"
            )
        )

    @classmethod
    async def connect(cls, url: str, *, read_only: bool = False) -> PostgresDatabase:
        """Open the pool, migrate, and hold this process's owner lock.

        ``read_only`` (the preflight check): every session is ``default_transaction_read_only`` (the server refuses
        every write), the database is left at whatever schema version it holds (``schema_version`` says which), and
        no owner lock is taken (the check is no bot process). Its transactions raise DatabaseUnavailableError.
        """
        try:
            check_postgresql_url(url)  # a URL the driver would misread never reaches it (nor its messages)
        except ValueError as error:
            raise SettingsError(str(error)) from None
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=POOL_MIN,
                max_size=POOL_MAX,
                timeout=CONNECT_TIMEOUT_SECONDS,
                server_settings=_server_settings(read_only),
                connection_class=_PooledConnection,
            )
        except ValueError as error:  # asyncpg.ClientConfigurationError is one too
            # The driver's message quotes the part of the URL it could not read, which may be part of the password.
            log.error("cannot read the PostgreSQL URL %s: %s", redact_url(url), type(error).__name__)
            raise DatabaseUnavailableError(
                f"Cannot open the PostgreSQL database {redact_url(url)}: the URL cannot be read "
                f"(expected {URL_FORM}; {ENCODING_HINT})."
            ) from None
        except Exception as error:
            if not is_unavailable(error) and not isinstance(error, asyncpg.PostgresError):
                raise
            # In the log file only: the error raised below is the one line the console shows.
            log.error(
                "cannot open the PostgreSQL database %s: %s",
                redact_url(url),
                type(error).__name__,
                extra={"file_only": True},
            )
            raise DatabaseUnavailableError(
                f"Cannot open the PostgreSQL database {redact_url(url)}: {_connect_reason(error)}."
            ) from None
        db = cls(url, pool)
        if read_only:
            db.read_only = True
            return db
        try:
            await db.migrate()
            await db._hold_owner_lock()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        if self._owner_connection is not None:
            self._owner_connection.terminate()  # releases the owner lock: this process is gone
            self._owner_connection = None
        try:
            await asyncio.wait_for(self._pool.close(), 10)
        except TimeoutError:
            self._pool.terminate()

    # --- retrying around a restart of the server ------------------------------------------------------------

    async def _retrying(self, work: Callable[[asyncpg.Connection], Awaitable[T]], doing: str) -> T:
        """``work`` (a read) on a pooled connection; on a connection error, again on fresh ones for a few seconds."""
        for attempt in range(RECONNECT_ATTEMPTS):
            try:
                async with self._pooled() as raw:
                    try:
                        return await work(raw)
                    except Exception as error:
                        if is_unavailable(error):
                            _discard(raw)  # never handed out again
                        raise
            except Exception as error:
                if not is_unavailable(error):
                    raise
                if self.read_only and getattr(error, "sqlstate", None) == READ_ONLY_TRANSACTION:
                    raise unavailable(error, doing) from error  # this open's own refusal of a write: no retry cures it
                await self._pool.expire_connections()  # the others are as dead as this one: replace them all
                if attempt == RECONNECT_ATTEMPTS - 1:
                    raise unavailable(error, doing) from error
                log.warning("database connection lost (%s); trying again", type(error).__name__)
                await asyncio.sleep(RECONNECT_DELAY_SECONDS * attempt)
        raise AssertionError("unreachable")

    # --- reads ----------------------------------------------------------------------------------------------

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._retrying(lambda raw: _Statements(raw).fetchall(sql, params), "read the data")

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._retrying(lambda raw: _Statements(raw).fetchone(sql, params), "read the data")

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._retrying(lambda raw: _Statements(raw).fetchval(sql, params), "read the data")

    # --- writes ---------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(
        self, community_id: int | None = None, *, communities: Collection[int] | None = None
    ) -> AsyncIterator[PostgresConnection]:
        """A write transaction, committed on a clean exit, rolled back on any exception. Its start is retried on a
        fresh connection if the server was restarted.

        With ``community_id`` it is serialised with every other writer of that community and with every writer of
        no community, in any process, and runs beside writers of other communities; without, it is serialised
        with every writer. Within this process writers queue on in-process locks first (the same ones: a
        community's, and a gate the community-less writer takes alone), so that waiting writers do not hold pool
        connections that reads need; the advisory locks then order them with the other processes' writers.

        ``communities``: a transaction that touches only these communities' rows (a batch of them planned at once)
        holds each one's lock, taken in one order (sorted) by every such writer, so that two never wait for each
        other."""
        self._refuse_if_read_only()
        async with (
            self._writers.enter(community_id, communities),
            self._begin(_lock_statement(community_id, communities)) as raw,
        ):
            try:
                yield PostgresConnection(raw)
            except BaseException as error:
                # An OSError of the caller's own work (a file it reads) is not the server's: only when the
                # connection died with it.
                lost = isinstance(error, Exception) and is_unavailable(error)
                lost = lost and (not isinstance(error, OSError) or _connection_lost(raw))
                if lost:
                    _discard(raw)
                await _rollback_quietly(raw)
                if lost:
                    await self._pool.expire_connections()
                    raise unavailable(error) from error
                raise
            try:
                await raw.execute("COMMIT")
            except Exception as error:
                await _rollback_quietly(raw)
                if is_unavailable(error):
                    # Lost during COMMIT: the server may have committed before the connection went, so do not
                    # claim that nothing changed.
                    await self._pool.expire_connections()
                    raise unavailable(error, "confirm the save") from error
                raise

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise DatabaseUnavailableError(
                "Could not save: the database was opened read-only (for the check). Nothing was changed."
            )

    @asynccontextmanager
    async def _begin(self, lock_statement: str) -> AsyncIterator[asyncpg.Connection]:
        for attempt in range(RECONNECT_ATTEMPTS):
            raw = None
            try:
                raw = await self._pool.acquire()
                await raw.execute(f"BEGIN; {lock_statement}")
                break
            except Exception as error:
                if raw is not None:
                    if is_unavailable(error):
                        _discard(raw)
                    await self._release(raw)
                if not is_unavailable(error):
                    raise
                await self._pool.expire_connections()
                if attempt == RECONNECT_ATTEMPTS - 1:
                    raise unavailable(error) from error
                log.warning("database connection lost (%s); trying again", type(error).__name__)
                await asyncio.sleep(RECONNECT_DELAY_SECONDS * attempt)
        try:
            yield raw
        finally:
            await self._release(raw)

    async def _release(self, raw: asyncpg.Connection) -> None:
        """Give a connection back to the pool. The pool resets it with a query, which fails if the server went away
        just now: that must not turn a committed transaction (or a finished read) into an error."""
        try:
            await self._pool.release(raw)
        except Exception as error:
            if not is_unavailable(error):
                raise
            _discard(raw)
            log.warning("a connection was lost as it went back to the pool (%s)", type(error).__name__)

    @asynccontextmanager
    async def _pooled(self) -> AsyncIterator[asyncpg.Connection]:
        raw = await self._pool.acquire()
        try:
            yield raw
        finally:
            await self._release(raw)

    # --- long reads -----------------------------------------------------------------------------------------

    async def iterate(self, sql: str, params: Params = (), *, batch: int = 500) -> AsyncIterator[Row]:
        """Rows one batch at a time through a server-side cursor, in one read-only snapshot on a connection of
        its own; stopped (ReaderRevokedError) if an erasure needs the tables it reads."""
        async with self._long_readers.reading() as reader, self._pooled() as raw:
            try:
                async with raw.transaction(isolation="repeatable_read", readonly=True):
                    cursor = await raw.cursor(translate(sql), *params)
                    while rows := await cursor.fetch(batch):
                        for row in rows:
                            yield row
                        if reader.revoked:
                            raise ReaderRevokedError()
            except Exception as error:
                if is_unavailable(error):
                    await self._pool.expire_connections()
                    raise unavailable(error, "read the data") from error
                raise

    @contextlib.contextmanager
    def rows_in_thread(self, sql: str, params: Params = ()) -> Iterator[Iterator[Sequence[Any]]]:
        """Worker threads only: a connection of its own, on an event loop of its own in a helper thread (asyncpg
        needs one; the bot's loop must not be touched from here), stepped by the calling thread one batch per trip
        to the server, in one read-only snapshot."""
        loop = asyncio.new_event_loop()
        helper = threading.Thread(target=loop.run_forever, name="postgres-rows", daemon=True)
        helper.start()

        def wait(work: Awaitable[T]) -> T:
            async def run() -> T:
                return await work

            return asyncio.run_coroutine_threadsafe(run(), loop).result()

        # Registered as a long read, as iterate() is, so that an erasure can stop it (its snapshot and its lock
        # on the tables would keep VACUUM FULL waiting). The set belongs to the bot's loop: changed from there.
        reader = LongReader()
        self._bot_loop.call_soon_threadsafe(self._long_readers.add, reader)
        try:
            raw = wait(asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT_SECONDS))
            try:
                wait(raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                cursor = wait(raw.cursor(translate(sql), *params))

                def rows() -> Iterator[Sequence[Any]]:
                    while batch := wait(cursor.fetch(THREAD_BATCH_ROWS)):
                        yield from (tuple(row) for row in batch)
                        if reader.revoked:
                            raise ReaderRevokedError()

                yield rows()
            finally:
                wait(raw.close())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            helper.join()
            loop.close()
            asyncio.run_coroutine_threadsafe(self._long_readers.forget(reader), self._bot_loop)

    # --- upkeep ---------------------------------------------------------------------------------------------

    async def scrub(self) -> None:
        """Make deleted rows gone from the files of the tables that hold members' words.

        A DELETE only marks a row dead, and a plain VACUUM frees its space without overwriting it: the text stays
        in the page until something else is written there. ``VACUUM (FULL)`` writes each table (and its TOAST
        table and indexes) into new files with only the live rows and truncates the old ones; a CHECKPOINT then
        removes them. VACUUM FULL holds an ACCESS EXCLUSIVE lock on each table while it runs (reads and writes of
        answers wait for it; the tables are small), and cannot run inside a transaction. An export still reading
        those tables would keep it waiting: as on SQLite, it gets ``reader_grace`` seconds to finish, then is
        stopped. Raises ScrubIncompleteError if the rewrite could not be done: then no one may be told their
        data is gone.
        """
        self._refuse_if_read_only()
        await self._long_readers.drain(self.reader_grace)
        if not await self.try_scrub():
            raise ScrubIncompleteError(
                "The data was deleted, but an older copy could not yet be wiped from the database files (they are "
                "busy). Please try again in a minute."
            )

    async def try_scrub(self) -> bool:
        """``scrub`` without waiting for or stopping long reads: False if the tables stayed busy."""
        if self.read_only:
            return False
        tables = ", ".join(MEMBER_TEXT_TABLES)
        try:
            async with self._pooled() as raw:
                _changes_session(raw)  # SET lock_timeout, reset below (and by the pool's reset if that fails)
                # Outside a transaction, as VACUUM must be; the lock timeout keeps a VACUUM waiting behind a long
                # reader from blocking every other statement on the table queued behind it.
                await raw.execute(f"SET lock_timeout = '{SCRUB_LOCK_TIMEOUT}'")
                try:
                    await raw.execute(f"VACUUM (FULL) {tables}")
                finally:
                    await raw.execute("RESET lock_timeout")
                with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                    # Unlinks the truncated old files now rather than at the next automatic checkpoint. Needs
                    # pg_checkpoint (or a superuser): without it the files are already empty, just not gone.
                    await raw.execute("CHECKPOINT")
        except asyncpg.LockNotAvailableError:
            log.warning("could not wipe deleted rows yet: the tables are busy")
            return False
        except Exception as error:
            if is_unavailable(error):
                await self._pool.expire_connections()
                log.warning("could not wipe deleted rows yet: %s", type(error).__name__)
                return False
            raise
        return True

    async def check_integrity(self) -> list[str]:
        """Rows whose foreign keys point nowhere cannot exist on PostgreSQL (constraints are always checked), and
        pages carry no checksums unless the cluster was made with them: what can be checked is that the schema is
        the one this bot expects."""
        version = await self.schema_version()
        latest = latest_version()
        return [] if version == latest else [f"schema version {version}, expected {latest}"]

    # --- migrations -----------------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return await self._retrying(_schema_version, "read the data")

    async def migrate(self) -> int:
        """Apply every migration newer than the ``schema_version`` table says, each in its own transaction, under
        a session advisory lock so that two processes starting at once do not both migrate."""
        self._refuse_if_read_only()
        async with self._pooled() as raw:
            _changes_session(raw)  # a session lock, released below (and by the pool's reset if that fails)
            await raw.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            try:
                # Under the lock: CREATE TABLE IF NOT EXISTS is not safe against a concurrent one.
                await raw.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, "
                    "only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row))"
                )
                return await run_migrations(_MigrationTarget(raw), migrations("postgresql"), where=self.where)
            finally:
                await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def _schema_version(raw: asyncpg.Connection) -> int:
    exists = await raw.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = await raw.fetchval("SELECT version FROM schema_version")
    return int(version or 0)


class _MigrationTarget:
    def __init__(self, raw: asyncpg.Connection) -> None:
        self._raw = raw

    async def schema_version(self) -> int:
        return await _schema_version(self._raw)

    async def apply_migration(self, migration: Migration) -> None:
        # PostgreSQL's DDL is transactional: the schema change and the version bump land together or not at all.
        async with self._raw.transaction():
            await self._raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            await self._raw.execute(migration.sql)
            await self._raw.execute(
                "INSERT INTO schema_version (version) VALUES ($1) "
                "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version",
                migration.number,
            )


def _server_settings(read_only: bool) -> dict[str, str]:
    """Each session's settings, sent as the connection starts (so a pool's new connections have them too)."""
    settings = {"application_name": "workshop-bot"}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    return settings


def _discard(raw: asyncpg.Connection) -> None:
    """Close a connection the server dropped, so that the pool opens a new one rather than reusing it."""
    with contextlib.suppress(asyncpg.InterfaceError):
        raw.terminate()


def _connection_lost(raw: asyncpg.Connection) -> bool:
    try:
        return bool(raw.is_closed())
    except asyncpg.InterfaceError:
        return True  # the pool already took the dropped connection back


async def _rollback_quietly(raw: asyncpg.Connection) -> None:
    try:
        if raw.is_closed():
            return
        await raw.execute("ROLLBACK")
    except asyncpg.InterfaceError:
        return  # the connection dropped, and the pool already took it back: the server rolled back
    except Exception:
        log.warning("rollback failed; closing the connection", exc_info=True)
        with contextlib.suppress(asyncpg.InterfaceError):
            raw.terminate()


def _connect_reason(error: BaseException) -> str:
    if isinstance(error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return "the user name or password was refused"
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return "no database of that name exists on the server"
    if isinstance(error, OSError | TimeoutError):
        return "the server cannot be reached (is it running, and are the host and port right?)"
    return _reason(error)


def community_lock_key(community_id: int) -> tuple[int, int]:
    """The two 32-bit keys (signed, as PostgreSQL's integer) of a community's write lock."""
    folded = (community_id ^ (community_id >> 32)) & 0xFFFF_FFFF
    return COMMUNITY_LOCK_NAMESPACE, folded - (1 << 32) if folded >= 1 << 31 else folded


def _lock_statement(community_id: int | None, communities: Collection[int] | None = None) -> str:
    """What a write transaction runs right after BEGIN: the advisory locks that serialise it (integers only)."""
    if communities is not None:
        # Sorted and without repeats (two communities may fold to one key): PostgreSQL evaluates the calls left to
        # right, so every writer of several communities takes their locks in the same order.
        keys = sorted({community_lock_key(c) for c in communities})
        locks = "".join(f", pg_advisory_xact_lock({namespace}, {key})" for namespace, key in keys)
        return f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK_KEY}){locks}"
    if community_id is None:
        return f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
    namespace, key = community_lock_key(community_id)
    # Always the global lock first, then the community's: the one order every writer takes them in.
    return f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK_KEY}), pg_advisory_xact_lock({namespace}, {key})"


class _WriterGate:
    """This process's side of the write locks: writers of one community one at a time, writers of different
    communities side by side (at most ``limit`` at once), and a writer of no community alone.

    A community's lock exists only while someone holds or waits for it: the gate's memory follows the writes
    under way, not the number of communities ever written. Writers of no community take precedence over
    writers of a community that arrive after them, so that a purge is not starved by a stream of answers.
    """

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._communities: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, holders and waiters
        self._condition = asyncio.Condition()
        self._community_writers = 0  # inside, holding a slot
        self._exclusive_waiting = 0
        self._exclusive_inside = False

    @property
    def community_locks(self) -> int:
        """How many communities' in-process locks exist now (for tests: none once writes are done)."""
        return len(self._communities)

    @asynccontextmanager
    async def enter(self, community_id: int | None, communities: Collection[int] | None = None) -> AsyncIterator[None]:
        if communities is not None:
            # Each community's lock in sorted order (as every writer of several takes them), then one slot.
            async with contextlib.AsyncExitStack() as held:
                for each in sorted(set(communities)):
                    await held.enter_async_context(self._community(each))
                async with self._shared(), self._slots:
                    yield
            return
        if community_id is None:
            async with self._exclusive():
                yield
            return
        async with self._community(community_id), self._shared(), self._slots:
            yield

    @asynccontextmanager
    async def _community(self, community_id: int) -> AsyncIterator[None]:
        lock, users = self._communities.get(community_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._communities[community_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._communities[community_id]
            if users == 1:
                del self._communities[community_id]
            else:
                self._communities[community_id] = (lock, users - 1)

    @asynccontextmanager
    async def _shared(self) -> AsyncIterator[None]:
        # The condition is waited on, and notified, only while a writer of no community is waiting or inside:
        # otherwise a burst of answers would wake every waiting writer at every commit (quadratic loop work).
        if self._exclusive_inside or self._exclusive_waiting:
            async with self._condition:
                await self._condition.wait_for(lambda: not self._exclusive_inside and not self._exclusive_waiting)
                self._community_writers += 1
        else:
            self._community_writers += 1  # no await between the test and the count: nothing slips in
        try:
            yield
        finally:
            self._community_writers -= 1
            if not self._community_writers and self._exclusive_waiting:
                async with self._condition:
                    self._condition.notify_all()

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        async with self._condition:
            self._exclusive_waiting += 1
            try:
                await self._condition.wait_for(lambda: not self._exclusive_inside and not self._community_writers)
            finally:
                self._exclusive_waiting -= 1
                self._condition.notify_all()  # a cancelled wait must not keep community writers out
            self._exclusive_inside = True
        try:
            yield
        finally:
            async with self._condition:
                self._exclusive_inside = False
                self._condition.notify_all()


# Whether a live backend holds an owner lock: the session lock _hold_owner_lock takes, in this database.
_OWNER_LOCK_HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = $1::oid AND objid = $2::oid AND objsubid = 1)"
)


def _lock_key_halves(key: int) -> tuple[int, int]:
    """A bigint advisory key as pg_locks shows it: its high and low 32 bits, each unsigned (oid)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


def _owner_lock_key(token: str) -> int:
    """A 64-bit advisory lock key for a process token (signed, as PostgreSQL's bigint)."""
    return int.from_bytes(hashlib.sha256(b"workshop-bot owner " + token.encode()).digest()[:8], "big", signed=True)


@asynccontextmanager
async def open_postgresql(url: str, *, read_only: bool = False) -> AsyncIterator[PostgresDatabase]:
    """Connect, migrate (unless ``read_only``), and close the pool at the end."""
    db = await PostgresDatabase.connect(url, read_only=read_only)
    try:
        yield db
    finally:
        await db.close()
