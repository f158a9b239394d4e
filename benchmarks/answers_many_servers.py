"""/answer submits from 200 members at once spread over 100 servers: on PostgreSQL against SQLite (p99), and the
answers committed per second by 2 processes against 1 on PostgreSQL.

Each server has the 12-session programme and two members; every member opens the answer form in their own server
(forms opened beforehand, as people type), then all submit at once. Latency is INTERACTION_CREATE to the bot's
first callback at the local Discord, the bot its own process(es), global commands. Throughput is the answers of a
round over the time from the first submit to the last confirmation. Two processes share SHARD_COUNT=2 (one shard
each); one process runs both shards. With one writer per community on PostgreSQL, answers in different servers
commit side by side, within a process and across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    Figure,
    Server,
    add_servers,
    bot_process,
    median,
    percentile,
    prepare_servers,
    wait_until_idle,
    weekly_programme,
)
from benchmarks.latency import ANSWER_FIELD, latencies
from benchmarks.servers_settle import LogFollower, wait_for
from benchmarks.servers_startup import first_monday_evening
from tests.fakediscord import FakeDiscord
from tests.postgres import PostgresServer, running_postgres, unique_database_name

SERVERS = 100
MEMBERS_EACH = 2
READY_LINE = "ready as "


async def rounds_of_answers(fake: FakeDiscord, servers: list[Server], rounds: int) -> tuple[list[float], list[float]]:
    """Submit latencies (ms) of every round, and each round's answers per second."""
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
            await asyncio.gather(*(form.wait_modal(timeout=60) for form in batch))
            forms += batch
        began = time.perf_counter()
        submissions = await asyncio.gather(
            *(
                fake.submit_modal(
                    form, {ANSWER_FIELD: f"Round {round_number}: member {n} thinks audits should be local."}
                )
                for n, form in enumerate(forms)
            )
        )
        await asyncio.gather(*(s.final(timeout=60) for s in submissions))
        per_second.append(len(submissions) / (time.perf_counter() - began))
        answer_ms += latencies(list(submissions))
    return answer_ms, per_second


async def measured(
    workdir: Path, database: Path | str, processes: tuple[str | None, ...], rounds: int
) -> tuple[list[float], list[float]]:
    """Latencies and rates on a fresh bot of ``len(processes)`` processes (their SHARD_IDS; None: no sharding)."""
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
            return await rounds_of_answers(fake, servers, rounds)


async def run(*, quick: bool) -> list[Figure]:
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        workdir = Path(folder)
        sqlite_ms, _ = await measured(workdir, workdir / "bot.sqlite3", (None,), rounds)
        postgres_ms, _ = await measured(workdir, fresh(postgres), (None,), rounds)
        _, one_rate = await measured(workdir, fresh(postgres), ("0,1",), rounds)
        _, two_rate = await measured(workdir, fresh(postgres), ("0", "1"), rounds)
    size = f"{SERVERS * MEMBERS_EACH} members at once over {SERVERS} servers x {rounds} rounds"
    return [
        Figure("answers, many servers", "/answer submit p99, PostgreSQL", size, percentile(postgres_ms, 99),
               percentile(sqlite_ms, 99), "ms", "ratio <= 1.0", "SQLite"),
        Figure("answers, many servers", "/answer submit p50, PostgreSQL", size, percentile(postgres_ms, 50),
               percentile(sqlite_ms, 50), "ms", "(reported)", "SQLite"),
        Figure("answers, many servers", "answers committed per second, 2 processes x 1 shard", size,
               median(two_rate), median(one_rate), "/s", "ratio >= 1.6", "1 process x 2 shards"),
    ]  # fmt: skip


def fresh(postgres: PostgresServer) -> str:
    return postgres.create_database(unique_database_name())
