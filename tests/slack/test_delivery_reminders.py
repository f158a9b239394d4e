"""Reminders on Slack, exactly once: the real reminder service and ledger with the Slack sender (over a small
fake of AsyncWebClient). A crash after the claim leaves the post's metadata in the channel or DM, which the
outbox check finds after a restart, so nothing is sent twice; a 429's Retry-After is honoured."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.core._routing import ReminderRouter
from bot.domain.platform_ids import DISCORD, SLACK, slack_id_to_int
from bot.domain.programme import Programme, Session
from bot.domain.reminder_text import status_text
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders import FIRST_RETRY, ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database, SqliteDatabase
from bot.storage.reminders import DeliveryState, TargetKind
from cogs._discord.reminders import DiscordReminderSender
from slack_app._adapters import EVENT_TYPE, SlackReminderSender, SlackWeb
from slack_app._adapters._pacing import Pacer
from slack_app.organiser._setup import problem_lines
from tests.harness import FakeClock
from tests.slack.delivery_fakes import FakeWebClient, slack_error

H = timedelta(hours=1)
START = datetime(2020, 8, 3, 18, tzinfo=UTC)
TEAM = slack_id_to_int("T0TEAM")
CHANNEL = "C0REMIND"
MEMBERS = [f"U0M{n:03}" for n in range(12)]


class VirtualTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@dataclasses.dataclass
class World:
    db: Database
    clock: FakeClock
    time: VirtualTime
    client: FakeWebClient
    defaults: ServerDefaults
    reopened: list[SqliteDatabase] = dataclasses.field(default_factory=list)
    problems: RuntimeProblems | None = None  # what organisers see (/workshop setup's Health, `check`)

    def service(self) -> ReminderService:
        """A process: its own sender (and so its own memory of DM channels and pace) over the one Slack."""
        web = SlackWeb(self.client, pacer=Pacer(monotonic=self.time.monotonic, sleep=self.time.sleep))  # type: ignore[arg-type]
        return ReminderService(
            self.db,
            ProgrammeService(self.db, clock=self.clock),
            ServerSettingsService(self.db, self.defaults, clock=self.clock),
            community_ids=(TEAM,),
            sender=SlackReminderSender(web),
            problems=self.problems,
            clock=self.clock,
            monotonic=self.time.monotonic,
            sleep=self.time.sleep,
        )

    async def restart_process(self) -> None:
        assert isinstance(self.db, SqliteDatabase)
        self.db = await SqliteDatabase.connect(self.db.path)
        self.reopened.append(self.db)

    def dms(self, member: str) -> list[dict[str, Any]]:
        return self.client.posts_in("D" + member[1:])


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    clock = FakeClock(START - 2 * 24 * H)
    defaults = ServerDefaults(
        reminder_offsets=parse_offsets("1h"),
        reminder_channel_id=slack_id_to_int(CHANNEL),
        home_community_id=TEAM,  # the deployment's channel default is this workspace's
    )
    programme = Programme(
        title="Test programme",
        timezone="Europe/London",
        sessions=(
            Session(
                week=1,
                title="Campaigning",
                start=START,
                end=START + 2 * H,
                location="Zoom",
                description="A session.",
                prompts=("What now?", "Who else?"),
                meeting_link="https://example.org/meet",
            ),
        ),
    )
    await ProgrammeService(db, clock=clock).import_programme(TEAM, programme)
    client = FakeWebClient()
    client.add_channel(CHANNEL)
    made = World(db, clock, VirtualTime(), client, defaults)
    made.problems = RuntimeProblems(clock)
    service = made.service()
    for member in MEMBERS:
        await service.repository.subscribe(TEAM, slack_id_to_int(member), START - 10 * 24 * H)
    made.clock.now = START - H
    yield made
    for reopened in made.reopened:
        await reopened.close()


async def test_the_channel_post_and_every_dm_go_out_once_with_their_claim(world: World) -> None:
    service = world.service()
    await service.run_pass(TEAM)
    await service.run_pass(TEAM)  # a second pass sends nothing more
    [post] = world.client.posts_in(CHANNEL)
    assert post["metadata"]["event_type"] == EVENT_TYPE
    for member in MEMBERS:
        [dm] = world.dms(member)
        assert dm["metadata"]["event_type"] == EVENT_TYPE
    nonces = [m["metadata"]["event_payload"]["nonce"] for c in world.client.messages.values() for m in c]
    assert len(set(nonces)) == len(nonces) == 1 + len(MEMBERS)
    assert {d.state for d in await service.repository.deliveries(TEAM)} == {DeliveryState.SENT}


@pytest.mark.parametrize("taken", [True, False], ids=["slack-took-it", "before-slack-took-it"])
async def test_a_crash_after_the_claim_then_a_restart_sends_each_dm_once(world: World, taken: bool) -> None:
    victim = MEMBERS[4]
    dying = world.service()

    def die(message: dict[str, Any]) -> None:
        if world.dms(victim):
            raise asyncio.CancelledError  # killed after Slack took the DM, before the ledger heard of it

    if taken:
        world.client.after_post = die
    else:
        world.client.errors["chat.postMessage"] = []
        original = world.client.chat_postMessage

        async def die_before(**arguments: Any) -> Any:
            if arguments["channel"] == "D" + victim[1:]:
                raise asyncio.CancelledError  # killed while the request was on its way
            return await original(**arguments)

        world.client.chat_postMessage = die_before  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await dying.run_pass(TEAM)
    world.client.after_post = None
    if not taken:
        world.client.chat_postMessage = original  # type: ignore[method-assign]
    claimed = [d for d in await dying.repository.deliveries(TEAM) if d.state is DeliveryState.CLAIMED]
    assert [d.target_id for d in claimed] == [slack_id_to_int(victim)]

    await world.restart_process()
    world.clock.advance(timedelta(minutes=10))  # past Discord's nonce window: only the look can tell
    restarted = world.service()
    await restarted.run_pass(TEAM)
    for member in MEMBERS:
        assert len(world.dms(member)) == 1, member
    assert len(world.client.posts_in(CHANNEL)) == 1
    looks = world.client.calls_of("conversations.history")
    assert [c["channel"] for c in looks] == ["D" + victim[1:]] and looks[0]["include_all_metadata"]
    assert {d.state for d in await restarted.repository.deliveries(TEAM)} == {DeliveryState.SENT}


async def test_a_429_is_retried_after_its_retry_after_and_delivered_once(world: World) -> None:
    limited = MEMBERS[2]
    original = world.client.chat_postMessage
    refused: list[float] = []

    async def rate_limit_once(**arguments: Any) -> Any:
        if arguments["channel"] == "D" + limited[1:] and not refused:
            refused.append(world.time.now)
            raise slack_error("ratelimited", status=429, retry_after=45)
        return await original(**arguments)

    world.client.chat_postMessage = rate_limit_once  # type: ignore[method-assign]
    service = world.service()
    await service.run_pass(TEAM)
    assert world.dms(limited) == []
    [row] = [d for d in await service.repository.deliveries(TEAM) if d.target_id == slack_id_to_int(limited)]
    assert row.state is DeliveryState.PENDING and row.next_attempt_at is not None
    assert row.next_attempt_at - world.clock() >= max(FIRST_RETRY, timedelta(seconds=45))
    # The fan-out paused for Retry-After: the next DM started no sooner.
    assert world.time.now - refused[0] >= 45
    world.clock.advance(timedelta(minutes=1))
    await service.run_pass(TEAM)
    assert len(world.dms(limited)) == 1
    assert all(len(world.dms(m)) == 1 for m in MEMBERS)


async def test_a_member_who_cannot_get_dms_is_refused_once_and_the_others_still_get_theirs(world: World) -> None:
    world.client.errors["conversations.open"].append(slack_error("user_disabled"))
    service = world.service()
    await service.run_pass(TEAM)
    states = {d.target_id: d.state for d in await service.repository.deliveries(TEAM) if d.target_kind is TargetKind.DM}
    assert sorted(states.values()).count(DeliveryState.UNDELIVERABLE) == 1
    assert sum(len(world.dms(m)) for m in MEMBERS) == len(MEMBERS) - 1


async def test_a_reminder_channel_the_bot_is_not_in_is_shown_to_organisers_in_slacks_words(world: World) -> None:
    """chat.postMessage answers not_in_channel (docs.slack.dev/reference/methods/chat.postMessage, "Errors"): Slack
    has no channel permissions to edit, so organisers are told to invite the bot; /workshop setup's Health part
    names the channel by Slack's link."""
    world.client.errors["chat.postMessage"].append(slack_error("not_in_channel"))
    service = world.service()
    await service.run_pass(TEAM)
    assert world.problems is not None
    [line] = problem_lines(world.problems.current(TEAM))
    assert line == (
        f"✗ while running: The bot cannot post reminders in <#{CHANNEL}>: the bot is not a member of the channel. "
        f"Fix: Invite the bot to <#{CHANNEL}> (/invite @ the bot there, or the channel's Integrations tab), or "
        "choose another reminder channel with /workshop setup. The bot retries the reminder a few times."
    )
    for discord_words in ("Discord", "Permissions", "Send Messages", "Read Message History", "Edit Channel"):
        assert discord_words not in line
    world.clock.advance(FIRST_RETRY)  # invited meanwhile: the retry posts it and the problem goes
    await service.run_pass(TEAM)
    assert len(world.client.posts_in(CHANNEL)) == 1
    assert world.problems.current(TEAM) == []


async def test_a_missing_scope_names_the_scope_and_reinstalling_the_app(world: World) -> None:
    world.client.errors["chat.postMessage"].append(slack_error("missing_scope", needed="chat:write.public"))
    await world.service().run_pass(TEAM)
    assert world.problems is not None
    [problem] = world.problems.current(TEAM)
    channel = slack_id_to_int(CHANNEL)
    assert problem.text == f"The bot cannot post reminders in <#{channel}>: the app lacks a scope (chat:write.public)."
    assert problem.fix.startswith("Reinstall the app with the chat:write.public scope")


async def crashed_after_slack_took(world: World, where: str) -> None:
    """The process dies just after Slack took the reminder posted ``where``, before the ledger heard of it."""

    def die(message: dict[str, Any]) -> None:
        if world.client.posts_in(where):
            raise asyncio.CancelledError

    world.client.after_post = die
    with pytest.raises(asyncio.CancelledError):
        await world.service().run_pass(TEAM)
    world.client.after_post = None
    await world.restart_process()


async def test_a_quick_restart_that_cannot_read_the_channel_never_posts_the_reminder_twice(world: World) -> None:
    """Slack drops no resend (it has no nonce): even within a minute of the crash, a post the bot cannot look for
    is not posted again, and organisers are told why and how to let the bot look next time."""
    await crashed_after_slack_took(world, CHANNEL)
    world.clock.advance(timedelta(seconds=30))  # within Discord's nonce window, where Discord would drop a resend
    world.client.errors["conversations.history"].append(slack_error("missing_scope", needed="channels:history"))
    restarted = world.service()
    await restarted.run_pass(TEAM)
    assert len(world.client.posts_in(CHANNEL)) == 1
    assert all(len(world.dms(m)) == 1 for m in MEMBERS)  # the DMs, never claimed, go as usual
    [channel_row] = [d for d in await restarted.repository.deliveries(TEAM) if d.target_kind is TargetKind.CHANNEL]
    assert channel_row.state is DeliveryState.UNDELIVERABLE and channel_row.last_error
    assert channel_row.last_error.startswith("outcome unknown: the app lacks a scope to read its history")
    assert world.problems is not None
    [line] = problem_lines(world.problems.current(TEAM))
    assert "It was not posted again, because this platform would show a second copy rather than drop it." in line
    assert "channels:history" in line and f"<#{CHANNEL}>" in line
    assert "Read Message History" not in line


async def test_a_member_whose_dm_could_not_be_checked_is_told_by_their_reminder_setting(world: World) -> None:
    victim = MEMBERS[3]
    await crashed_after_slack_took(world, "D" + victim[1:])
    world.client.errors["conversations.history"].append(slack_error("missing_scope", needed="im:history"))
    restarted = world.service()
    await restarted.run_pass(TEAM)
    assert all(len(world.dms(m)) == 1 for m in MEMBERS)
    status = await restarted.dm_reminder_status(TEAM, slack_id_to_int(victim))
    assert status.last_outcome_unknown
    assert "Your last reminder may not have reached you" in status_text(status, dms_closed="")
    assert not (await restarted.dm_reminder_status(TEAM, slack_id_to_int(MEMBERS[0]))).last_outcome_unknown
    assert world.problems is not None
    [problem] = world.problems.current(TEAM)
    assert "would show a second copy rather than drop it" in problem.text
    assert "im:history" in problem.text and "im:history scope" in problem.fix


async def test_the_ports_say_which_platform_drops_a_resend_discord_yes_slack_no(world: World) -> None:
    discord_sender = DiscordReminderSender(discord.Client(intents=discord.Intents.none()))
    slack_sender = SlackReminderSender(SlackWeb(world.client))  # type: ignore[arg-type]
    router = ReminderRouter({DISCORD: discord_sender, SLACK: slack_sender})
    assert router.drops_resends(700000000000000001) is True  # a Discord snowflake
    assert router.drops_resends(slack_id_to_int(CHANNEL)) is False
    assert router.drops_resends(slack_id_to_int(MEMBERS[0])) is False
