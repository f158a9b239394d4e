"""pytest fixtures for a real PostgreSQL server (see tests/postgres.py); registered in tests/conftest.py.

The server starts the first time a test asks for it, once per session (per worker under pytest-xdist), and is
removed at the end of the session. Under CI (``CI`` set) a missing PostgreSQL fails the test that needs it; locally
that test is skipped.

Two kinds of database:
- ``postgres_dsn``: an empty database of the test's own (for tests of the migrations themselves, and of what an
  empty server looks like);
- ``migrated_postgres_dsn``: a database with every migration applied and no rows, which is what almost every test
  wants. The migrations run once per session, into a template; each test module gets a copy of it
  (``CREATE DATABASE ... TEMPLATE``), emptied between its tests, and copied afresh if a test changed its schema.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest

from tests.postgres import (
    INSTALL_HINT,
    MigratedTemplate,
    ModuleDatabase,
    PostgresServer,
    find_postgres_bindir,
    running_postgres,
    unique_database_name,
)


def require_postgres() -> None:
    """Fail (CI) or skip the test when PostgreSQL's server programs are not installed."""
    if find_postgres_bindir() is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    require_postgres()
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> Iterator[str]:
    """The DSN of a fresh, empty database of this test's own, dropped afterwards."""
    if not postgres_server.running:  # a test that stopped the server must not break the next one
        postgres_server.start()
    name = unique_database_name()
    dsn = postgres_server.create_database(name)
    yield dsn
    if not postgres_server.running:
        postgres_server.start()
    postgres_server.drop_database(name)


def _migrate(dsn: str) -> None:
    """Open (and so migrate) the database at ``dsn`` with the bot's engine, in a thread of its own: a fixture may be
    set up while an event loop runs in this one."""
    from bot.storage.engine import open_database

    async def migrate() -> None:
        async with open_database(dsn):
            pass

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(migrate())
        except BaseException as error:  # handed to the fixture
            failure.append(error)

    thread = threading.Thread(target=run, name="migrate-template")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> MigratedTemplate:
    """A database with every migration applied, frozen as a template (built once per session)."""
    if not postgres_server.running:
        postgres_server.start()
    template = MigratedTemplate(postgres_server, "template_" + unique_database_name())
    template.build(_migrate)
    return template


@pytest.fixture(scope="module")
def _module_postgres_database(postgres_template: MigratedTemplate) -> Iterator[ModuleDatabase]:
    database = ModuleDatabase(postgres_template)
    yield database
    database.drop()


@pytest.fixture
def migrated_postgres_dsn(_module_postgres_database: ModuleDatabase) -> str:
    """The DSN of a migrated database holding no rows, this module's (emptied before each test)."""
    return _module_postgres_database.fresh()
