"""Copying a SQLite database into an empty PostgreSQL database, checked row for row.

The target is migrated to the same schema version as the source first (the source too: both end at this bot's
latest), and must then be empty. Every table is copied in foreign-key order inside ONE transaction on the target,
the identity sequences are moved past the copied ids, and every table is compared with its source, row for row
in primary-key order, before that transaction commits. Any difference rolls everything back: the target is left
as empty as it was, and the error names the table.

The source is opened with the bot's process lock (a running bot is refused, so nothing changes it meanwhile) and
read through the engine interface, like any other repository.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bot.domain.errors import UserFacingError
from bot.storage.database_url import check_postgresql_url, redact_url
from bot.storage.engine import Database, open_database
from bot.storage.engine._postgres import WRITE_LOCK_KEY, translate
from bot.storage.erasures import ErasureRecords

log = logging.getLogger(__name__)

BATCH = 5000
_NOT_COPIED = {"schema_version"}  # the target's own bookkeeping, written by its migrations


class CopyRefusedError(UserFacingError):
    """The copy was not started (or was rolled back): the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class TableCopied:
    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class CopyReport:
    schema_version: int
    tables: tuple[TableCopied, ...]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key, or every column for a table without one
    text_key: frozenset[str]  # key columns compared as text: ordered byte-wise (COLLATE "C") like SQLite
    identities: tuple[str, ...]


async def copy_sqlite_to_postgres(source: Path, target_url: str) -> CopyReport:
    """Copy ``source`` into the empty PostgreSQL database at ``target_url``; see the module's docstring."""
    try:
        check_postgresql_url(target_url)
    except ValueError as error:
        raise CopyRefusedError(str(error)) from None
    if not await asyncio.to_thread(source.is_file):
        raise CopyRefusedError(f"no SQLite database at {source}: check --from (or DATABASE_PATH)")
    shown = redact_url(target_url)
    # Both opened (and so migrated to this bot's latest schema) through the engine, and kept open to the end: the
    # source exclusively, so that no bot process writes to it while it is copied.
    async with open_database(source, exclusive=True) as source_db, open_database(target_url) as target_db:
        source_version, target_version = await source_db.schema_version(), await target_db.schema_version()
        if source_version != target_version:
            raise CopyRefusedError(
                f"{source} is at schema {source_version} but {shown} at {target_version}: upgrade the older one"
            )
        # The erasure records the upgrade carried over are keyed first, as the bot's first start would: the copy
        # then takes the keyed records and their key (bot_state), never a member id. A damaged key stops it here.
        await ErasureRecords(source_db).prepare()
        copied = await _copy_checked(source_db, source, target_url, shown)
    log.info("copied %d rows in %d tables into %s", sum(t.rows for t in copied), len(copied), shown)
    return CopyReport(target_version, copied)


async def _copy_checked(source_db: Database, source: Path, target_url: str, shown: str) -> tuple[TableCopied, ...]:
    raw = await asyncpg.connect(target_url)
    try:
        tables = await _tables_in_key_order(raw)
        await _check_same_tables(source_db, tables, source)
        async with raw.transaction():
            await raw.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            await _refuse_unless_empty(raw, tables, shown)
            copied = tuple([TableCopied(t.name, await _copy_table(source_db, raw, t)) for t in tables])
            for table in tables:
                await _move_identities_on(raw, table)
            for table in tables:
                await _check_table(source_db, raw, table)
    finally:
        await raw.close()
    return copied


# --- the schema ----------------------------------------------------------------------------------------------


async def _tables_in_key_order(raw: asyncpg.Connection) -> list[_Table]:
    """The target's tables, each after every table its foreign keys point at."""
    names = [
        row["relname"]
        for row in await raw.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
            "ORDER BY relname"
        )
        if row["relname"] not in _NOT_COPIED
    ]
    references: dict[str, set[str]] = {name: set() for name in names}
    for row in await raw.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        if row["child"] != row["parent"]:
            references[row["child"]].add(row["parent"])
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and references[n] <= set(ordered)]
        if not ready:
            raise CopyRefusedError("the foreign keys between the tables form a cycle; the copy cannot order them")
        ordered += ready
    return [await _describe(raw, name) for name in ordered]


async def _describe(raw: asyncpg.Connection, name: str) -> _Table:
    columns = await raw.fetch(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        name,
    )
    key = [
        row["attname"]
        for row in await raw.fetch(
            "SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON TRUE "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n",
            name,
        )
    ]
    names = tuple(row["column_name"] for row in columns)
    texts = {row["column_name"] for row in columns if row["data_type"] == "text"}
    chosen = tuple(key) or names
    return _Table(
        name=name,
        columns=names,
        key=chosen,
        text_key=frozenset(c for c in chosen if c in texts),
        identities=tuple(row["column_name"] for row in columns if row["is_identity"] == "YES"),
    )


async def _check_same_tables(source_db: Database, tables: Sequence[_Table], source: Path) -> None:
    """The same tables on both sides (the columns are then the same too: both are at one schema version, and
    tests/storage/test_postgres_migrations.py holds the two schemas equal)."""
    found = {
        row[0]
        for row in await source_db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    expected = {t.name for t in tables}
    if found != expected:
        differ = ", ".join(sorted(found ^ expected))
        raise CopyRefusedError(f"{source} and the target do not have the same tables ({differ})")


async def _refuse_unless_empty(raw: asyncpg.Connection, tables: Sequence[_Table], shown: str) -> None:
    for table in tables:
        if await raw.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_quote(table.name)})"):
            raise CopyRefusedError(
                f"{shown} is not empty (table {table.name} has rows): copy only into a new, empty database, so that "
                "nothing in it is overwritten or mixed with the copy"
            )


# --- copying and checking -----------------------------------------------------------------------------------


def _select(table: _Table, *, postgres: bool) -> str:
    columns = ", ".join(_quote(c) for c in table.columns)

    def order(column: str) -> str:
        # SQLite compares text byte-wise (BINARY); PostgreSQL's database collation may not, "C" does.
        return f'{_quote(column)} COLLATE "C"' if postgres and column in table.text_key else _quote(column)

    return f"SELECT {columns} FROM {_quote(table.name)} ORDER BY {', '.join(order(c) for c in table.key)}"


async def _source_rows(source_db: Database, table: _Table) -> AsyncIterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    async for row in source_db.iterate(_select(table, postgres=False), batch=BATCH):
        batch.append(tuple(row))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _copy_table(source_db: Database, raw: asyncpg.Connection, table: _Table) -> int:
    copied = 0
    async for rows in _source_rows(source_db, table):
        await raw.copy_records_to_table(table.name, records=rows, columns=list(table.columns))
        copied += len(rows)
    return copied


async def _move_identities_on(raw: asyncpg.Connection, table: _Table) -> None:
    """Each identity's next value past the largest copied id (or 1 for an empty table), or the bot's next INSERT
    would collide with a copied row."""
    for column in table.identities:
        await raw.execute(
            translate(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({_quote(column)}), 1), "
                f"MAX({_quote(column)}) IS NOT NULL) FROM {_quote(table.name)}"
            ),
            table.name,
            column,
        )


async def _check_table(source_db: Database, raw: asyncpg.Connection, table: _Table) -> None:
    """The same rows, in the same primary-key order; CopyRefusedError naming the table at the first difference."""
    source_count = await source_db.fetchval(f"SELECT COUNT(*) FROM {_quote(table.name)}")
    target_count = await raw.fetchval(f"SELECT COUNT(*) FROM {_quote(table.name)}")
    if source_count != target_count:
        raise _differs(table, f"{source_count} rows in SQLite, {target_count} in PostgreSQL")
    cursor = await raw.cursor(_select(table, postgres=True))
    number = 0
    async for rows in _source_rows(source_db, table):
        copies = await cursor.fetch(len(rows))
        for row, copy in zip(rows, copies, strict=False):
            number += 1
            if row != tuple(copy):
                raise _differs(table, f"row {number} in primary-key order is not the same")
        if len(copies) != len(rows):
            raise _differs(table, "PostgreSQL has fewer rows")


def _differs(table: _Table, what: str) -> CopyRefusedError:
    return CopyRefusedError(
        f"the copy of table {table.name} differs from the SQLite database ({what}); nothing was copied "
        "(the PostgreSQL database is as empty as before)"
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
