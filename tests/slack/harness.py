"""Running the real Slack front end, in this process, against the local Slack and a real database.

``SlackRunner.running()`` builds the core's services over the test's database, starts ``SlackFrontEnd`` against
the fake (auth.test, the workspace as a community, the listeners, Socket Mode) and yields it once connected;
members then act only through the fake's driver, as Slack would deliver their actions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.parsers import parse_programme_file
from bot.domain.platform_ids import int_to_slack_id, slack_id_to_int
from bot.slack_client import SlackFrontEnd
from bot.storage.database import Database
from tests.conftest import PROGRAMME_TOML
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import FakeClock

COMMUNITY_ID = slack_id_to_int(TEAM_ID)


class _Files:
    """Files to a member's DM, as the file adapter delivers them: recorded here, posted to the fake's DM."""

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


class _Settings:
    """The settings with the Slack fields the front end reads (the core's Settings grows them)."""

    def __init__(self, base: Settings, **slack: Any) -> None:
        self._base = base
        self.__dict__.update(slack)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


async def _no_names(community_id: int, user_ids: Any) -> dict[int, str]:
    return {}


def _services(settings: Settings, db: Database, clock: FakeClock) -> Any:
    """The core's services, as the composition root builds them (ports the member journeys never reach are
    inert)."""
    from bot.client import DiscordAdapters, WorkshopBot

    inert: Any = SimpleNamespace(display_names=_no_names)
    adapters = DiscordAdapters(
        threads=inert, reminders=inert, names=inert, retention=inert, events=inert, welcome=inert
    )
    root: Any = SimpleNamespace(
        settings=settings,
        db=db,
        clock=clock,
        owns_community=lambda community_id: True,
        scheduler=SimpleNamespace(add_job=lambda *a, **k: None),
        reminder_sweep_interval=3600.0,
    )
    return WorkshopBot._build_services(root, adapters)


@dataclasses.dataclass
class SlackRunner:
    fake: FakeSlack
    database_path: Path
    clock: FakeClock
    monkeypatch: pytest.MonkeyPatch
    files: _Files | None = None

    @asynccontextmanager
    async def running(self, *, programme: bool = True) -> AsyncIterator[SlackFrontEnd]:
        base = Settings(database_path=self.database_path, programme_file=PROGRAMME_TOML)
        settings: Any = _Settings(
            base,
            slack_bot_token=self.fake.bot_token,
            slack_app_token=self.fake.app_token,
            slack_api_url=self.fake.api_url,
        )
        async with Database.open(self.database_path, exclusive=True) as db:
            services = _services(base, db, self.clock)
            if programme and await services.programme.get(COMMUNITY_ID) is None:
                parsed = parse_programme_file(
                    PROGRAMME_TOML.read_bytes(), filename=PROGRAMME_TOML.name, default_timezone=base.timezone
                )
                await services.programme.import_programme(COMMUNITY_ID, parsed)
            self.monkeypatch.setattr("bot.slack_client._build_adapters", lambda client, clock: SimpleNamespace())
            front = SlackFrontEnd(settings, clock=self.clock)
            self.files = _Files(self.fake, front.client)
            front._files = self.files
            await front.start(SimpleNamespace(services=services))
            try:
                await self.fake.wait_for_connects(1)
                yield front
            finally:
                await front.close()
