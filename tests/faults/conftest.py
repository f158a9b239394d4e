"""The fault tests run the bot as a real process on each engine: SQLite, and PostgreSQL (a database of the tests'
own server, passed to the bot as DATABASE_URL)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings for BotProcess: none for SQLite (DATABASE_PATH in the test's folder), DATABASE_URL for PostgreSQL."""
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("migrated_postgres_dsn")}
