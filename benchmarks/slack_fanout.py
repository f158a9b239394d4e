"""Slack reminder fan-out: 1,000 DMs through the local Slack enforcing Slack's documented tiers, against the
bound those tiers allow, and no 429s. The sender is its own process (the core's reminder service with the
Slack adapters over a real AsyncWebClient).

Slack's limits are per minute (Tier 3, ``conversations.open``: 50+ a minute); a 1,000-DM fan-out at that pace
takes 20 minutes. Both sides compress time by the same factor (``SPEED``: a minute becomes six seconds), the local
Slack's windows and the bot's pacer alike, so the ratio to the bound is what a real fan-out would show.
The bound: every DM opens its conversation once (the bot remembers DM channels after), so a first fan-out is
``(opens - 1) / Tier 3``; posts are one a second per channel, each DM its own channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.common import Figure, synthetic_programme
from bot.domain.platform_ids import slack_id_to_int
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import open_database
from bot.storage.reminders import ReminderRepository
from slack_app._adapters import EVENT_TYPE, SlackLimits, SlackReminderSender, SlackWeb
from slack_app._adapters._pacing import TIER_PER_MINUTE
from tests.fakeslack import TEAM_ID, FakeSlack

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEED = 10  # a minute of Slack's limits in six seconds, on both sides
OPENS_PER_SECOND = TIER_PER_MINUTE[3] * SPEED / 60  # conversations.open, Tier 3
DM_RATE = 10_000  # the service's own throttle out of the way: Slack's tiers are the bound measured


async def serve(database: str, api_url: str, token: str, channel: str) -> None:
    """The sender process: the reminder service with the Slack adapters, until it is stopped."""
    async with open_database(database) as db:
        defaults = ServerDefaults(reminder_offsets=parse_offsets("1h"), reminder_channel_id=slack_id_to_int(channel))
        web = SlackWeb(AsyncWebClient(token=token, base_url=api_url), limits=SlackLimits(scale=SPEED))
        service = ReminderService(
            db,
            ProgrammeService(db),
            ServerSettingsService(db, defaults),
            community_ids=(slack_id_to_int(TEAM_ID),),
            sender=SlackReminderSender(web),
            dm_rate_per_second=DM_RATE,
        )
        await service.start()
        await asyncio.Event().wait()


async def prepare(database: str, members: list[str]) -> None:
    """One session starting in 30 minutes with a 1h reminder: already due, so it goes out at start, and the
    session does not begin (which would skip what is left) during the fan-out."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=30)
    programme = synthetic_programme(1)
    session = dataclasses.replace(programme.sessions[0], start=start, end=start + timedelta(hours=1))
    programme = dataclasses.replace(programme, sessions=(session,))
    community = slack_id_to_int(TEAM_ID)
    async with open_database(database) as db:
        await ProgrammeService(db).import_programme(community, programme)
        earlier = datetime.now(UTC) - timedelta(days=1)
        for member in members:
            await ReminderRepository(db).subscribe(community, slack_id_to_int(member), earlier)


async def run(*, quick: bool) -> list[Figure]:
    count = 200 if quick else 1000
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        database = str(workdir / "bot.sqlite3")
        fake = FakeSlack()
        await fake.start()
        try:
            fake.rate_limits.enforce(scale=1 / SPEED)
            world = fake.world
            members = [world.add_user(f"member{n:04}").id for n in range(count)]
            channel = world.channel("reminders").id
            await prepare(database, members)

            def received() -> Counter[str]:
                """Reminder DMs per member (one pass over the DM channels: polled while the fan-out runs)."""
                counts: Counter[str] = Counter()
                for c in list(world.channels.values()):
                    if c.is_im and c.im_user:
                        counts[c.im_user] += sum(
                            1 for m in world.history(c) if (m.metadata or {}).get("event_type") == EVENT_TYPE
                        )
                return counts

            with (workdir / "stderr.txt").open("ab") as stderr:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "benchmarks.slack_fanout", database, fake.api_url, fake.bot_token, channel,
                    cwd=REPO_ROOT, env=dict(os.environ), stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
                )  # fmt: skip
            try:
                deadline = asyncio.get_running_loop().time() + count / OPENS_PER_SECOND * 3 + 60
                while sum(received().values()) < count:
                    if asyncio.get_running_loop().time() > deadline or process.returncode is not None:
                        raise RuntimeError((workdir / "stderr.txt").read_text()[-2000:])
                    await asyncio.sleep(0.5)
                await asyncio.sleep(0.5)  # a duplicate would arrive now
            finally:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            fanout = [c for c in fake.core.calls if c.method in ("conversations.open", "chat.postMessage")]
            opens = sum(1 for c in fanout if c.method == "conversations.open" and c.status == 200)
            elapsed = fanout[-1].at - fanout[0].at
            bound = (opens - 1) / OPENS_PER_SECOND
            limited = [c.method for c in fake.core.calls if c.status == 429]
            rate_limited = len(limited)
            if limited:
                print(f"429s served for: {sorted(set(limited))}", file=sys.stderr)
            counts = received()
            not_once = sum(1 for m in members if counts[m] != 1)
        finally:
            await fake.stop()
    size = f"{count:,} DMs ({len(fanout):,} requests), Slack's tiers x{SPEED}"
    return [
        Figure("Slack reminder fan-out", "first to last request", size, elapsed, bound, "s", "ratio <= 1.1",
               "bound: conversations.open at Tier 3 (50/min)"),
        Figure("Slack reminder fan-out", "429s served / DMs not exactly once", size, float(rate_limited + not_once),
               1.0, "count", "0", "(zero wanted)"),
    ]  # fmt: skip


if __name__ == "__main__":
    asyncio.run(serve(*sys.argv[1:5]))
