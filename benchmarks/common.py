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
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.programme import Programme, Session
from bot.domain.server_settings import ServerDefaults
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import open_database
from bot.storage.reminders import ReminderRepository
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
    fake: FakeDiscord,
    workdir: Path,
    database: Path | str,
    *,
    module: str = "bot",
    guild_id: int | None = GUILD_ID,
    name: str = "",
    **settings: str,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot as its own process, against ``fake``, over ``database``; SIGTERM on leaving the block.

    ``database`` is a SQLite file or a ``postgresql://`` URL (DATABASE_URL). ``settings`` are extra .env lines
    (``DM_RATE_PER_SECOND="24"``); ``module`` another entry point taking the .env file (``benchmarks.bot_process``
    adds the no-op baseline command). ``guild_id`` None: no development server (global commands, every server
    the bot is in). ``name`` tells apart the .env files of several processes in one folder.
    """
    values = {
        "DISCORD_TOKEN": "benchmark-token",
        **({"GUILD_ID": str(guild_id)} if guild_id is not None else {}),
        **({"DATABASE_URL": database} if isinstance(database, str) else {"DATABASE_PATH": str(database)}),
        "LOG_LEVEL": "WARNING",
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        **settings,
    }
    env_file = workdir / f"{name}.env"
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


@dataclass(frozen=True)
class Server:
    """One community of a many-server benchmark: its Discord server, reminder channel and DM subscribers."""

    guild_id: int
    reminder_channel_id: int
    subscriber_ids: tuple[int, ...]


def add_servers(fake: FakeDiscord, count: int, *, subscribers: int) -> list[Server]:
    """``count`` servers in the local Discord (silently, before the bot connects), each with a #reminders
    channel and ``subscribers`` members of its own."""
    guilds = fake.world.add_guilds(count, channels=("general", "reminders"))
    return [
        Server(
            guild.id,
            fake.channel_in(guild, "reminders").id,
            tuple(fake.add_member(f"g{guild.id}-m{k}", guild=guild).id for k in range(subscribers)),
        )
        for guild in guilds
    ]


def weekly_programme(first_start: datetime, sessions: int = 12) -> Programme:
    """The synthetic programme with its sessions a week apart from ``first_start``, two hours each."""
    programme = synthetic_programme(sessions)
    return dataclasses.replace(
        programme,
        sessions=tuple(
            dataclasses.replace(session, start=start, end=start + timedelta(hours=2))
            for session, start in ((s, first_start + timedelta(weeks=n)) for n, s in enumerate(programme.sessions))
        ),
    )


async def prepare_servers(database: Path | str, servers: Sequence[Server], programme: Programme) -> None:
    """Each server's programme, reminder channel and DM subscribers, through the services and repositories
    (what /import, /setup and /remind would store, without a thousand slash commands)."""
    subscribed_at = datetime.now(UTC) - timedelta(days=1)
    async with open_database(database) as db:
        programmes = ProgrammeService(db)
        settings = ServerSettingsService(db, ServerDefaults())
        subscriptions = ReminderRepository(db)
        for server in servers:
            await programmes.import_programme(server.guild_id, programme)
            await settings.update(server.guild_id, reminder_channel_id=server.reminder_channel_id)
            for member_id in server.subscriber_ids:
                await subscriptions.subscribe(server.guild_id, member_id, subscribed_at)


async def wait_for_line(path: Path, text: str, *, within: float, process: asyncio.subprocess.Process) -> None:
    """Wait until the log file at ``path`` has a line containing ``text`` (polled every 10 ms)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        if process.returncode is not None:
            raise RuntimeError(f"the bot exited with {process.returncode} before logging {text!r}")
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no {text!r} in {path} within {within} s")
        await asyncio.sleep(0.01)


def resident_memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process from /proc/<pid>/status, in MiB: resident now, and its peak."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # kB
    return fields["VmRSS"], fields["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used, from /proc/<pid>/stat (utime and stime)."""
    after_name = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


async def wait_until_idle(pid: int, *, within: float, window: float = 1.0, busy: float = 0.03) -> float:
    """Wait until the process used under ``busy`` of a core over the last ``window`` seconds (sampled every
    0.05 s); returns the perf_counter time at which that quiet window began (when its work was done)."""
    deadline = time.perf_counter() + within
    samples = [(time.perf_counter(), cpu_seconds(pid))]
    while True:
        await asyncio.sleep(0.05)
        now = time.perf_counter()
        samples.append((now, cpu_seconds(pid)))
        while len(samples) > 1 and now - samples[1][0] >= window:
            samples.pop(0)  # keep the oldest sample at least ``window`` old
        start, used = samples[0]
        if now - start >= window and samples[-1][1] - used < busy * (now - start):
            return start
        if now > deadline:
            raise TimeoutError(f"process {pid} was still busy after {within} s")


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
