"""Running the real Slack front end, in this process, against the local Slack and a real database.

``SlackRunner.running()`` starts the bot as ``python -m bot run`` does with Slack tokens: the front end built,
the core built with its adapters, the front end attached (auth.test, the workspace as a community, the
listeners, Socket Mode), then the core started; members then act only through the fake's driver, as Slack
would deliver their actions. Entering again is a restart over the same database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.config import Secret, Settings
from bot.core import PlatformAdapters, build_core
from bot.domain.parsers import parse_programme_file
from bot.domain.platform_ids import SLACK, int_to_slack_id, slack_id_to_int
from bot.slack_client import SlackFrontEnd
from bot.storage.database import Database
from tests.conftest import PROGRAMME_TOML
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import FakeClock

COMMUNITY_ID = slack_id_to_int(TEAM_ID)


class _Files:
    """Files to a member's DM, as the file adapter delivers them: recorded here, uploaded to the fake's DM."""

    def __init__(self, fake: FakeSlack, client: Any) -> None:
        self.fake = fake
        self.client = client
        self.sent: list[tuple[str, str, bytes]] = []  # (user, file name, content)

    async def send_file(self, user_id: int, path: Path, *, title: str, comment: str | None = None) -> str:
        user = int_to_slack_id(user_id)
        self.sent.append((user, path.name, path.read_bytes()))
        response = await self.client.files_upload_v2(
            channel=(await self.client.conversations_open(users=user))["channel"]["id"],
            content=path.read_bytes(),
            filename=path.name,
            title=title,
            initial_comment=comment,
        )
        return str((response.get("file") or {}).get("id", ""))


async def _no_names(community_id: int, user_ids: Any) -> dict[int, str]:
    return {}


def inert_adapters() -> PlatformAdapters:
    """The core's Slack ports for journeys that never reach them (reminders, threads and notices are tested with
    the real adapters in tests/slack/test_delivery* and test_threads*)."""
    inert: Any = SimpleNamespace(display_names=_no_names)
    return PlatformAdapters(threads=inert, reminders=inert, names=inert, retention=inert, welcome=inert, events=None)


@dataclasses.dataclass
class SlackRunner:
    fake: FakeSlack
    database_path: Path
    clock: FakeClock
    monkeypatch: pytest.MonkeyPatch
    files: _Files | None = None

    @asynccontextmanager
    async def running(self, *, programme: bool = True) -> AsyncIterator[SlackFrontEnd]:
        settings = Settings(
            database_path=self.database_path,
            programme_file=PROGRAMME_TOML,
            slack_bot_token=Secret(self.fake.bot_token),
            slack_app_token=Secret(self.fake.app_token),
            slack_api_url=self.fake.api_url,
        )
        self.monkeypatch.setattr("bot.slack_client._build_adapters", lambda client, clock: inert_adapters())
        async with Database.open(self.database_path, exclusive=True) as db:
            front = SlackFrontEnd(settings, clock=self.clock)
            core = build_core(settings, db, adapters={SLACK: front.adapters}, clock=self.clock)
            services = core.services
            if programme and await services.programme.get(COMMUNITY_ID) is None:
                parsed = parse_programme_file(
                    PROGRAMME_TOML.read_bytes(), filename=PROGRAMME_TOML.name, default_timezone=settings.timezone
                )
                await services.programme.import_programme(COMMUNITY_ID, parsed)
            self.files = _Files(self.fake, front.client)
            front._files = self.files
            await front.start(core)
            await core.start()
            try:
                await self.fake.wait_for_connects(1)
                yield front
            finally:
                await front.close()
                await core.close()
