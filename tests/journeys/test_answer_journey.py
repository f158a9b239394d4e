"""A member answers a prompt, is refused a blank answer, changes the answer and finds it in their data: the
same journey, written once, on Discord and on Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.client import WorkshopBot
from tests.fakediscord import FakeDiscord
from tests.fakeslack import FakeSlack
from tests.journeys.drivers import DiscordJourney, Journey, SlackJourney
from tests.slack.harness import SlackRunner

HOSTILE = "Start with <@everyone> & @here <!channel> friends"


@pytest.fixture
def discord_journey(bot: WorkshopBot, fake_discord: FakeDiscord) -> Journey:
    return DiscordJourney(fake_discord)  # the bot, started against the local Discord


@pytest.fixture
async def slack_journey(slack_runner: SlackRunner, fake_slack: FakeSlack) -> AsyncIterator[Journey]:
    async with slack_runner.running():  # the Slack front end, connected to the local Slack
        yield SlackJourney(fake_slack)


@pytest.fixture(params=["discord", "slack"])
def journey(request: pytest.FixtureRequest) -> Journey:
    """The same member, on each platform in turn (only that platform's bot is started)."""
    return request.getfixturevalue(f"{request.param}_journey")  # type: ignore[no-any-return]


async def test_a_member_answers_is_refused_a_blank_answer_edits_it_and_sees_it(journey: Journey) -> None:
    first = await journey.open_answer_form("alice", 8, 1)
    assert "Before your first answer, what we keep" in first.text
    assert "Week 8 · prompt 1 of 3" in first.text
    assert first.prefilled is None

    refused = await journey.send_answer("alice", "   \n ")
    assert "Your answer is empty" in refused
    assert "We hold no answers of yours." in await journey.my_data("alice")

    await journey.open_answer_form("alice", 8, 1)
    saved = await journey.send_answer("alice", HOSTILE)
    assert "Saved your answer to Week 8 · prompt 1 of 3" in saved
    assert "This was your first answer" in saved
    for ping in ("<@everyone>", "<!channel>"):
        assert ping not in saved  # shown, never pinging

    again = await journey.open_answer_form("alice", 8, 1)
    assert again.prefilled == HOSTILE
    assert "Before your first answer" not in again.text
    updated = await journey.send_answer("alice", "Second thoughts")
    assert "Updated your answer to Week 8 · prompt 1 of 3" in updated

    mine = await journey.my_data("alice")
    assert "Week 8 · prompt 1" in mine and "Second thoughts" in mine and "1 earlier version kept" in mine
