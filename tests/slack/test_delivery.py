"""Delivery on the local Slack, through an unmodified AsyncWebClient: reminders in the channel and in DMs exactly
once (across a crash after the claim), 429 Retry-After honoured, files into a member's DM, and the check."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.platform_ids import slack_id_to_int
from bot.domain.preflight import Status
from bot.domain.programme import Programme, Session
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.preflight.slack import SlackPlaces, slack_findings
from bot.services.programme import ProgrammeService
from bot.services.reminders import ChannelRefused, ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database, SqliteDatabase
from bot.storage.reminders import DeliveryState
from slack_app._adapters import (
    EVENT_TYPE,
    SlackFiles,
    SlackLimits,
    SlackReminderSender,
    SlackRetentionNotices,
    SlackWeb,
)
from tests.fakeslack import TEAM_ID, FakeSlack, Message
from tests.harness import FakeClock
from tests.slack.delivery_fakes import local_slack  # noqa: F401 - the fixture

H = timedelta(hours=1)
START = datetime(2020, 8, 3, 18, tzinfo=UTC)
TEAM = slack_id_to_int(TEAM_ID)
FAST = SlackLimits(scale=600)  # the documented tiers, ten minutes to the second: these tests check behaviour


class DiesAfterSlackTookIt(AsyncWebClient):
    """The process dies right after Slack took one DM, before the ledger heard of it."""

    victim_channel: str | None = None

    async def chat_postMessage(self, **kwargs: Any) -> AsyncSlackResponse:  # type: ignore[override]
        response = await super().chat_postMessage(**kwargs)
        if kwargs.get("channel") == self.victim_channel:
            raise asyncio.CancelledError
        return response


@dataclasses.dataclass
class Setup:
    fake: FakeSlack
    db: Database
    clock: FakeClock
    members: list[str]
    channel: str
    reopened: list[SqliteDatabase] = dataclasses.field(default_factory=list)

    def service(self, client: AsyncWebClient | None = None) -> ReminderService:
        defaults = ServerDefaults(
            reminder_offsets=parse_offsets("1h"),
            reminder_channel_id=slack_id_to_int(self.channel),
            home_community_id=TEAM,  # the deployment's channel default is this workspace's
        )
        web = SlackWeb(client or self.fake.web_client(), limits=FAST)
        return ReminderService(
            self.db,
            ProgrammeService(self.db, clock=self.clock),
            ServerSettingsService(self.db, defaults, clock=self.clock),
            community_ids=(TEAM,),
            sender=SlackReminderSender(web),
            clock=self.clock,
            dm_rate_per_second=200,
        )

    def reminders(self, where: str) -> list[Message]:
        return [
            m for m in self.fake.world.history(where) if m.bot_id and (m.metadata or {}).get("event_type") == EVENT_TYPE
        ]

    def dm_reminders(self, member: str) -> list[Message]:
        return self.reminders(self.fake.world.open_dm(member).id)


@pytest.fixture
async def setup(local_slack: FakeSlack, db: Database) -> AsyncIterator[Setup]:  # noqa: F811 - the fixture
    clock = FakeClock(START - 2 * 24 * H)
    programme = Programme(
        title="Test programme",
        timezone="Europe/London",
        sessions=(
            Session(
                week=1,
                title="Campaigning <!channel>",
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
    members = [local_slack.world.add_user(f"member{n}").id for n in range(6)]
    made = Setup(local_slack, db, clock, members, local_slack.world.channel("reminders").id)
    service = made.service()
    for member in members:
        await service.repository.subscribe(TEAM, slack_id_to_int(member), START - 10 * 24 * H)
    clock.now = START - H
    yield made
    for reopened in made.reopened:
        await reopened.close()


async def test_the_reminder_reaches_the_channel_and_each_dm_once(setup: Setup) -> None:
    service = setup.service()
    await service.run_pass(TEAM)
    await service.run_pass(TEAM)
    [post] = setup.reminders(setup.channel)
    assert "Campaigning &lt;!channel&gt;" in post.text  # the title's text pings nobody
    buttons = [e for b in post.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Answer 1", "Answer 2"]
    for member in setup.members:
        assert len(setup.dm_reminders(member)) == 1
    assert {d.state for d in await service.repository.deliveries(TEAM)} == {DeliveryState.SENT}


async def test_a_crash_after_the_claim_then_a_restart_finds_the_metadata_and_sends_nothing_twice(
    setup: Setup,
) -> None:
    victim = setup.members[3]
    dying_client = DiesAfterSlackTookIt(token=setup.fake.bot_token, base_url=setup.fake.api_url)
    dying_client.victim_channel = setup.fake.world.open_dm(victim).id
    with pytest.raises(asyncio.CancelledError):
        await setup.service(dying_client).run_pass(TEAM)
    assert len(setup.dm_reminders(victim)) == 1  # Slack has it; the ledger does not know

    assert isinstance(setup.db, SqliteDatabase)
    setup.db = await SqliteDatabase.connect(setup.db.path)  # the next process
    setup.reopened.append(setup.db)
    setup.clock.advance(timedelta(minutes=10))
    restarted = setup.service()
    await restarted.run_pass(TEAM)
    for member in setup.members:
        assert len(setup.dm_reminders(member)) == 1, member
    assert len(setup.reminders(setup.channel)) == 1
    looks = [c for c in setup.fake.core.calls if c.method == "conversations.history"]
    assert len(looks) == 1 and looks[0].args.get("include_all_metadata") in (True, "true", "1")
    [victim_row] = [d for d in await restarted.repository.deliveries(TEAM) if d.target_id == slack_id_to_int(victim)]
    assert victim_row.state is DeliveryState.SENT


async def test_a_429_waits_its_retry_after(setup: Setup) -> None:
    setup.fake.rate_limits.set_limit("conversations.open", 4, 1.0)
    service = setup.service()
    started = time.monotonic()
    await service.run_pass(TEAM)
    opens = [c for c in setup.fake.core.calls if c.method == "conversations.open"]
    limited = [c for c in opens if c.status == 429]
    assert limited, "the local Slack should have rate-limited the fifth open"
    retry_after = float(limited[0].response_headers["Retry-After"])
    after = [c for c in opens if c.at > limited[0].at]
    assert after and after[0].at - limited[0].at >= retry_after - 0.05
    assert all(len(setup.dm_reminders(m)) == 1 for m in setup.members)
    assert time.monotonic() - started < 30


async def test_a_file_reaches_the_members_dm(local_slack: FakeSlack, tmp_path: Path) -> None:  # noqa: F811
    member = local_slack.world.user("alice")
    path = tmp_path / "answers-week-1.csv"
    path.write_bytes(b"week,prompt,answer\n1,1,More unions\n")
    files = SlackFiles(SlackWeb(local_slack.web_client(), limits=FAST))
    file_id = await files.send_file(slack_id_to_int(member.id), path, title="Answers, week 1", comment="Your export")
    stored = local_slack.world.files[file_id]
    assert stored.data == path.read_bytes() and stored.completed
    assert local_slack.world.open_dm(member.id).id in stored.shares
    calls = [c.method for c in local_slack.core.calls]
    assert calls.index("files.getUploadURLExternal") < calls.index("files.completeUploadExternal")


async def test_the_check_on_a_workspace_set_up_right_and_then_wrong(local_slack: FakeSlack) -> None:  # noqa: F811
    world = local_slack.world
    places = SlackPlaces(
        reminder_channel_id=slack_id_to_int(world.channel("reminders").id),
        discussion_channel_id=slack_id_to_int(world.channel("discussion").id),
        organiser_group_id=slack_id_to_int(world.usergroup("organisers").id),
        facilitator_group_id=slack_id_to_int(world.usergroup("facilitators").id),
    )
    scopes = set(local_slack.bot_scopes)
    findings = await slack_findings(
        local_slack.web_client(), app_token=local_slack.app_token, places=places, expected_scopes=scopes
    )
    assert all(f.status is Status.OK for f in findings), [f.line() for f in findings]

    world.channel("discussion").members.discard(world.bot.id)
    local_slack.bot_scopes.discard("usergroups:read")
    findings = await slack_findings(
        local_slack.web_client(), app_token=local_slack.app_token, places=places, expected_scopes=scopes
    )
    problems = [f.line() for f in findings if f.status is Status.PROBLEM]
    assert any("#discussion" in p and "/invite" in p for p in problems), problems
    assert any("lacks usergroups:read" in p for p in problems), problems


async def test_the_retention_warning_reaches_each_organiser_by_dm_and_the_reminder_channel(
    local_slack: FakeSlack,  # noqa: F811
) -> None:
    world = local_slack.world
    channel = world.channel("reminders")
    organisers = world.usergroup("organisers")
    notices = SlackRetentionNotices(SlackWeb(local_slack.web_client(), limits=FAST))
    deletes_at = datetime(2021, 1, 18, 12, tzinfo=UTC)
    await notices.retention_warning(
        TEAM, slack_id_to_int(channel.id), slack_id_to_int(organisers.id), deletes_at, timedelta(days=90)
    )
    await notices.retention_done(TEAM, slack_id_to_int(channel.id), 42)
    warning, done = [m for m in world.history(channel) if m.bot_id]
    assert warning.text.startswith("*Organisers:*") and "<!" not in warning.text.replace("<!date^", "")
    assert f"<!date^{int(deletes_at.timestamp())}^" in warning.text and "90 days" in warning.text
    assert "have now been deleted" in done.text
    # The organisers: the admin, the owner and the organiser group's member; nobody else, no bot.
    told = {
        world.users[c.im_user].name
        for c in world.channels.values()
        if c.is_im and c.im_user and any(m.bot_id and "*Organisers:*" in m.text for m in world.history(c))
    }
    assert told == {"adam", "owner", "olga"}
    world.channel("reminders").members.discard(world.bot.id)
    with pytest.raises(ChannelRefused):
        await notices.retention_done(TEAM, slack_id_to_int(channel.id), 1)
