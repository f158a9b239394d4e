"""Shared fixtures. Storage tests use a real SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.parsers import parse_programme_toml
from bot.domain.programme import Programme
from bot.storage.database import Database

REPO_ROOT = Path(__file__).resolve().parents[1]
PROGRAMME_TOML = REPO_ROOT / "data" / "programme.toml"
# The published listing, kept verbatim beside the programme (a copy of shared/seed/workshops-2020.txt).
SEED_LISTING = REPO_ROOT / "data" / "workshops-2020.txt"
GUILD_ID = 100000000000000001


@pytest.fixture
def programme() -> Programme:
    return parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database.open(tmp_path / "bot.sqlite3") as database:
        yield database
