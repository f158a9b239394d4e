"""What every benchmark shares: figures with their baselines, data set-up, the table and the JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import signal
import statistics
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.programme import Programme, Session
from bot.services.programme import ProgrammeService
from bot.storage.engine import open_database
from tests.fakediscord import FakeDiscord

GUILD_ID = 100000000000000001
REPO_ROOT = Path(__file__).resolve().parents[1]
FIRST_START = datetime(2030, 1, 7, 19, tzinfo=UTC)
# A large movement's membership, fixed while answers grow. Prime, so that with any prompt count no member
# answers the same prompt twice through the form (one current answer per member per prompt).
MEMBERS = 5003


@dataclass(frozen=True)
class Figure:
    """One measurement next to its baseline. ``ratio`` is value / baseline; ``aim`` the ratio wanted."""

    benchmark: str
    measure: str
    size: str
    value: float
    baseline: float
    unit: str
    aim: str
    baseline_name: str

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    def to_json(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "ratio": round(self.ratio, 3)}


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def synthetic_programme(sessions: int, prompts_per_session: int = 3) -> Programme:
    return Programme(
        title="Benchmark programme",
        timezone="Europe/London",
        sessions=tuple(
            Session(
                week=n,
                title=f"Session {n}",
                start=FIRST_START + timedelta(weeks=n),
                end=FIRST_START + timedelta(weeks=n, hours=2),
                location="Zoom",
                description=f"Session {n} of the benchmark programme.",
                prompts=tuple(f"Question {k} of session {n}?" for k in range(1, prompts_per_session + 1)),
            )
            for n in range(1, sessions + 1)
        ),
    )


async def populate(path: Path, *, sessions: int, answers: int, seed: int = 7) -> list[int]:
    """A database with a programme of ``sessions`` sessions and ``answers`` answers; returns the prompt ids."""
    async with open_database(path) as db:
        service = ProgrammeService(db)
        await service.import_programme(GUILD_ID, synthetic_programme(sessions))
        programme = await service.require(GUILD_ID)
        prompt_ids = [p.id for s in programme.sessions for p in s.prompts]
        rng = random.Random(seed)
        stamp = "2030-01-07T20:00:00.000000Z"
        # Benchmark fixtures write rows directly: the fastest way to a large, realistic table.
        rows = [
            (GUILD_ID, prompt_ids[i % len(prompt_ids)], 10**17 + i % MEMBERS, "modal" if i % 4 else "thread",
             (10**18 + i) if i % 4 == 0 else None, f"answer {i} " + "words " * rng.randint(5, 60), stamp, stamp)
            for i in range(answers)
        ]  # fmt: skip
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO answers (community_id, prompt_id, user_id, source, message_id, text, created_at, "
                "updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [r for r in rows if r[3] == "thread"] + [r for r in rows if r[3] == "modal"],
            )
    return prompt_ids


@asynccontextmanager
async def bot_process(
    fake: FakeDiscord, workdir: Path, database: Path, *, module: str = "bot", **settings: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot as its own process, against ``fake``, over ``database``; SIGTERM on leaving the block.

    ``settings`` are extra .env lines (``DM_RATE_PER_SECOND="24"``); ``module`` another entry point
    taking the .env file (``benchmarks.bot_process`` adds the no-op baseline command).
    """
    values = {
        "DISCORD_TOKEN": "benchmark-token",
        "GUILD_ID": str(GUILD_ID),
        "DATABASE_PATH": str(database),
        "LOG_LEVEL": "WARNING",
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        **settings,
    }
    env_file = workdir / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    arguments = ["run", "--env-file", str(env_file)] if module == "bot" else [str(env_file)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *arguments,
        cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await process.wait()


def print_table(figures: Sequence[Figure]) -> None:
    headers = ("benchmark", "measure", "size", "value", "baseline", "ratio", "aim")
    rows = [
        (
            f.benchmark,
            f.measure,
            f.size,
            f"{f.value:,.3f} {f.unit}",
            f"{f.baseline:,.3f} {f.unit} ({f.baseline_name})",
            f"{f.ratio:.2f}",
            f.aim,
        )
        for f in figures
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def write_json(figures: Sequence[Figure], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"measured_at": datetime.now(UTC).isoformat(), "figures": [f.to_json() for f in figures]}
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
