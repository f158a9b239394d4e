"""The database engine behind the repositories: SQLite (the embedded default) or PostgreSQL.

Repositories and services code against the protocols in ``_api``; ``open_database`` picks the engine.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from bot.domain.errors import UserFacingError
from bot.storage.engine._api import (
    Connection,
    Database,
    DatabaseLockedError,
    DatabaseUnavailableError,
    Dialect,
    Engine,
    Params,
    Queries,
    ReaderRevokedError,
    Row,
    ScrubIncompleteError,
    community_filters,
    in_chunks,
    needs_transaction,
    own_or_joined_transaction,
    placeholders,
    rows_in_thread_from_loop,
)
from bot.storage.engine._migrations import SchemaState
from bot.storage.engine._migrations import schema_state as _schema_state
from bot.storage.engine._sqlite import SqliteDatabase

__all__ = [
    "Connection",
    "Database",
    "DatabaseLockedError",
    "DatabaseUnavailableError",
    "Dialect",
    "Engine",
    "Params",
    "Queries",
    "ReaderRevokedError",
    "Row",
    "SchemaState",
    "ScrubIncompleteError",
    "SqliteDatabase",
    "community_filters",
    "in_chunks",
    "is_postgresql_url",
    "needs_transaction",
    "open_database",
    "own_or_joined_transaction",
    "placeholders",
    "rows_in_thread_from_loop",
    "schema_state",
]

_POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


def is_postgresql_url(url_or_path: str | Path) -> bool:
    return isinstance(url_or_path, str) and url_or_path.startswith(_POSTGRESQL_SCHEMES)


def open_database(
    url_or_path: str | Path, *, exclusive: bool = False, read_only: bool = False
) -> AbstractAsyncContextManager[Database]:
    """Open and migrate the database: ``postgresql://…`` (or ``postgres://…``) is PostgreSQL, anything else a
    SQLite file (created with its folder if needed).

    ``exclusive`` only means something for SQLite: a second bot process on the same file is refused. On
    PostgreSQL several processes share one database.

    ``read_only`` (the preflight check) opens the database as it is: never created, never migrated, and every
    write refused by the engine itself (SQLite ``mode=ro``, PostgreSQL ``default_transaction_read_only``), so an
    older or newer schema is left for ``schema_state`` to describe. A SQLite file that is not there is an error.
    """
    if is_postgresql_url(url_or_path):
        return _open_postgresql(str(url_or_path), read_only=read_only)
    return _open_sqlite(Path(url_or_path), exclusive=exclusive, read_only=read_only)


async def schema_state(db: Database) -> SchemaState:
    """The database's schema version against this code's migrations: up to date, to be upgraded by the next
    start (with the migrations it would apply), or newer than this code. Only reads."""
    return _schema_state(db.engine, await db.schema_version())


@asynccontextmanager
async def _open_sqlite(path: Path, *, exclusive: bool, read_only: bool) -> AsyncIterator[Database]:
    async with SqliteDatabase.open(path, exclusive=exclusive, read_only=read_only) as db:
        yield db


@asynccontextmanager
async def _open_postgresql(url: str, *, read_only: bool) -> AsyncIterator[Database]:
    # Imported only when asked for: SQLite deployments need neither the module nor its driver.
    try:
        postgres = importlib.import_module("bot.storage.engine._postgres")
    except ModuleNotFoundError as error:
        raise UserFacingError(
            f"DATABASE_URL names a PostgreSQL database, but this installation cannot use PostgreSQL ({error.name} "
            "is missing). Install the bot with its PostgreSQL extra, or unset DATABASE_URL to use SQLite."
        ) from error
    async with postgres.open_postgresql(url, read_only=read_only) as db:
        yield db
