"""A Slack workspace's reminders go to its own channels only (slack_app/_adapters/reminders.py), whatever its stored
settings say: the reminder is routed by the community it is for, never by its channel's id, and Slack's sender
refuses a channel that is not the workspace's own (another platform's id, which a copied database can hold, or a
channel ``conversations.info`` places in another workspace of the organisation). Nothing is posted there,
organisers see it in Health as a refused reminder channel, and the reminder is not marked sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import build_core
from bot.domain.platform_ids import slack_id_to_int
from bot.domain.programme import Programme, Session
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders import ChannelRefused, DeliveryRefused, OutgoingMessage, ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database, SqliteDatabase
from bot.storage.reminders import Delivery, DeliveryState, TargetKind
from slack_app._adapters import SlackReminderSender, SlackWeb, build_slack_adapters
from slack_app.organiser._setup import problem_lines
from tests.bot.test_core import Recorder, adapters
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import FakeClock
from tests.slack.delivery_fakes import (
    TEAM,
    FakeWebClient,
    local_slack,  # noqa: F401 - the fixture
)
from tests.slack.harness import FAST

H = timedelta(hours=1)
DISCORD_CHANNEL = 700000000000000001  # a Discord server's channel: another community, on the other platform
PROBLEM = "The bot cannot post reminders in the reminder channel: it is not one of this workspace's channels."
FIX = (
    "Choose one of this workspace's channels as the reminder channel in `/workshop setup`. "
    "The bot retries the reminder a few times."
)


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    async with SqliteDatabase.open(tmp_path / "bot.sqlite3") as db:
        yield db


def programme(clock: FakeClock) -> Programme:
    """A session starting in an hour and a half: its 1h reminder is due once the clock moves an hour."""
    start = clock() + 1.5 * H
    session = Session(
        week=1, title="Campaigning", start=start, end=start + 2 * H, location="Zoom", description="", prompts=("Q?",)
    )
    return Programme(title="Test", timezone="Europe/London", sessions=(session,))


def channel_posts(fake: FakeSlack) -> list[str]:
    """Every message the bot posted in a channel (DMs left out)."""
    world = fake.world
    return [m.text for c in world.channels.values() if not c.is_im for m in world.history(c) if m.bot_id]


def channel_delivery(deliveries: list[Delivery]) -> Delivery:
    [delivery] = [d for d in deliveries if d.target_kind is TargetKind.CHANNEL]
    return delivery


async def test_a_workspace_whose_stored_channel_is_a_discord_server_s_posts_nothing_there(
    sqlite: Database,
    local_slack: FakeSlack,  # noqa: F811
) -> None:
    """One process serving both platforms: the workspace's reminder is judged by Slack's sender (routed by the
    community, not the channel), which refuses the Discord channel; Discord is never asked to post it."""
    clock = FakeClock()
    discord = Recorder("discord")
    core = build_core(
        Settings(programme_file=Path("none.toml")),
        sqlite,
        adapters={
            "slack": build_slack_adapters(local_slack.web_client(), clock=clock, limits=FAST),
            "discord": adapters(discord),
        },
        clock=clock,
    )
    services = core.services
    workspace = slack_id_to_int(TEAM_ID)
    await ProgrammeService(sqlite, clock=clock).import_programme(workspace, programme(clock))
    # Stored as if by a database copied from elsewhere, or a bug: /workshop setup offers the workspace's channels.
    await services.settings.update(workspace, reminder_offsets=parse_offsets("1h"), reminder_channel_id=DISCORD_CHANNEL)
    clock.advance(H)

    await services.reminders.run_pass(workspace)

    assert discord.calls == []
    assert channel_posts(local_slack) == []
    delivery = channel_delivery(await services.reminders.repository.deliveries(workspace))
    assert delivery.state is DeliveryState.PENDING and delivery.message_id is None
    assert delivery.last_error == "it is not one of this workspace's channels"
    [problem] = services.problems.current(workspace)
    assert (problem.text, problem.fix) == (PROBLEM, FIX)
    [line] = problem_lines(services.problems.current(workspace))  # as /workshop setup's Health shows it
    assert "not one of this workspace's channels" in line and str(DISCORD_CHANNEL) not in line
    await core.close()


async def test_a_channel_of_another_workspace_of_the_organisation_gets_nothing_until_one_of_its_own_is_chosen(
    sqlite: Database,
) -> None:
    """An org-wide token sees the other workspaces' channels too (conversations.info's context_team_id says whose):
    the post would go through, so the sender refuses it first; once organisers choose their own, the retry posts."""
    clock = FakeClock()
    client = FakeWebClient()
    client.add_channel("C0THEIRS", name="their-reminders", context_team_id="T0OTHERWS")
    client.add_channel("C0OURS", name="reminders", context_team_id=TEAM)
    workspace = slack_id_to_int(TEAM)  # the workspace the fake's token is installed in (auth.test)
    problems = RuntimeProblems(clock)
    settings = ServerSettingsService(sqlite, ServerDefaults(reminder_offsets=parse_offsets("1h")), clock=clock)
    service = ReminderService(
        sqlite,
        ProgrammeService(sqlite, clock=clock),
        settings,
        community_ids=(workspace,),
        sender=SlackReminderSender(SlackWeb(client, limits=FAST)),  # type: ignore[arg-type]
        problems=problems,
        clock=clock,
    )
    await ProgrammeService(sqlite, clock=clock).import_programme(workspace, programme(clock))
    await settings.update(workspace, reminder_channel_id=slack_id_to_int("C0THEIRS"))
    clock.advance(H)

    await service.run_pass(workspace)

    assert client.calls_of("chat.postMessage") == []
    assert channel_delivery(await service.repository.deliveries(workspace)).state is DeliveryState.PENDING
    [problem] = problems.current(workspace)
    assert (problem.text, problem.fix) == (PROBLEM, FIX)

    await settings.update(workspace, reminder_channel_id=slack_id_to_int("C0OURS"))  # an organiser fixes it
    await service.run_pass(workspace)  # re-planned for the new channel: the old row is dropped
    [posted] = client.calls_of("chat.postMessage")
    assert posted["channel"] == "C0OURS"
    assert channel_delivery(await service.repository.deliveries(workspace)).state is DeliveryState.SENT
    await service.close()


async def test_another_community_s_reminder_is_not_this_workspace_s_to_send_or_look_for() -> None:
    """The sender speaks for the one workspace its token is installed in: another community's reminder (another
    workspace's, or a Discord server's) goes nowhere, not even to this workspace's own channel or members, and a
    look after a crash in a channel not the workspace's own reads nothing (the bot never posts there)."""
    client = FakeWebClient()
    client.add_channel("C0OURS", name="reminders", context_team_id=TEAM)
    client.add_channel("C0THEIRS", name="their-reminders", context_team_id="T0OTHERWS")
    sender = SlackReminderSender(SlackWeb(client, limits=FAST))  # type: ignore[arg-type]
    ours, theirs = slack_id_to_int("C0OURS"), slack_id_to_int("C0THEIRS")
    workspace = slack_id_to_int(TEAM)
    for other in (slack_id_to_int("T0OTHERWS"), 41771983423143937):  # another workspace, a Discord server
        message = OutgoingMessage(content="Reminder", community_id=other)
        with pytest.raises(ChannelRefused) as refused:
            await sender.send_to_channel(ours, message, nonce="n")
        assert refused.value.foreign
        with pytest.raises(DeliveryRefused, match="not one of this workspace's"):
            await sender.send_to_member(slack_id_to_int("U0MEMBER1"), message, nonce="n")
    with pytest.raises(DeliveryRefused, match="not one of this workspace's"):  # a Discord member's id
        await sender.send_to_member(41771983423143937, OutgoingMessage(content="x", community_id=workspace), nonce="n")
    with pytest.raises(DeliveryRefused):
        await sender.find_in_dms(41771983423143937, community_id=workspace, nonce="n", digest="-", after=None)
    for foreign in (theirs, DISCORD_CHANNEL):
        assert await sender.find_in_channel(foreign, community_id=workspace, nonce="n", digest="-", after=None) is None
    assert client.calls_of("chat.postMessage") == client.calls_of("conversations.open") == []
    assert client.calls_of("conversations.history") == []
