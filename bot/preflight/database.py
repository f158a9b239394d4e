"""The database's part of the preflight check, the same whichever platforms the bot serves: its schema and the
erasure key.

The check opens the database read-only (``open_database(read_only=True)``): it never creates, migrates or writes
it. Its schema version says what the bot's next start will do: nothing (up to date), upgrade it (the migrations
it will apply), or refuse it (a newer version's). Only a database at this code's own version has its tables read
(the settings, the programme, the reminders, the erasure key): the queries are this version's, and an older or
newer schema is said to be not read, with a note, rather than misread.

A damaged or missing erasure key stops the bot at start (bot/storage/erasures.py); the check says so before
then, with the fix (the key is created by the bot's first start, never here).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.preflight import Finding, Status
from bot.storage.database_url import redact_url
from bot.storage.engine import Database, SchemaState, open_database, schema_state
from bot.storage.erasures import ErasureKeyError, ErasureRecords

ERASURE_KEY_TOPIC = "erasure key"
DATABASE_TOPIC = "database"
CONTENTS_TOPIC = "database contents"


@dataclass(frozen=True, slots=True)
class DatabaseLook:
    """What the check learnt of the database before reading the server's settings from it."""

    db: Database | None  # open read-only at this code's schema; None: there is none yet, or its tables are not read
    findings: list[Finding] = field(default_factory=list)  # its schema and its erasure key, or why they were not read
    exists: bool = True  # False: not created yet (the bot's first start creates it)


@asynccontextmanager
async def looked_at(database_path: Path | str) -> AsyncIterator[DatabaseLook]:
    """Open the database read-only and judge its schema; ``db`` is given only where this code can read its tables.

    A SQLite file that is not there, or a PostgreSQL database without the bot's tables, is one the bot creates on
    its first start: the check creates none.
    """
    if isinstance(database_path, Path) and not await asyncio.to_thread(database_path.is_file):
        yield DatabaseLook(None, [_no_database(database_path), await erasure_key_finding(None)], exists=False)
        return
    async with open_database(database_path, read_only=True) as db:
        state = await schema_state(db)
        where = str(database_path) if isinstance(database_path, Path) else redact_url(database_path)
        if state.version == 0:
            yield DatabaseLook(None, [_no_tables(where), await erasure_key_finding(None)], exists=False)
        elif state.current:
            yield DatabaseLook(db, [schema_finding(state, db.engine), await erasure_key_finding(db)])
        else:
            yield DatabaseLook(None, [schema_finding(state, db.engine), _contents_not_read(state)])


def schema_finding(state: SchemaState, engine: str) -> Finding:
    """Up to date; to be upgraded by the next start (which migrations); or a newer version's (the start refuses)."""
    if state.newer:
        return Finding(
            Status.PROBLEM,
            DATABASE_TOPIC,
            f"version {state.version} is newer than this bot's {state.latest}: run the newer version.",
            "run the version of the bot that last used this database (this one refuses to start on it), or restore "
            "a backup made by this version.",
        )
    if state.current:
        return Finding(Status.OK, DATABASE_TOPIC, f"schema version {state.version}, up to date.")
    backup = "`python -m bot backup FILE`" if engine == "sqlite" else "pg_dump"
    return Finding(
        Status.WARNING,
        DATABASE_TOPIC,
        f"at version {state.version}, the bot will upgrade it to {state.latest} on its next start "
        f"(migrations: {', '.join(state.pending)}); the check changed nothing.",
        f"back the database up ({backup}) before that start: the version before cannot run on an upgraded one.",
    )


def _contents_not_read(state: SchemaState) -> Finding:
    later = "after that start" if not state.newer else "with the newer version"
    return Finding(
        Status.WARNING,
        CONTENTS_TOPIC,
        f"not read: this bot reads only schema version {state.latest}, so the settings chosen in setup, the "
        f"programme, the reminders and the erasure key were not checked (only the settings in .env were).",
        f"run check again {later}.",
    )


def _no_database(path: Path) -> Finding:
    return Finding(
        Status.WARNING,
        DATABASE_TOPIC,
        f"none at {path} yet (the bot creates it on its first start), so only the settings in .env were checked.",
        "start the bot once; if it has run before, check DATABASE_PATH or --db.",
    )


def _no_tables(where: str) -> Finding:
    return Finding(
        Status.WARNING,
        DATABASE_TOPIC,
        f"no tables in {where} yet (the bot creates them on its first start), so only the settings in .env were "
        "checked.",
        "start the bot once; if it has run before, check DATABASE_URL.",
    )


async def erasure_key_finding(db: Database | None) -> Finding:
    """OK when the key is present and valid, or not created yet (``db`` None: there is no database yet);
    a problem, with its fix, where the start would stop."""
    if db is None:
        return _not_created(0)
    try:
        state = await ErasureRecords(db).inspect()
    except ErasureKeyError as error:
        return Finding(
            Status.PROBLEM,
            ERASURE_KEY_TOPIC,
            f"{error.problem} The bot does not start until it is put right.",
            error.fix,
        )
    if state.created:
        return Finding(Status.OK, ERASURE_KEY_TOPIC, "present and valid.")
    return _not_created(state.to_convert)


def _not_created(to_convert: int) -> Finding:
    text = "not created yet: the bot creates it on its first start"
    if to_convert:
        records = "record" if to_convert == 1 else "records"
        text += f", and then keys the {to_convert} erasure {records} the upgrade carried over"
    return Finding(Status.OK, ERASURE_KEY_TOPIC, f"{text}.")
