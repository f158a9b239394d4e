"""10,000 servers' reminders due in the same minute: first to last reminder request, sent by 2 processes x 4 shards
(SHARD_COUNT=8: at most 2,500 servers a shard) on one PostgreSQL, against the bound at Discord's global limit
(requests / 50 per second, both processes sharing one token); the 429s served and the reminders not delivered
exactly once.

Each server has the 12-session programme with every session at the same time and a #reminders channel, and no
DM subscriber: the minute is 10,000 channel posts, a bound of 200 s, so that one run stays within a few minutes
(``benchmarks.servers`` measures the DMs too, at 1,000 servers). The sessions start 50 minutes after the data is
prepared with a 1 h reminder, so the reminder is due when the bots connect. The servers are copied from one
prepared in SQL (``server_copies``).

Beside the time, a figure that depends little on the machine's load: of the pacer's turns (each process paces every
reminder request through one critical section), how many came due with no delivery claimed and waiting, so that
the pacer stood waiting for the database. Each process logs its count when a burst of passes ends
(``reminders: N paced requests, K of them late...``); the run reads them from the processes' log files.
``python -m benchmarks.servers_due 1000`` runs one size by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import Figure, Server, add_servers, bot_process, weekly_programme
from benchmarks.server_copies import prepare_many
from benchmarks.servers import DM_RATE, RATE_LIMIT, Outcome, is_reminder_request, not_exactly_once
from bot.domain.communities import owns_community, rate_share
from bot.services.reminders import CHANNEL_POST_COST
from tests.fakediscord import FakeDiscord
from tests.postgres import PostgresServer, running_postgres, unique_database_name

SHARD_COUNT = 8
PROCESS_SHARDS = ("0,1,2,3", "4,5,6,7")
# Each process paces at its shards' share of DM_RATE, and a channel post takes CHANNEL_POST_COST of a DM's slot.
PROCESS_POSTS_PER_SECOND = DM_RATE * rate_share(SHARD_COUNT, range(4)) / CHANNEL_POST_COST
FEED_LINE = re.compile(r"reminders: (\d+) paced requests, (\d+) of them late .*\((\S+) s lost\)")


@dataclass(frozen=True, slots=True)
class PacerFeed:
    """Both processes' pacers, summed from their logs."""

    turns: int
    starved: int
    lost: float  # seconds the pacers stood idle past their next turn with nothing claimed


def pacer_feed(logs: list[Path]) -> PacerFeed:
    turns = starved = 0
    lost = 0.0
    for log in logs:
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        for match in FEED_LINE.finditer(text):
            turns += int(match[1])
            starved += int(match[2])
            lost += float(match[3])
    return PacerFeed(turns, starved, lost)


class ReminderRequests:
    """The reminder requests the local Discord recorded, counted as they come (not re-read on every look)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._looked = 0
        self.count = 0

    def update(self) -> int:
        requests = self._fake.requests
        self.count += sum(1 for r in requests[self._looked :] if is_reminder_request(r))
        self._looked = len(requests)
        return self.count


def busiest_share(servers: list[Server]) -> int:
    """The posts of the process with the most servers: at its pace (its shards' share of the rate), its last post
    ends the minute, however well the pacer is fed."""
    return max(
        sum(1 for s in servers if owns_community(s.guild_id, SHARD_COUNT, [int(i) for i in shards.split(",")]))
        for shards in PROCESS_SHARDS
    )


async def one_run(postgres: PostgresServer, workdir: Path, count: int) -> tuple[Outcome, PacerFeed, int]:
    name = unique_database_name()
    dsn = postgres.create_database(name)
    async with FakeDiscord() as fake:
        fake.set_rate_limit(RATE_LIMIT)
        servers = add_servers(fake, count, subscribers=0)
        start = (datetime.now(UTC) + timedelta(minutes=50)).replace(second=0, microsecond=0)
        await prepare_many(dsn, servers, weekly_programme(start))
        settings = {"REMINDER_OFFSETS": "1h", "DM_RATE_PER_SECOND": str(DM_RATE), "SHARD_COUNT": str(SHARD_COUNT)}
        seen = ReminderRequests(fake)
        logs = [workdir / f"due{n}.log" for n in range(len(PROCESS_SHARDS))]
        async with contextlib.AsyncExitStack() as processes:
            for n, shard_ids in enumerate(PROCESS_SHARDS):
                await processes.enter_async_context(
                    bot_process(
                        fake, workdir, dsn, guild_id=None, name=f"due{n}", SHARD_IDS=shard_ids,
                        LOG_LEVEL="INFO", LOG_FILE=str(logs[n]), **settings,
                    )
                )  # fmt: skip
            deadline = asyncio.get_running_loop().time() + count / RATE_LIMIT * 3 + 120
            while seen.update() < count:
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
    await asyncio.sleep(0.5)
    postgres.drop_database(name)
    return outcome, pacer_feed(logs), busiest_share(servers)


async def run(*, quick: bool, count: int | None = None) -> list[Figure]:
    count = count or (200 if quick else 10_000)
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        outcome, feed, busiest = await one_run(postgres, Path(folder), count)
    size = f"{count:,} servers x 1 post, {outcome.requests:,} requests, 2 processes x 4 shards, PostgreSQL, one run"
    bound = (outcome.requests - 1) / RATE_LIMIT
    return [
        Figure("reminders due together", "first to last reminder request", size, outcome.elapsed, bound, "s",
               "ratio <= 1.1", "global limit bound at 50 req/s"),
        Figure("reminders due together", "429s served / reminders not exactly once", size,
               float(outcome.rate_limited + outcome.not_once), 1.0, "count", "0", "(zero wanted)"),
        Figure("reminders due together", "first to last reminder request, against the pace alone", size,
               outcome.elapsed, (busiest - 1) / PROCESS_POSTS_PER_SECOND, "s",
               "(reported)", f"the busier process's {busiest:,} posts at its pace"),
        Figure("reminders due together", "pacer turns that waited for the database", size,
               float(feed.starved), float(feed.turns), "turns", "(reported)", "the pacers' turns"),
        Figure("reminders due together", "pacer time lost waiting for the database", size,
               feed.lost, outcome.elapsed, "s", "(reported)", "first to last reminder request"),
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.common import print_table

    print_table(asyncio.run(run(quick=False, count=int(sys.argv[1]))))
