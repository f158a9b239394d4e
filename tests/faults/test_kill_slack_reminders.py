"""kill -9 in the middle of a Slack reminder DM fan-out, repeated, then a restart: every member gets the
reminder exactly once, on the local Slack, and the database is sound.

Two processes are killed: the bot itself (``python -m bot run`` with the Slack tokens), at Slack's real pace and
so with a few members; and, for many kills in a long fan-out on both engines, the core's reminder service with the
Slack adapters over a real AsyncWebClient, its pace compressed
(``python -m tests.faults.test_kill_slack_reminders DATABASE API_URL TOKEN TEAM CHANNEL``): what decides
exactly-once (the ledger's claims, the metadata on each post, the outbox check) is the same in both.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.parsers import parse_programme_toml
from bot.domain.platform_ids import slack_id_to_int
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import open_database
from bot.storage.reminders import ReminderRepository
from slack_app._adapters import EVENT_TYPE, SlackLimits, SlackReminderSender, SlackWeb
from tests.bot.test_reminders_process import programme_starting_soon
from tests.conftest import REPO_ROOT
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.process import SPAWNED
from tests.slack.delivery_fakes import local_slack  # noqa: F401 - the fixture

MEMBERS = 30
KILLS = 3
SPEED = 60  # Slack's tiers, a minute compressed into a second (the pacer's scale)
DM_RATE = "20"


async def serve(database: str, api_url: str, token: str, team: str, channel: str) -> None:
    """The process under test: the reminder service with the Slack sender, until it is killed."""
    async with open_database(database) as db:
        defaults = ServerDefaults(
            reminder_offsets=parse_offsets("5m"),
            reminder_channel_id=slack_id_to_int(channel),
            home_community_id=slack_id_to_int(TEAM_ID),  # the deployment's channel default is this workspace's
        )
        settings = ServerSettingsService(db, defaults)
        web = SlackWeb(AsyncWebClient(token=token, base_url=api_url), limits=SlackLimits(scale=SPEED))
        service = ReminderService(
            db,
            ProgrammeService(db),
            settings,
            community_ids=(slack_id_to_int(team),),
            sender=SlackReminderSender(web),
            dm_rate_per_second=float(DM_RATE),
        )
        await service.start()
        await asyncio.Event().wait()


async def prepare(database: str, folder: Path, team: str, members: list[str]) -> None:
    programme = parse_programme_toml(programme_starting_soon(folder).read_text(encoding="utf-8"))
    async with open_database(database) as db:
        community = slack_id_to_int(team)
        await ProgrammeService(db).import_programme(community, programme)
        for member in members:
            await ReminderRepository(db).subscribe(
                community, slack_id_to_int(member), datetime.now(UTC) - timedelta(hours=1)
            )


def reminders_to(fake: FakeSlack, user: str) -> list[Any]:
    """The reminder DMs a member received (the bot's messages carrying the reminder metadata)."""
    world = fake.world
    found: list[Any] = []
    for channel in world.channels.values():
        if channel.is_im and channel.im_user == user:
            found += [m for m in world.history(channel) if (m.metadata or {}).get("event_type") == EVENT_TYPE]
    return found


async def wait_for(predicate: Any, *, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def spawn(folder: Path, *arguments: str) -> asyncio.subprocess.Process:
    with (folder / "stderr.txt").open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.faults.test_kill_slack_reminders", *arguments,
            cwd=REPO_ROOT, env=dict(os.environ), stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    SPAWNED.append(process)
    return process


async def test_repeated_kill_9_during_a_slack_dm_fan_out_delivers_every_reminder_once(
    local_slack: FakeSlack,  # noqa: F811 - the fixture
    tmp_path: Path,
    engine_settings: dict[str, str],
) -> None:
    fake_slack = local_slack
    rng = random.Random(20201019)
    world = fake_slack.world
    members = [world.add_user(f"member{n:02}").id for n in range(MEMBERS)]
    channel = world.channel("reminders").id
    team = TEAM_ID
    database = engine_settings.get("DATABASE_URL") or str(tmp_path / "bot.sqlite3")
    await prepare(database, tmp_path, team, members)
    arguments = (database, fake_slack.api_url, fake_slack.bot_token, team, channel)

    def delivered() -> int:
        return sum(len(reminders_to(fake_slack, member)) for member in members)

    for kill_at in sorted(rng.sample(range(1, MEMBERS - 2), KILLS)):
        process = await spawn(tmp_path, *arguments)
        try:
            await wait_for(lambda target=kill_at: delivered() >= target, timeout=30, what=f"{kill_at} reminder DMs")
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()  # SIGKILL: no clean-up of any kind
            await process.wait()

    process = await spawn(tmp_path, *arguments)
    try:
        await wait_for(lambda: delivered() >= MEMBERS, timeout=30, what="every reminder DM")
        await asyncio.sleep(0.3)  # a duplicate would arrive now
    finally:
        process.kill()
        await process.wait()
    assert [len(reminders_to(fake_slack, member)) for member in members] == [1] * MEMBERS
    posts = [m for m in world.history(channel) if (m.metadata or {}).get("event_type") == EVENT_TYPE]
    assert len(posts) == 1
    async with open_database(database) as db:
        assert await db.check_integrity() == []


async def test_kill_9_of_the_bot_itself_during_a_slack_dm_fan_out_then_a_restart_sends_each_once(
    local_slack: FakeSlack,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """The same with the bot itself (``python -m bot run`` with the Slack tokens: the Slack front end over
    Socket Mode, the core, its reminder service with the Slack adapters), at Slack's real pace: fewer members."""
    fake = local_slack
    world = fake.world
    members = [world.add_user(f"member{n:02}").id for n in range(8)]
    channel = world.channel("reminders").id
    database = tmp_path / "bot.sqlite3"
    await prepare(str(database), tmp_path, TEAM_ID, members)
    async with open_database(database) as db:
        await ServerSettingsService(db, ServerDefaults()).update(
            slack_id_to_int(TEAM_ID), reminder_channel_id=slack_id_to_int(channel)
        )
    env = tmp_path / ".env"
    env.write_text(
        f"SLACK_BOT_TOKEN={fake.bot_token}\nSLACK_APP_TOKEN={fake.app_token}\nSLACK_API_URL={fake.api_url}\n"
        f"DATABASE_PATH={database}\nLOG_FILE={tmp_path / 'bot.log'}\nREMINDER_OFFSETS=5m\nDM_RATE_PER_SECOND=20\n",
        encoding="utf-8",
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "GUILD_", "DATABASE_"))}

    async def start() -> asyncio.subprocess.Process:
        with (tmp_path / "stderr.txt").open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--env-file", str(env),
                cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        SPAWNED.append(process)
        return process

    def delivered() -> int:
        return sum(len(reminders_to(fake, member)) for member in members)

    for kill_at in (2, 5):
        process = await start()
        try:
            await wait_for(lambda target=kill_at: delivered() >= target, timeout=30, what=f"{kill_at} reminder DMs")
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    process = await start()
    try:
        await wait_for(lambda: delivered() >= len(members), timeout=30, what="every reminder DM")
        await asyncio.sleep(0.5)
    finally:
        process.kill()
        await process.wait()
    assert [len(reminders_to(fake, member)) for member in members] == [1] * len(members), (
        tmp_path / "stderr.txt"
    ).read_text()
    posts = [m for m in world.history(channel) if (m.metadata or {}).get("event_type") == EVENT_TYPE]
    assert len(posts) == 1


if __name__ == "__main__":
    asyncio.run(serve(*sys.argv[1:6]))
