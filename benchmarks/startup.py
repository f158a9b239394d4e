"""Start-up: process start to READY with 1,000 sessions and 100,000 answers, against an empty database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import GUILD_ID, Figure, median, populate
from tests.fakediscord import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[1]


async def time_to_ready(database: Path, workdir: Path) -> float:
    async with FakeDiscord() as fake:
        env_file = workdir / ".env"
        env_file.write_text(
            f"DISCORD_TOKEN=benchmark-token\nGUILD_ID={GUILD_ID}\nDATABASE_PATH={database}\nLOG_LEVEL=WARNING\n"
            f"DISCORD_API_BASE={fake.api_base}\nDISCORD_GATEWAY_URL={fake.gateway_url}\n",
            encoding="utf-8",
        )
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_"))}
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--env-file", str(env_file),
            cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await fake.wait_until_ready(timeout=120)
            elapsed = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    return elapsed


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
