"""Running the real Slack front end, in this process, against the local Slack and a real database.

``SlackRunner.running()`` starts the bot as ``python -m bot run`` does with Slack tokens: the front end built
(with its real adapters, slack_app/_adapters), the core built with them, the front end attached (auth.test, the
workspace as a community, the listeners, Socket Mode), then the core started; members then act only through
the fake's driver, as Slack would deliver their actions. Entering again is a restart over the same database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.config import Secret, Settings
from bot.core import build_core
from bot.domain.parsers import parse_programme_file
from bot.domain.platform_ids import SLACK, slack_id_to_int
from bot.slack_client import SlackFrontEnd
from bot.storage.database import Database
from slack_app._adapters import SlackLimits
from tests.conftest import PROGRAMME_TOML
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import FakeClock

COMMUNITY_ID = slack_id_to_int(TEAM_ID)
# Slack's rates compressed 600 times (posting pace included): the journeys test what members see, the pacing is
# tested at its real rates in tests/slack/test_delivery*.
FAST = SlackLimits(scale=600)


def dm_files(fake: FakeSlack, user: str) -> list[tuple[str, bytes]]:
    """The files in the member's DM with the bot, oldest first: (name, content), as they would download them."""
    world = fake.world
    return [
        (world.files[file_id].filename, world.files[file_id].data or b"")
        for message in fake.dm_with(user)
        for file_id in message.files
    ]


@dataclasses.dataclass
class SlackRunner:
    fake: FakeSlack
    database_path: Path
    clock: FakeClock
    monkeypatch: pytest.MonkeyPatch

    @asynccontextmanager
    async def running(self, *, programme: bool = True) -> AsyncIterator[SlackFrontEnd]:
        settings = Settings(
            database_path=self.database_path,
            programme_file=PROGRAMME_TOML,
            slack_bot_token=Secret(self.fake.bot_token),
            slack_app_token=Secret(self.fake.app_token),
            slack_api_url=self.fake.api_url,
        )
        async with Database.open(self.database_path, exclusive=True) as db:
            front = SlackFrontEnd(settings, clock=self.clock, limits=FAST)
            core = build_core(settings, db, adapters={SLACK: front.adapters}, clock=self.clock)
            services = core.services
            if programme and await services.programme.get(COMMUNITY_ID) is None:
                parsed = parse_programme_file(
                    PROGRAMME_TOML.read_bytes(), filename=PROGRAMME_TOML.name, default_timezone=settings.timezone
                )
                await services.programme.import_programme(COMMUNITY_ID, parsed)
            await front.start(core)
            await core.start()
            try:
                await self.fake.wait_for_connects(1)
                yield front
            finally:
                await front.close()
                await core.close()
