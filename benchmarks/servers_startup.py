"""Start-up with 1,000 servers against one server: process start to the bot's READY (its "ready as" log line,
once discord.py has every server), and the process's resident memory then (VmRSS and its peak VmHWM, from
/proc/<pid>/status). After READY the bot still plans every server's reminders (database work, no requests to
Discord): so also process start to settled (the first second in which it used under 3% of a core), and its
peak memory then. One process on PostgreSQL, no development server (global commands).

Every server has the 12-session programme (Monday 19:00 London, from next week: no reminder is due), a
reminder channel and two DM subscribers. Each start is on a fresh copy of the prepared database (CREATE
DATABASE ... TEMPLATE), so every start is a first start after the data was stored. The local Discord also holds
its default server, idle, in both cases.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.common import (
    Figure,
    add_servers,
    bot_process,
    median,
    prepare_servers,
    resident_memory_mib,
    wait_for_line,
    wait_until_idle,
    weekly_programme,
)
from tests.fakediscord import FakeDiscord
from tests.postgres import PostgresServer, quote_identifier, running_postgres, unique_database_name

LONDON = ZoneInfo("Europe/London")
READY_LINE = "ready as "


@dataclass(frozen=True)
class Start:
    seconds: float  # to READY
    rss_mib: float  # at READY
    hwm_mib: float
    settled_seconds: float
    settled_hwm_mib: float


def first_monday_evening() -> datetime:
    """Monday 19:00 London, at least two days ahead (no 1 h reminder falls due while measuring)."""
    day = datetime.now(LONDON).date() + timedelta(days=2)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 19, tzinfo=LONDON).astimezone(UTC)


async def prepared_template(postgres: PostgresServer, fake: FakeDiscord, count: int) -> str:
    name = unique_database_name()
    dsn = postgres.create_database(name)
    await prepare_servers(dsn, add_servers(fake, count, subscribers=2), weekly_programme(first_monday_evening()))
    return name


async def one_start(postgres: PostgresServer, fake: FakeDiscord, workdir: Path, template: str) -> Start:
    name = unique_database_name()
    postgres.sql(f"CREATE DATABASE {quote_identifier(name)} TEMPLATE {quote_identifier(template)}")
    log_file = workdir / f"{name}.log"
    settings = {"REMINDER_OFFSETS": "1h", "LOG_LEVEL": "INFO", "LOG_FILE": str(log_file)}
    try:
        started = time.perf_counter()
        async with bot_process(fake, workdir, postgres.dsn(name), guild_id=None, name=name, **settings) as process:
            await wait_for_line(log_file, READY_LINE, within=300, process=process)
            seconds = time.perf_counter() - started
            rss, hwm = resident_memory_mib(process.pid)
            settled = await wait_until_idle(process.pid, within=300) - started
            _rss, settled_hwm = resident_memory_mib(process.pid)
    finally:
        await asyncio.sleep(0.5)  # the server notices the bot's connections closing before the drop
        postgres.drop_database(name)
    return Start(seconds, rss, hwm, settled, settled_hwm)


async def starts(postgres: PostgresServer, workdir: Path, count: int, repeats: int) -> list[Start]:
    async with FakeDiscord() as fake:
        template = await prepared_template(postgres, fake, count)
        return [await one_start(postgres, fake, workdir, template) for _ in range(repeats)]


async def run(*, quick: bool) -> list[Figure]:
    count, repeats = (100, 2) if quick else (1000, 5)
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        workdir = Path(folder)
        one = await starts(postgres, workdir, 1, repeats)
        many = await starts(postgres, workdir, count, repeats)
    size = f"{count:,} servers (12 sessions, 2 subscribers each), PostgreSQL, median of {repeats}"
    return [
        Figure("start-up, many servers", "process start to READY", size, median([s.seconds for s in many]),
               median([s.seconds for s in one]), "s", "ratio <= 2", "1 server"),
        Figure("start-up, many servers", "resident memory at READY (VmRSS)", size,
               median([s.rss_mib for s in many]), median([s.rss_mib for s in one]), "MiB", "(reported)", "1 server"),
        Figure("start-up, many servers", "peak resident memory at READY (VmHWM)", size,
               median([s.hwm_mib for s in many]), median([s.hwm_mib for s in one]), "MiB", "(reported)", "1 server"),
        Figure("start-up, many servers", "process start to settled (every server planned)", size,
               median([s.settled_seconds for s in many]), median([s.settled_seconds for s in one]), "s",
               "(reported)", "1 server"),
        Figure("start-up, many servers", "peak resident memory once settled (VmHWM)", size,
               median([s.settled_hwm_mib for s in many]), median([s.settled_hwm_mib for s in one]), "MiB",
               "(reported)", "1 server"),
    ]  # fmt: skip
