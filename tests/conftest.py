"""Shared fixtures. Storage tests use a real SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.domain.parsers import parse_programme_toml
from bot.domain.programme import Programme
from bot.storage.database import Database

if TYPE_CHECKING:
    from bot.client import WorkshopBot
    from tests.fakediscord import FakeDiscord
    from tests.harness import BotRunner, FakeClock

pytest_plugins = ["tests.fakediscord.pytest_plugin", "tests.postgres_fixtures"]

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
