"""pytest fixtures for a real PostgreSQL server (see tests/postgres.py); registered in tests/conftest.py.

The server starts the first time a test asks for it, once per session, and is removed at the end of the session.
Under CI (``CI`` set) a missing PostgreSQL fails the test that needs it; locally that test is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.postgres import INSTALL_HINT, PostgresServer, find_postgres_bindir, running_postgres, unique_database_name


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
