"""Shared fixtures. Storage tests use a real database of each engine: a SQLite file in a temporary folder (and, once
the ``postgres`` branch adds it, a PostgreSQL database of the tests' own server)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.domain.parsers import parse_programme_toml
from bot.domain.programme import Programme
from bot.storage.engine import Database, Engine, open_database

if TYPE_CHECKING:
    from bot.client import WorkshopBot
    from tests.fakediscord import FakeDiscord
    from tests.harness import BotRunner, FakeClock

pytest_plugins = ["tests.fakediscord.pytest_plugin", "tests.fakeslack.pytest_plugin", "tests.postgres_fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
PROGRAMME_TOML = REPO_ROOT / "data" / "programme.toml"
# The published listing, kept verbatim beside the programme (a copy of shared/seed/workshops-2020.txt).
SEED_LISTING = REPO_ROOT / "data" / "workshops-2020.txt"
GUILD_ID = 100000000000000001


@pytest.fixture
def programme() -> Programme:
    return parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))


# The engines the ``db`` fixture runs each test against. A test that holds only for SQLite (its PRAGMAs, files,
# process lock or backup API) is marked ``@pytest.mark.sqlite_only("why")`` and runs on SQLite alone.
ENGINES: tuple[Engine, ...] = ("sqlite", "postgresql")
# Where ``db`` runs on every engine; elsewhere (services, cogs) on SQLite only: both would double the suite's time.
EVERY_ENGINE_UNDER = ("tests/storage/",)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test holds for the SQLite engine only (files, PRAGMAs, locks, backup)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db" not in metafunc.fixturenames:
        return
    path = Path(str(metafunc.definition.path)).relative_to(REPO_ROOT).as_posix()
    engines = ENGINES if path.startswith(EVERY_ENGINE_UNDER) else ENGINES[:1]
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        engines = ("sqlite",)  # not generated for the other engines at all: a skip in CI would look like a gap
    metafunc.parametrize("db", engines, indirect=True)


@asynccontextmanager
async def open_test_database(engine: Engine, tmp_path: Path, *, dsn: str | None = None) -> AsyncIterator[Database]:
    """A new, migrated, empty database of ``engine`` for one test (PostgreSQL: at ``dsn``, an empty database)."""
    if engine == "sqlite":
        async with open_database(tmp_path / "bot.sqlite3") as database:
            yield database
    else:
        assert dsn is not None, "a PostgreSQL test database needs the postgres_dsn fixture"
        async with open_database(dsn) as database:
            yield database


@pytest.fixture
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    engine: Engine = getattr(request, "param", "sqlite")
    dsn = None
    if engine != "sqlite":
        marker = request.node.get_closest_marker("sqlite_only")
        if marker is not None:
            pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'not for ' + engine}")
        dsn = request.getfixturevalue("postgres_dsn")
    async with open_test_database(engine, tmp_path, dsn=dsn) as database:
        yield database


def integrity_errors() -> tuple[type[Exception], ...]:
    """What each engine's driver raises for a broken constraint (unique, foreign key, check)."""
    errors: list[type[Exception]] = [sqlite3.IntegrityError]
    try:
        import asyncpg
    except ImportError:
        pass
    else:
        errors.append(asyncpg.IntegrityConstraintViolationError)
    return tuple(errors)


@pytest.fixture
def clock() -> FakeClock:
    from tests.harness import FakeClock as Clock

    return Clock()


@pytest.fixture
def bot_runner(fake_discord: FakeDiscord, tmp_path: Path, clock: FakeClock) -> BotRunner:
    from tests.harness import BotRunner as Runner

    return Runner(fake_discord, tmp_path / "bot.sqlite3", clock)


@pytest.fixture
async def bot(bot_runner: BotRunner) -> AsyncIterator[WorkshopBot]:
    """The bot, started and connected to the local Discord, with the seed programme imported."""
    async with bot_runner.running() as running:
        yield running


@pytest.fixture(autouse=True)
def no_bot_process_left_behind() -> Iterator[None]:
    """A test that fails half-way must not leave a bot process running (and holding its port or lock)."""
    yield
    from tests.process import kill_leftovers

    kill_leftovers()
