"""/answer submits from 200 members at once on PostgreSQL, against the same on SQLite (the embedded default).

The same measurement as ``benchmarks.latency`` (INTERACTION_CREATE to the bot's first callback, the bot its own
process), once per engine in each repeat, the engines alternating so that the machine's noise falls on both.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import Figure, bot_process, median, percentile
from benchmarks.latency import MEMBERS, one_run
from tests.fakediscord import FakeDiscord
from tests.postgres import running_postgres, unique_database_name


async def answer_latencies(workdir: Path, database: Path | str, rounds: int) -> list[float]:
    """Submit latencies (ms) of ``rounds`` rounds of every member answering at once, on a fresh bot."""
    async with FakeDiscord() as fake:
        fake.interaction_ack_deadline = None  # measured here, not enforced
        names = [f"member{n:03}" for n in range(MEMBERS)]
        for name in names:
            fake.add_member(name)
        async with bot_process(fake, workdir, database, module="benchmarks.bot_process"):
            await fake.wait_until_ready(timeout=60)
            await fake.wait_for_commands(timeout=60)
            answer_ms: list[float] = []
            for round_number in range(rounds):
                measured, _noop = await one_run(fake, names, round_number)
                answer_ms += measured
    return answer_ms


async def run(*, quick: bool) -> list[Figure]:
    repeats, rounds = (1, 2) if quick else (3, 3)
    sqlite_p99: list[float] = []
    postgres_p99: list[float] = []
    sqlite_p50: list[float] = []
    postgres_p50: list[float] = []
    with tempfile.TemporaryDirectory() as folder, running_postgres() as postgres:
        workdir = Path(folder)
        for repeat in range(repeats):
            sqlite_ms = await answer_latencies(workdir, workdir / f"bot-{repeat}.sqlite3", rounds)
            name = unique_database_name()
            postgres_ms = await answer_latencies(workdir, postgres.create_database(name), rounds)
            postgres.drop_database(name)
            sqlite_p99.append(percentile(sqlite_ms, 99))
            postgres_p99.append(percentile(postgres_ms, 99))
            sqlite_p50.append(percentile(sqlite_ms, 50))
            postgres_p50.append(percentile(postgres_ms, 50))
    size = f"{MEMBERS} members at once x {rounds} rounds, median of {repeats} runs"
    return [
        Figure("answers on PostgreSQL", "/answer submit p99", size, median(postgres_p99), median(sqlite_p99), "ms",
               "ratio <= 1.5", "SQLite"),
        Figure("answers on PostgreSQL", "/answer submit p50", size, median(postgres_p50), median(sqlite_p50), "ms",
               "(reported)", "SQLite"),
    ]  # fmt: skip
