"""Reminder fan-out: 2,000 DMs with the local Discord enforcing 50 requests a second, against the
rate-limit bound (requests sent / 50 per second), and no 429s. The bot is its own process."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import GUILD_ID, Figure, bot_process, synthetic_programme
from bot.services.programme import ProgrammeService
from bot.storage.engine import open_database
from bot.storage.reminders import ReminderRepository
from tests.fakediscord import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[1]
RATE_LIMIT = 50  # requests a second, Discord's global limit
DM_RATE = 24  # a DM costs two requests (open the DM channel, send): 48 a second stays under the limit


async def prepare(database: Path, member_ids: list[int]) -> None:
    """One session starting in 30 minutes with a 1h reminder: already due, so it goes out at start."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=30)
    programme = synthetic_programme(1)
    session = dataclasses.replace(programme.sessions[0], start=start, end=start + timedelta(hours=1))
    async with open_database(database) as db:
        await ProgrammeService(db).import_programme(GUILD_ID, dataclasses.replace(programme, sessions=(session,)))
        subscriptions = ReminderRepository(db)
        earlier = datetime.now(UTC) - timedelta(days=1)
        for member_id in member_ids:
            await subscriptions.subscribe(GUILD_ID, member_id, earlier)


async def run(*, quick: bool) -> list[Figure]:
    members = 200 if quick else 2000
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        database = workdir / "bot.sqlite3"
        async with FakeDiscord() as fake:
            fake.set_rate_limit(RATE_LIMIT)
            member_ids = [fake.add_member(f"member{n:04}").id for n in range(members)]
            await prepare(database, member_ids)
            settings = {
                "REMINDER_OFFSETS": "1h",
                "REMINDER_CHANNEL_ID": str(fake.channel("reminders").id),
                "DM_RATE_PER_SECOND": str(DM_RATE),
            }
            async with bot_process(fake, workdir, database, **settings):
                await fake.wait_until_ready(timeout=60)
                await fake.wait_for(
                    lambda: all(fake.dms_to(member_id) for member_id in member_ids),
                    timeout=members / DM_RATE * 3 + 60,
                    what="every DM",
                )
            fanout = [
                r for r in fake.requests
                if r.path.startswith("/users/@me/channels") or r.path.startswith("/channels/")
            ]  # fmt: skip
            elapsed = fanout[-1].monotonic - fanout[0].monotonic
            bound = (len(fanout) - 1) / RATE_LIMIT
            doubled = sum(1 for member_id in member_ids if len(fake.dms_to(member_id)) != 1)
            rate_limited = fake.stats.rate_limited
    size = f"{members:,} DMs ({len(fanout):,} requests)"
    return [
        Figure("reminder fan-out", "first to last request", size, elapsed, bound, "s", "ratio <= 1.1",
               "rate-limit bound at 50 req/s"),
        Figure("reminder fan-out", "429s served / DMs not exactly once", size, float(rate_limited + doubled), 1.0,
               "count", "0", "(zero wanted)"),
    ]  # fmt: skip
