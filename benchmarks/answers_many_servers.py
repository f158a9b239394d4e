"""/answer submits from 200 members at once spread over 100 servers: on PostgreSQL against SQLite (p99), and the
answers committed per second by 2 processes against 1 on PostgreSQL.

Each server has the 12-session programme and two members; every member opens the answer form in their own server
(forms opened beforehand, as people type), then all submit at once. Latency is INTERACTION_CREATE to the bot's
first callback at the local Discord, the bot its own process(es), global commands. Throughput is the answers of a
round over the time from the first submit to the last confirmation. Two processes share SHARD_COUNT=2 (one shard
each); one process runs both shards. With one writer per community on PostgreSQL, answers in different servers
commit side by side, within a process and across processes.

What limits the rates is read from the CPU each process used while the answers were submitted (per answer: the bot
process or processes, the PostgreSQL server's processes, and this process, which is the local Discord and the
driver), and what one answer costs the database from the round trips counted on the wire (``benchmarks._wire``):
counts that do not depend on the machine's load.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks._wire import counting
from benchmarks.common import (
    Figure,
    Server,
    add_servers,
    bot_process,
    cpu_seconds,
    median,
    percentile,
    prepare_servers,
    wait_until_idle,
    weekly_programme,
)
from benchmarks.latency import ANSWER_FIELD, latencies
from benchmarks.servers_settle import LogFollower, wait_for
from benchmarks.servers_startup import first_monday_evening
from bot.services.answers import AnswerService
from bot.storage.engine import open_database
from tests.fakediscord import FakeDiscord
from tests.postgres import PostgresServer, running_postgres, unique_database_name

SERVERS = 100
MEMBERS_EACH = 2
READY_LINE = "ready as "
COUNTED_SERVERS = 20  # round trips are counted over this many servers' answers (the count is the same for each)


@dataclass(frozen=True)
class CpuPerAnswer:
    """CPU milliseconds per answer submitted, by process."""

    bots: float  # the bot process, or both together
    postgres: float  # the PostgreSQL server's processes (0 on SQLite)
    local_discord: float  # this process: the local Discord and the driver


class CpuMeter:
    """CPU time of the bot processes, the PostgreSQL server and this process, summed over the measured phases."""

    def __init__(self, bot_pids: list[int], postgres: PostgresServer | None) -> None:
        self._bot_pids = bot_pids
        self._postgres = postgres
        self.bots = self.postgres = self.local = 0.0
        self._start: tuple[float, float, float] | None = None

    def _now(self) -> tuple[float, float, float]:
        bots = sum(cpu_seconds(pid) for pid in self._bot_pids)
        return bots, postgres_cpu_seconds(self._postgres) if self._postgres else 0.0, time.process_time()

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> None:
        assert self._start is not None
        now = self._now()
        self.bots += now[0] - self._start[0]
        self.postgres += now[1] - self._start[1]
        self.local += now[2] - self._start[2]

    def per_answer(self, answers: int) -> CpuPerAnswer:
        scale = 1000 / max(answers, 1)
        return CpuPerAnswer(self.bots * scale, self.postgres * scale, self.local * scale)


def postgres_cpu_seconds(server: PostgresServer) -> float:
    """CPU time of the server's postmaster and every process it started (one backend per connection)."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text(encoding="ascii").split()[0])
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            pid = int(stat.parent.name)
            if pid == postmaster or int(stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()[1]) == postmaster:
                total += cpu_seconds(pid)
    return total


async def rounds_of_answers(
    fake: FakeDiscord, servers: list[Server], rounds: int, meter: CpuMeter | None = None
) -> tuple[list[float], list[float]]:
    """Submit latencies (ms) of every round, and each round's answers per second; ``meter`` measures the submits."""
    members = [(member_id, server.reminder_channel_id) for server in servers for member_id in server.subscriber_ids]
    answer_ms: list[float] = []
    per_second: list[float] = []
    for round_number in range(rounds):
        forms = []
        for start in range(0, len(members), 25):
            batch = [
                await fake.slash(member_id, "answer", in_channel=channel_id, week=8, prompt=1)
                for member_id, channel_id in members[start : start + 25]
            ]
            for form in batch:
                await form.wait_modal(timeout=60)
            forms += batch
        if meter:
            meter.start()
        began = time.perf_counter()
        submissions = await asyncio.gather(
            *(
                fake.submit_modal(
                    form, {ANSWER_FIELD: f"Round {round_number}: member {n} thinks audits should be local."}
                )
                for n, form in enumerate(forms)
            )
        )
        # One waiter at a time: the local Discord wakes every waiter at every request, and 200 waiters at once
        # cost its process (which shares the 2 cores with the bot) more CPU than serving the requests did. The
        # confirmations arrive meanwhile all the same; latencies are the times the local Discord recorded.
        for submission in submissions:
            await submission.final(timeout=60)
        per_second.append(len(submissions) / (time.perf_counter() - began))
        if meter:
            meter.stop()
        answer_ms += latencies(list(submissions))
    return answer_ms, per_second


async def measured(
    workdir: Path,
    database: Path | str,
    processes: tuple[str | None, ...],
    rounds: int,
    postgres: PostgresServer | None = None,
) -> tuple[list[float], list[float], CpuPerAnswer]:
    """Latencies, rates and CPU per answer on a fresh bot of ``len(processes)`` processes (their SHARD_IDS; None: no
    sharding); ``postgres``: the server whose CPU to count."""
    async with FakeDiscord() as fake:
        fake.interaction_ack_deadline = None  # measured here, not enforced
        servers = add_servers(fake, SERVERS, subscribers=MEMBERS_EACH)
        await prepare_servers(database, servers, weekly_programme(first_monday_evening()))
        async with contextlib.AsyncExitStack() as stack:
            started = []
            for n, shard_ids in enumerate(processes):
                log_file = workdir / f"answers-{n}-{time.monotonic_ns()}.log"
                shards = {"SHARD_COUNT": "2", "SHARD_IDS": shard_ids} if shard_ids is not None else {}
                process = await stack.enter_async_context(
                    bot_process(
                        fake, workdir, database, module="benchmarks.bot_process", guild_id=None, name=f"answers-{n}",
                        LOG_LEVEL="INFO", LOG_FILE=str(log_file), **shards,
                    )
                )  # fmt: skip
                started.append((process, LogFollower(log_file)))
            await asyncio.gather(*(wait_for(f, READY_LINE, p, within=120) for p, f in started))
            await asyncio.gather(*(wait_until_idle(p.pid, within=120) for p, _ in started))  # start-up is done
            meter = CpuMeter([p.pid for p, _ in started], postgres)
            answer_ms, per_second = await rounds_of_answers(fake, servers, rounds, meter)
            return answer_ms, per_second, meter.per_answer(len(answer_ms))


async def round_trips_per_answer(postgres: PostgresServer) -> dict[str, float]:
    """Round trips to PostgreSQL per answer form opened and per answer submitted (a first answer, a changed one,
    the same text again), through the answer service as the bot builds it, and for one plain read."""
    dsn = fresh(postgres)
    servers = [Server(10**17 + n, 10**17 + 10**4 + n, (10**17 + 2 * 10**4 + n,)) for n in range(COUNTED_SERVERS)]
    await prepare_servers(dsn, servers, weekly_programme(first_monday_evening()))
    async with counting(postgres.host, postgres.port) as wire, open_database(wire.dsn(dsn, postgres.port)) as db:
        answers = AnswerService(db)
        prompts: dict[int, int] = {}
        for server in servers:
            prompt_id = await answers.prompt_id(server.guild_id, 8, 1)
            assert prompt_id is not None
            prompts[server.guild_id] = prompt_id
            # Every pooled connection prepares the statements, as in a running bot.
            await answers.submit(prompt_id, 1, "warm-up", community_id=server.guild_id)
        counted: dict[str, float] = {}

        async def count(name: str, step: Callable[[Server], Awaitable[object]]) -> None:
            before = wire.round_trips
            for server in servers:
                await step(server)
            counted[name] = (wire.round_trips - before) / len(servers)

        def submit(text: str) -> Callable[[Server], Awaitable[object]]:
            return lambda s: answers.submit(prompts[s.guild_id], s.subscriber_ids[0], text, community_id=s.guild_id)

        await count("form", lambda s: answers.form(prompts[s.guild_id], s.subscriber_ids[0], community_id=s.guild_id))
        await count("first answer", submit("first"))
        await count("changed answer", submit("changed"))
        await count("same text again", submit("changed"))
        await count(
            "a plain read", lambda s: db.fetchval("SELECT COUNT(*) FROM consents WHERE community_id = ?", (s.guild_id,))
        )
    return counted


async def run(*, quick: bool) -> list[Figure]:
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        workdir = Path(folder)
        trips = await round_trips_per_answer(postgres)
        sqlite_ms, _, sqlite_cpu = await measured(workdir, workdir / "bot.sqlite3", (None,), rounds)
        postgres_ms, _, _ = await measured(workdir, fresh(postgres), (None,), rounds, postgres)
        _, one_rate, one_cpu = await measured(workdir, fresh(postgres), ("0,1",), rounds, postgres)
        _, two_rate, two_cpu = await measured(workdir, fresh(postgres), ("0", "1"), rounds, postgres)
    size = f"{SERVERS * MEMBERS_EACH} members at once over {SERVERS} servers x {rounds} rounds"
    counted = f"{COUNTED_SERVERS} servers, one member each, through the answer service"
    cores = f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end"
    one = one_cpu.bots
    return [
        Figure("answers, many servers", "/answer submit p99, PostgreSQL", size, percentile(postgres_ms, 99),
               percentile(sqlite_ms, 99), "ms", "ratio <= 1.0", "SQLite"),
        Figure("answers, many servers", "/answer submit p50, PostgreSQL", size, percentile(postgres_ms, 50),
               percentile(sqlite_ms, 50), "ms", "(reported)", "SQLite"),
        Figure("answers, many servers", "answers committed per second, 2 processes x 1 shard", size,
               median(two_rate), median(one_rate), "/s", "ratio >= 1.6", "1 process x 2 shards"),
        Figure("answers, many servers", "bot CPU per answer submitted, PostgreSQL, 1 process", cores,
               one, sqlite_cpu.bots, "ms", "(reported)", "the bot on SQLite"),
        Figure("answers, many servers", "bot CPU per answer submitted, 2 processes together", cores,
               two_cpu.bots, one, "ms", "(reported)", "1 process"),
        Figure("answers, many servers", "PostgreSQL server CPU per answer submitted, 1 process", cores,
               one_cpu.postgres, one, "ms", "(reported)", "the bot process"),
        Figure("answers, many servers", "local Discord and driver CPU per answer submitted, 1 process", cores,
               one_cpu.local_discord, one, "ms", "(reported)", "the bot process"),
        *(
            Figure("answers, many servers", f"PostgreSQL round trips per {name}", counted, trips[name],
                   trips["a plain read"], "trips", "(reported)", "a plain read")
            for name in ("form", "first answer", "changed answer", "same text again")
        ),
    ]  # fmt: skip


def fresh(postgres: PostgresServer) -> str:
    return postgres.create_database(unique_database_name())
