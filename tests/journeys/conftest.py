"""Journeys written once and run on both platforms: ``journey`` is the same member on Discord, then on Slack
(only that platform's bot is started). The Slack fixtures sit beside Discord's (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.client import WorkshopBot
from tests.fakediscord import FakeDiscord
from tests.fakeslack import FakeSlack
from tests.journeys.drivers import DiscordJourney, Journey, SlackJourney
from tests.slack.fixtures import fake_slack, slack_runner
from tests.slack.harness import SlackRunner

__all__ = ["discord_journey", "fake_slack", "journey", "slack_journey", "slack_runner"]


@pytest.fixture
def discord_journey(bot: WorkshopBot, fake_discord: FakeDiscord) -> Journey:
    return DiscordJourney(fake_discord)  # the bot, started against the local Discord


@pytest.fixture
async def slack_journey(slack_runner: SlackRunner, fake_slack: FakeSlack) -> AsyncIterator[Journey]:
    async with slack_runner.running():  # the Slack front end, connected to the local Slack
        yield SlackJourney(fake_slack)


@pytest.fixture(params=["discord", "slack"])
def journey(request: pytest.FixtureRequest) -> Journey:
    """The same member, on each platform in turn."""
    return request.getfixturevalue(f"{request.param}_journey")  # type: ignore[no-any-return]
