"""A Slack workspace's retention notices go to its own channels only, checked when posted (slack_app/_adapters/
notices.py), whatever its stored settings say: a channel of another community is refused, reported to organisers as a
refused reminder channel is, and nothing is posted there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import build_core
from bot.domain.platform_ids import slack_id_to_int
from bot.domain.programme import Programme
from bot.services.programme import ProgrammeService
from bot.services.reminders import ChannelRefused
from bot.services.retention import RetentionAction
from bot.storage.engine import Database, SqliteDatabase
from slack_app._adapters import SlackRetentionNotices, SlackWeb, build_slack_adapters
from tests.bot.test_core import Recorder, adapters
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import FakeClock
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids
from tests.slack.delivery_fakes import TEAM as UNIT_TEAM
from tests.slack.delivery_fakes import FakeWebClient, local_slack  # noqa: F401 - the fixture
from tests.slack.harness import FAST

WORKSPACE = slack_id_to_int(TEAM_ID)
DISCORD_CHANNEL = 700000000000000001  # a Discord server's channel: another community, on the other platform
LAST_END = datetime(2020, 10, 26, 21, 0, tzinfo=UTC)  # the seed programme's last session ends


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    async with SqliteDatabase.open(tmp_path / "bot.sqlite3") as db:
        yield db


def channel_posts(fake: FakeSlack) -> list[str]:
    """Every message the bot posted in a channel (DMs left out)."""
    world = fake.world
    return [m.text for c in world.channels.values() if not c.is_im for m in world.history(c) if m.bot_id]


async def test_a_workspace_whose_stored_channel_is_a_discord_server_s_posts_nothing_there(
    sqlite: Database,
    local_slack: FakeSlack,  # noqa: F811
    programme: Programme,
) -> None:
    """One process serving both platforms: the workspace's notice is judged by Slack's adapter (routed by the
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
    await ProgrammeService(sqlite).import_programme(WORKSPACE, programme)
    prompts = await prompt_ids(sqlite, WORKSPACE)
    await insert_answers(sqlite, WORKSPACE, [AnswerRow(prompts[0], slack_id_to_int("U0ALICE"), "my view")])
    # Stored as if by a database copied from elsewhere, or a bug: /workshop setup offers the workspace's channels only.
    await services.settings.update(WORKSPACE, retention=timedelta(days=10), reminder_channel_id=DISCORD_CHANNEL)
    clock.now = LAST_END + timedelta(days=4)  # in the week before the answers are due

    outcome = await services.retention.check(WORKSPACE)

    assert outcome is not None and outcome.action is RetentionAction.WARN
    assert discord.calls == []
    assert channel_posts(local_slack) == []
    [problem] = services.problems.current(WORKSPACE)
    assert problem.text.startswith(
        "The bot could not post the retention warning in the reminder channel (it is not one of this workspace's "
        "channels): answers will be deleted on"
    )
    assert problem.fix.startswith(
        "Choose one of this workspace's channels as the reminder channel in `/workshop setup`"
    )

    # The deletion a week later: its notice is refused the same way, and reported.
    clock.now += timedelta(days=7)
    outcome = await services.retention.check(WORKSPACE)
    assert outcome is not None and outcome.action is RetentionAction.DELETE and outcome.deleted == 1
    assert discord.calls == [] and channel_posts(local_slack) == []
    assert [p.key for p in services.problems.current(WORKSPACE)] == ["retention-warning", "retention-done"]
    await core.close()


async def test_a_channel_of_another_workspace_of_the_organisation_gets_nothing() -> None:
    """An org-wide token sees the other workspaces' channels too (conversations.info's context_team_id says whose);
    the post would go through, so the adapter refuses it first."""
    client = FakeWebClient()
    client.add_channel("C0THEIRS", name="their-reminders", context_team_id="T0OTHERWS")
    client.add_channel("C0OURS", name="reminders", context_team_id=UNIT_TEAM)
    notices = SlackRetentionNotices(SlackWeb(client, limits=FAST))  # type: ignore[arg-type]
    workspace = slack_id_to_int(UNIT_TEAM)  # the workspace the unit fake's token is installed in (auth.test)

    with pytest.raises(ChannelRefused) as refused:
        await notices.retention_done(workspace, slack_id_to_int("C0THEIRS"), 3)
    assert refused.value.where == "the reminder channel"
    assert refused.value.reason == "it is not one of this workspace's channels"
    assert client.calls_of("chat.postMessage") == []

    await notices.retention_done(workspace, slack_id_to_int("C0OURS"), 3)  # its own: posted
    assert [m["channel"] for m in client.calls_of("chat.postMessage")] == ["C0OURS"]


async def test_another_community_s_notice_is_not_this_workspace_s_to_send(local_slack: FakeSlack) -> None:  # noqa: F811
    """Neither to the organisers by DM nor in any channel, not even this workspace's own."""
    world = local_slack.world
    ours = slack_id_to_int(world.channel("reminders").id)
    notices = SlackRetentionNotices(SlackWeb(local_slack.web_client(), limits=FAST))
    other_workspace = slack_id_to_int("T0OTHERWS")
    with pytest.raises(ChannelRefused):
        await notices.retention_warning(other_workspace, ours, None, LAST_END, timedelta(days=30))
    with pytest.raises(ChannelRefused):
        await notices.retention_done(other_workspace, ours, 1)
    assert [m for c in world.channels.values() for m in world.history(c) if m.bot_id] == []
