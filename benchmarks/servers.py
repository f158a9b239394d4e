"""Many servers, two processes: one minute's reminders for 1,000 servers, each running the 12-session programme,
with every session at the same time, sent by 2 processes x 2 shards (SHARD_COUNT=4) on one PostgreSQL, against
the bound at Discord's global limit (reminder requests / 50 per second). Both processes share one token, so
they share that limit.

Each server has a #reminders channel and two members subscribed to DM reminders: the minute carries 1,000
channel posts and 2,000 DMs, 5,000 requests (a DM opens the DM channel, then sends), a bound of 100 s.
The sessions start 50 minutes after the data is prepared with a 1 h reminder, so the reminder is due when the
bots connect (as at 18:00 before a Monday 19:00 London session).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import Figure, Server, add_servers, bot_process, median, prepare_servers, weekly_programme
from tests.fakediscord import FakeDiscord
from tests.fakediscord.records import RecordedRequest
from tests.postgres import PostgresServer, running_postgres, unique_database_name

RATE_LIMIT = 50  # requests a second, Discord's global limit, for the whole application (one token)
DM_RATE = 24  # the application's DM_RATE_PER_SECOND: 48 requests a second; each process paces at half
SUBSCRIBERS = 2  # DM subscribers per server
SHARD_COUNT = 4
PROCESS_SHARDS = ("0,1", "2,3")
REMINDER_MARK = "Reminder: Week 1"


@dataclass(frozen=True)
class Outcome:
    elapsed: float  # first to last reminder request, seconds
    requests: int
    rate_limited: int  # 429s served (any scope)
    not_once: int  # channel posts and DMs not delivered exactly once


def is_reminder_request(request: RecordedRequest) -> bool:
    if request.method != "POST" or request.injected is not None:
        return False
    return request.path == "/users/@me/channels" or (
        request.path.startswith("/channels/") and request.path.endswith("/messages")
    )


def not_exactly_once(fake: FakeDiscord, servers: list[Server]) -> int:
    """Channel posts (per server) and DMs (per member) not delivered exactly once."""
    wrong = sum(
        1 for s in servers
        if sum(REMINDER_MARK in m.content for m in fake.bot_messages_in(s.reminder_channel_id)) != 1
    )  # fmt: skip
    return wrong + sum(1 for s in servers for member_id in s.subscriber_ids if len(fake.dms_to(member_id)) != 1)


async def one_run(postgres: PostgresServer, workdir: Path, count: int) -> Outcome:
    dsn = postgres.create_database(unique_database_name())
    async with FakeDiscord() as fake:
        fake.set_rate_limit(RATE_LIMIT)
        servers = add_servers(fake, count, subscribers=SUBSCRIBERS)
        start = (datetime.now(UTC) + timedelta(minutes=50)).replace(second=0, microsecond=0)
        await prepare_servers(dsn, servers, weekly_programme(start))
        expected = count * (1 + 2 * SUBSCRIBERS)
        settings = {"REMINDER_OFFSETS": "1h", "DM_RATE_PER_SECOND": str(DM_RATE), "SHARD_COUNT": str(SHARD_COUNT)}
        async with contextlib.AsyncExitStack() as processes:
            for n, shard_ids in enumerate(PROCESS_SHARDS):
                await processes.enter_async_context(
                    bot_process(fake, workdir, dsn, guild_id=None, name=f"process{n}", SHARD_IDS=shard_ids, **settings)
                )
            deadline = asyncio.get_running_loop().time() + expected / (2 * DM_RATE) * 3 + 120
            while sum(1 for r in fake.requests if is_reminder_request(r)) < expected:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"the reminders of {count} servers were not all sent")
                await asyncio.sleep(0.5)
            await asyncio.sleep(3)  # a duplicate would show now
        sent = [r for r in fake.requests if is_reminder_request(r)]
        outcome = Outcome(
            elapsed=sent[-1].monotonic - sent[0].monotonic,
            requests=len(sent),
            rate_limited=fake.stats.rate_limited,
            not_once=not_exactly_once(fake, servers),
        )
    postgres.drop_database(dsn.rsplit("/", 1)[1])
    return outcome


async def run(*, quick: bool) -> list[Figure]:
    count, repeats = (40, 1) if quick else (1000, 3)
    outcomes = []
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        for _ in range(repeats):
            outcomes.append(await one_run(postgres, Path(folder), count))
    requests = outcomes[0].requests
    size = (
        f"{count:,} servers x (1 post + {SUBSCRIBERS} DMs), {requests:,} requests, 2 processes x 2 shards, "
        f"PostgreSQL, median of {repeats}"
    )
    bound = (requests - 1) / RATE_LIMIT
    return [
        Figure("many servers", "first to last reminder request", size, median([o.elapsed for o in outcomes]),
               bound, "s", "ratio <= 1.1", "global limit bound at 50 req/s"),
        Figure("many servers", "429s served / reminders not exactly once (all runs)", size,
               float(sum(o.rate_limited + o.not_once for o in outcomes)), 1.0, "count", "0", "(zero wanted)"),
    ]  # fmt: skip
