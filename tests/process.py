"""The bot as a real process (`python -m bot run` with a .env), for smoke and fault-injection tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.fakediscord import GUILD_ID, FakeDiscord

TOKEN = "MTIzNDU2.fake-token-for-process-tests.abcdef"

# Every bot process a test started, so a failing test cannot leave one running (see tests/conftest.py).
SPAWNED: list[asyncio.subprocess.Process] = []


def kill_leftovers() -> None:
    while SPAWNED:
        process = SPAWNED.pop()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()


class BotProcess:
    """Start, stop, SIGKILL and restart the bot over one database and one .env."""

    def __init__(self, fake: FakeDiscord, folder: Path, **settings: str) -> None:
        self.fake = fake
        self.folder = folder
        self.database = folder / "bot.sqlite3"
        # DATABASE_URL (PostgreSQL) when given, else the SQLite file above: what the bot opens.
        self.database_url: str | None = settings.get("DATABASE_URL")
        self.log_file = folder / "bot.log"
        self.env_file = folder / ".env"
        values = {
            "DISCORD_TOKEN": TOKEN,
            "GUILD_ID": str(GUILD_ID),
            "DATABASE_PATH": str(self.database),
            "LOG_FILE": str(self.log_file),
            "LOG_LEVEL": "DEBUG",
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            **settings,
        }
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        self.process: asyncio.subprocess.Process | None = None
        self.stderr_file = folder / "stderr.txt"
        self.stderr = b""

    @property
    def database_target(self) -> Path | str:
        """What to pass to ``open_database`` to look at the bot's database."""
        return self.database_url or self.database

    async def spawn(self) -> asyncio.subprocess.Process:
        """Start a bot process without waiting for it to connect."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_", "LOG_"))}
        # stderr goes to a file: a pipe nobody reads fills up and blocks the bot mid-write.
        with self.stderr_file.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--env-file", str(self.env_file),
                cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        SPAWNED.append(process)
        return process

    async def start(self, timeout: float = 30) -> None:
        """Start and wait until this process has connected (its own IDENTIFY or RESUME)."""
        before = self.fake.stats.identifies
        self.process = await self.spawn()
        process = self.process

        def connected() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"the bot exited with {process.returncode} before connecting")
            return self.fake.stats.identifies > before and self.fake.gateway.current is not None

        await self.fake.wait_for(connected, timeout=timeout, what="the bot process to connect")
        await self.fake.wait_until_ready(timeout=timeout)

    async def start_shards(self, shard_ids: Sequence[int], timeout: float = 30) -> None:
        """Start a sharded process and wait until it has a session of its own, READY with every GUILD_CREATE,
        for each of ``shard_ids`` (another process's sessions, live or lost, do not count)."""
        before = set(self.fake.gateway.sessions)
        self.process = await self.spawn()
        process = self.process

        def connected() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"the bot exited with {process.returncode} before connecting")
            mine = [
                s for key, s in self.fake.gateway.sessions.items()
                if key not in before and s.ready and not s.ended and s.connection is not None
            ]  # fmt: skip
            return {s.shard_id for s in mine} >= set(shard_ids)

        await self.fake.wait_for(connected, timeout=timeout, what=f"the bot process to run shards {list(shard_ids)}")

    async def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait: the clean shutdown path."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), timeout)
        self.stderr = self.stderr_file.read_bytes()
        return self.process.returncode if self.process.returncode is not None else -1

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a crash or an OOM kill."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8") if self.log_file.exists() else ""
