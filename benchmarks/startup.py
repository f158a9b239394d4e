"""Start-up: process start to READY with 1,000 sessions and 100,000 answers, against an empty database."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import Figure, bot_process, median, populate
from tests.fakediscord import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[1]


async def time_to_ready(database: Path, workdir: Path) -> float:
    async with FakeDiscord() as fake:
        started = time.perf_counter()
        async with bot_process(fake, workdir, database):
            await fake.wait_until_ready(timeout=120)
            return time.perf_counter() - started


async def run(*, quick: bool) -> list[Figure]:
    repeats = 3 if quick else 5
    sizes = [(1000, 10_000)] if quick else [(1000, 100_000)]
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        empty = workdir / "empty.sqlite3"
        for sessions, answers in sizes:
            full = workdir / f"full-{answers}.sqlite3"
            await populate(full, sessions=sessions, answers=answers)
            baseline_times, full_times = [], []
            for _ in range(repeats):
                empty.unlink(missing_ok=True)
                for suffix in ("-wal", "-shm", ".lock"):
                    Path(str(empty) + suffix).unlink(missing_ok=True)
                # The empty baseline imports data/programme.toml on first start, as a new deployment does.
                baseline_times.append(await time_to_ready(empty, workdir))
                full_times.append(await time_to_ready(full, workdir))
            figures.append(
                Figure(
                    benchmark="start-up",
                    measure="process start to READY (median)",
                    size=f"{sessions:,} sessions, {answers:,} answers",
                    value=median(full_times),
                    baseline=median(baseline_times),
                    unit="s",
                    aim="ratio <= 1.5",
                    baseline_name="empty database",
                )
            )
    return figures
