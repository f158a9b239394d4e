"""``python -m bot run`` with Slack tokens only, as a real process against the local Slack: it connects over
Socket Mode, answers a member, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.fakeslack import FakeSlack
from tests.process import SPAWNED


async def test_run_starts_the_slack_front_end_alone_and_stops_cleanly(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    values = {
        "SLACK_BOT_TOKEN": fake_slack.bot_token,
        "SLACK_APP_TOKEN": fake_slack.app_token,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "LOG_FILE": str(tmp_path / "bot.log"),
    }
    env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "GUILD_", "DATABASE_"))}
    with (tmp_path / "stderr.txt").open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--env-file", str(env_file),
            cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    SPAWNED.append(process)
    await fake_slack.wait_for_connects(1, timeout=60)

    reply = await (await fake_slack.slash("alice", "/workshop", "programme")).reply(timeout=30)
    assert reply.text.startswith("No programme has been imported for this workspace yet.")
    assert reply.text.endswith("An organiser can import one with /workshop import.")

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    log = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert "serving workspace" in log and fake_slack.bot_token not in log  # the token is never logged
