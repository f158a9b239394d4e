"""Start-up at 1,000 and at 10,000 servers: process start to settled (every server's reminders planned, the
processes idle) against process start to READY at the same size, and the resident memory once settled against
one server's. Two processes on one PostgreSQL, each running half the shards (SHARD_COUNT=8: Discord closes a
session that would carry more than 2,500 servers, so 10,000 need more than four shards; the same layout is used at
every size so that the sizes compare).

READY is the later of the two processes' "ready as" log lines (discord.py has every server of its shards);
settled, the later of the moments each process began a second in which it used under 3% of a core. Memory is
the two processes' VmRSS added up (/proc/<pid>/status). The local Discord runs in the benchmark's own process: its
CPU time until READY, against READY, shows whether it held the start back.

Every server has the 12-session programme (Monday 19:00 London, from next week: no reminder is due while
measuring), a reminder channel and two DM subscribers, copied from one prepared server in SQL (``server_copies``).
Each start is on a fresh copy of the prepared database (CREATE DATABASE ... TEMPLATE): a first start after the data
was stored, when every server must be planned.

The memory growth per server is also split by owner: one more start at one server and at the smaller size, with
tracemalloc in the bot processes (benchmarks/_memory.py), apart from the timed starts it would slow down.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import _memory as memory
from benchmarks.common import (
    Figure,
    add_servers,
    bot_process,
    median,
    resident_memory_mib,
    wait_until_idle,
    weekly_programme,
)
from benchmarks.server_copies import prepare_many
from benchmarks.servers_startup import first_monday_evening
from tests.fakediscord import FakeDiscord
from tests.postgres import PostgresServer, quote_identifier, running_postgres, unique_database_name

READY_LINE = "ready as "
SHARD_COUNT = 8
PROCESS_SHARDS = ("0,1,2,3", "4,5,6,7")


@dataclass(frozen=True)
class Start:
    ready_seconds: float
    settled_seconds: float
    rss_mib: float  # both processes, once settled
    fake_cpu_seconds: float  # the local Discord's (this process's) CPU time from start to READY
    traced: memory.TracedMemory | None = None  # both processes' live bytes by owner, in a traced start


class LogFollower:
    """A log file read as it grows (only the new part each time), for one line of text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._tail = ""

    def seen(self, text: str) -> bool:
        if not self.path.exists():
            return False
        with self.path.open("r", encoding="utf-8", errors="replace") as file:
            file.seek(self._offset)
            new = file.read()
            self._offset = file.tell()
        found = text in self._tail + new
        self._tail = new[-len(text) :] if new else self._tail
        return found


async def wait_for(follower: LogFollower, text: str, process: asyncio.subprocess.Process, within: float) -> None:
    deadline = time.perf_counter() + within
    while not follower.seen(text):
        if process.returncode is not None:
            raise RuntimeError(f"the bot exited with {process.returncode} before logging {text!r}")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no {text!r} in {follower.path} within {within} s")
        await asyncio.sleep(0.05)


async def one_start(
    postgres: PostgresServer, fake: FakeDiscord, workdir: Path, template: str, *, traced: bool = False
) -> Start:
    name = unique_database_name()
    postgres.sql(f"CREATE DATABASE {quote_identifier(name)} TEMPLATE {quote_identifier(template)}")
    settings = {"REMINDER_OFFSETS": "1h", "LOG_LEVEL": "INFO", "SHARD_COUNT": str(SHARD_COUNT)}
    try:
        async with contextlib.AsyncExitStack() as stack:
            started, cpu_before = time.perf_counter(), time.process_time()
            processes = []
            for n, shard_ids in enumerate(PROCESS_SHARDS):
                log_file = workdir / f"{name}-{n}.log"
                process = await stack.enter_async_context(
                    bot_process(
                        fake, workdir, postgres.dsn(name), guild_id=None, name=f"{name}-{n}", SHARD_IDS=shard_ids,
                        LOG_FILE=str(log_file), **settings,
                        **(memory.traced_bot(workdir, f"{name}-{n}") if traced else {}),
                    )
                )  # fmt: skip
                processes.append((process, LogFollower(log_file)))
            await asyncio.gather(*(wait_for(f, READY_LINE, p, within=300) for p, f in processes))
            ready = time.perf_counter() - started
            fake_cpu = time.process_time() - cpu_before
            quiet_from = await asyncio.gather(*(wait_until_idle(p.pid, within=300) for p, _ in processes))
            settled = max(quiet_from) - started
            rss = sum(resident_memory_mib(p.pid)[0] for p, _ in processes)
            names = [f"{name}-{n}" for n in range(len(processes))]
            found = await memory.traced_memories(workdir, names, [p.pid for p, _ in processes]) if traced else None
    finally:
        await asyncio.sleep(0.5)  # the server notices the bot's connections closing before the drop
        postgres.drop_database(name)
    return Start(ready, settled, rss, fake_cpu, found)


async def starts(
    postgres: PostgresServer, workdir: Path, count: int, repeats: int, *, traced: bool = False
) -> list[Start]:
    """``repeats`` timed starts, then (``traced``) one with tracemalloc, last in the list."""
    async with FakeDiscord() as fake:
        servers = add_servers(fake, count, subscribers=2)
        template = unique_database_name()
        await prepare_many(postgres.create_database(template), servers, weekly_programme(first_monday_evening()))
        try:
            timed = [await one_start(postgres, fake, workdir, template) for _ in range(repeats)]
            return timed + ([await one_start(postgres, fake, workdir, template, traced=True)] if traced else [])
        finally:
            postgres.drop_database(template)


async def run(*, quick: bool) -> list[Figure]:
    small, large, repeats = (50, 500, 1) if quick else (1000, 10_000, 1)
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        workdir = Path(folder)
        *one, one_traced = await starts(postgres, workdir, 1, repeats, traced=True)
        *at_small, small_traced = await starts(postgres, workdir, small, repeats, traced=True)
        at_large = await starts(postgres, workdir, large, repeats)

    def size(count: int) -> str:
        return (
            f"{count:,} servers (12 sessions, 2 subscribers each), 2 processes x 4 shards, PostgreSQL, "
            f"median of {repeats}"
        )

    def settled(found: list[Start]) -> float:
        return median([s.settled_seconds for s in found])

    def ready(found: list[Start]) -> float:
        return median([s.ready_seconds for s in found])

    def rss(found: list[Start]) -> float:
        return median([s.rss_mib for s in found])

    def fake_cpu(found: list[Start]) -> float:
        return median([s.fake_cpu_seconds for s in found])

    def traced(found: Start) -> memory.TracedMemory:
        assert found.traced is not None
        return found.traced

    def growth_kib(found: list[Start], count: int) -> float:
        return (rss(found) - rss(one)) * 1024 / count

    return [
        Figure("settle, many servers", "process start to settled", size(small), settled(at_small), ready(at_small),
               "s", "ratio <= 1.5", "process start to READY"),
        Figure("settle, many servers", "process start to settled", size(large), settled(at_large), ready(at_large),
               "s", "ratio <= 1.5", "process start to READY"),
        Figure("settle, many servers", f"settled at {large:,} against at {small:,}", size(large), settled(at_large),
               settled(at_small), "s", f"ratio <= {large // small}", f"settled at {small:,}"),
        Figure("settle, many servers", "resident memory once settled (VmRSS, both processes)", size(small),
               rss(at_small), rss(one), "MiB", "(reported)", "1 server"),
        Figure("settle, many servers", "resident memory once settled (VmRSS, both processes)", size(large),
               rss(at_large), rss(one), "MiB", "(reported)", "1 server"),
        Figure("settle, many servers", "memory growth per server once settled", size(small),
               growth_kib(at_small, small), 2.0, "KiB", "ratio <= 1 (beyond the programmes)", "2 KiB aim"),
        Figure("settle, many servers", "memory growth per server once settled", size(large),
               growth_kib(at_large, large), 2.0, "KiB", "ratio <= 1 (beyond the programmes)", "2 KiB aim"),
        Figure("settle, many servers", "the local Discord's CPU time, start to READY", size(large),
               fake_cpu(at_large), ready(at_large), "s", "ratio well under 1 (not the bottleneck)",
               "process start to READY"),
        *memory.growth_figures("settle, many servers", size(small) + ", traced apart", small,
                               one=traced(one_traced), many=traced(small_traced),
                               rss_growth_kib=growth_kib(at_small, small)),
    ]  # fmt: skip
