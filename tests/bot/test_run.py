"""`python -m bot run` as a real process, with a real .env, against the local Discord."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakediscord import FakeDiscord
from tests.process import TOKEN, BotProcess


async def test_the_bot_runs_as_a_process_answers_and_stops_cleanly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    bot = BotProcess(fake_discord, tmp_path)
    await bot.start()
    try:
        await fake_discord.wait_for_commands(timeout=30)
        reply = await (await fake_discord.slash("alice", "next")).final(timeout=10)
        assert reply.ephemeral
        # The real clock: the 2020 programme is long over.
        assert reply.content.startswith("The programme is over: the last session was Week 8")

        # A second bot on the same database refuses to start rather than double every reminder.
        before = bot.stderr_file.read_bytes()
        second = await bot.spawn()
        await asyncio.wait_for(second.wait(), 30)
        second_err = bot.stderr_file.read_bytes()[len(before) :]
        assert second.returncode == 1
        assert b"another bot process is already using" in second_err and b"Traceback" not in second_err
    finally:
        returncode = await bot.stop()
    assert returncode == 0, bot.stderr.decode()
    log_text = bot.log()
    assert "SIGTERM received: stopping" in log_text and "stopped cleanly" in log_text
    assert "imported data/programme.toml" in log_text
    for output in (bot.stderr.decode(), log_text):
        assert TOKEN not in output
        assert "fake-token-for-process-tests" not in output
