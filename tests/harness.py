"""Running the real bot, in this process, against the local fake Discord and a real database.

``BotRunner.running()`` starts a WorkshopBot over the test's database file and waits until it is
connected (setup_hook has run: migrations, first import, command sync). Leaving the block closes it;
entering again is a restart over the same database, as after a crash or a deploy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.client import EXTENSIONS, WorkshopBot
from bot.config import Secret, Settings
from bot.storage.database import Database
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import GUILD_ID, FakeDiscord

# Between week 12 (19 October 2020) and week 8 (26 October), the programme's quirk.
DEFAULT_NOW = datetime(2020, 10, 20, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock a test moves by hand; the bot reads it wherever it needs 'now'."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def settings_for_tests(fake: FakeDiscord, database_path: Path, **overrides: Any) -> Settings:
    base = Settings(
        discord_token=Secret("fake-bot-token"),
        guild_id=GUILD_ID,
        database_path=database_path,
        programme_file=PROGRAMME_TOML,
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )
    return dataclasses.replace(base, **overrides)


@dataclasses.dataclass
class BotRunner:
    fake: FakeDiscord
    database_path: Path
    clock: FakeClock

    @asynccontextmanager
    async def running(
        self, *, extensions: Sequence[str] | None = None, force_sync: bool = False, **setting_overrides: Any
    ) -> AsyncIterator[WorkshopBot]:
        settings = settings_for_tests(self.fake, self.database_path, **setting_overrides)
        async with Database.open(self.database_path, exclusive=True) as db:
            bot = WorkshopBot(
                settings=settings, db=db, clock=self.clock, extensions=extensions or EXTENSIONS, force_sync=force_sync
            )
            async with self.fake.run_bot(bot) as running:
                assert running is bot
                yield bot


@asynccontextmanager
async def one_instance_per_shard(
    fake: FakeDiscord, db: Database, database_path: Path, clock: FakeClock, *, shard_count: int
) -> AsyncIterator[list[WorkshopBot]]:
    """One running WorkshopBot per shard over one database (in production: processes over one PostgreSQL);
    ``bots[n]`` runs shard ``n`` alone and serves every server on it."""
    bots = [
        WorkshopBot(
            settings=settings_for_tests(fake, database_path, guild_id=None, shard_count=shard_count, shard_ids=(n,)),
            db=db,
            clock=clock,
        )
        for n in range(shard_count)
    ]
    async with AsyncExitStack() as running:
        for bot in bots:
            await running.enter_async_context(fake.run_bot(bot, wait_on_ready=True))
        yield bots
