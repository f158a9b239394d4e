"""The numbered migrations of each engine, and the rules they keep.

``bot/storage/migrations/NNNN_name.sql`` are SQLite's, ``bot/storage/migrations/postgresql/NNNN_name.sql``
PostgreSQL's. Each list runs 1..N without gaps, and once PostgreSQL has any, both lists have the same numbers:
a schema change is written for both engines or for neither. The engine supplies how the version is stored
(``MigrationTarget``); the runner decides what to apply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Protocol

from bot.domain.errors import UserFacingError
from bot.storage.engine._api import Engine

log = logging.getLogger(__name__)

_FOLDERS: dict[Engine, tuple[str, ...]] = {"sqlite": ("migrations",), "postgresql": ("migrations", "postgresql")}


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    sql: str


class MigrationError(RuntimeError):
    """The migration files break the numbering rules: a mistake in the code, not in the deployment."""


class MigrationTarget(Protocol):
    """What the runner needs from an engine."""

    async def schema_version(self) -> int: ...

    async def apply_migration(self, migration: Migration) -> None:
        """Apply the migration's SQL and record its number as the version, together or not at all."""
        ...


def _folder(engine: Engine) -> Traversable:
    folder = resources.files("bot.storage")
    for part in _FOLDERS[engine]:
        folder = folder.joinpath(part)
    return folder


def _found(engine: Engine) -> list[Migration]:
    folder = _folder(engine)
    if not folder.is_dir():
        return []
    found = [
        Migration(int(entry.name[:4]), entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql") and entry.name[:4].isdigit()
    ]
    return sorted(found, key=lambda m: m.number)


def check_numbering(found: Mapping[Engine, Sequence[int]]) -> None:
    """Each engine's numbers are 1..N without gaps or repeats, and every engine that has migrations has the
    same numbers. Raises MigrationError naming what is wrong."""
    for engine, numbers in found.items():
        if list(numbers) != list(range(1, len(numbers) + 1)):
            raise MigrationError(f"{engine} migrations must be numbered 1..N without gaps, found {list(numbers)}")
    present = {engine: list(numbers) for engine, numbers in found.items() if numbers}
    if len({tuple(numbers) for numbers in present.values()}) > 1:
        listed = "; ".join(f"{engine}: 1..{len(numbers)}" for engine, numbers in present.items())
        raise MigrationError(f"every engine must have the same migrations ({listed})")


def migrations(engine: Engine) -> list[Migration]:
    """The engine's migrations in order, after checking the rules across both engines."""
    found = {name: _found(name) for name in _FOLDERS}
    check_numbering({name: [m.number for m in listed] for name, listed in found.items()})
    return found[engine]


async def run_migrations(target: MigrationTarget, known: Sequence[Migration], *, where: str) -> int:
    """Apply every migration newer than the target's version, each on its own; returns the new version.

    A database from a newer version of the bot is refused rather than touched.
    """
    current = await target.schema_version()
    latest = len(known)
    if current > latest:
        raise UserFacingError(
            f"the database {where} is from a newer version of the bot "
            f"(schema {current}, this version knows {latest}); upgrade the bot"
        )
    for migration in known:
        if migration.number <= current:
            continue
        log.info("applying migration %s", migration.name)
        await target.apply_migration(migration)
    return await target.schema_version()


@dataclass(frozen=True, slots=True)
class SchemaState:
    """A database's schema version against this code's migrations: what the bot's next start would do with it."""

    version: int  # the database's (0: no tables yet)
    latest: int  # this code's
    pending: tuple[str, ...]  # the migrations the next start applies, by name ("0014_erasure_pseudonyms"), in order

    @property
    def current(self) -> bool:
        return self.version == self.latest

    @property
    def newer(self) -> bool:
        """From a newer version of the bot: the start refuses it, untouched."""
        return self.version > self.latest


def schema_state(engine: Engine, version: int) -> SchemaState:
    """``version`` (a database's) against the engine's migrations."""
    known = migrations(engine)
    pending = tuple(m.name.removesuffix(".sql") for m in known if m.number > version)
    return SchemaState(version, len(known), pending)
