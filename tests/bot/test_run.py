"""`python -m bot run` as a real process, with a real .env, against the local Discord."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.fakediscord import GUILD_ID, FakeDiscord

TOKEN = "MTIzNDU2.fake-token-for-the-smoke-test.abcdef"


def write_env(tmp_path: Path, fake: FakeDiscord, **extra: str) -> Path:
    values = {
        "DISCORD_TOKEN": TOKEN,
        "GUILD_ID": str(GUILD_ID),
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "LOG_FILE": str(tmp_path / "bot.log"),
        "LOG_LEVEL": "DEBUG",
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        **extra,
    }
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    return env_file


async def start_bot(env_file: Path) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_", "LOG_"))}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--env-file", str(env_file),
        cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_bot_runs_as_a_process_answers_and_stops_cleanly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    env_file = write_env(tmp_path, fake_discord)
    process = await start_bot(env_file)
    try:
        await fake_discord.wait_until_ready(timeout=30)
        await fake_discord.wait_for_commands(timeout=30)
        reply = await (await fake_discord.slash("alice", "next")).final(timeout=10)
        assert reply.ephemeral
        # The real clock: the 2020 programme is long over.
        assert reply.content.startswith("The programme is over: the last session was Week 8")

        # A second bot on the same database refuses to start rather than double every reminder.
        second = await start_bot(env_file)
        _, second_err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 1
        assert b"another bot process is already using" in second_err and b"Traceback" not in second_err
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    log_text = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert "SIGTERM received: stopping" in log_text and "stopped cleanly" in log_text
    assert "imported data/programme.toml" in log_text
    for output in (stderr.decode(), log_text):
        assert TOKEN not in output
        assert "fake-token-for-the-smoke-test" not in output
