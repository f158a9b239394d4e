"""`python -m bot run` failing as a new organiser meets it: one line on stderr with the next step, no traceback.

Discord is either the local fake or a closed port on 127.0.0.1: the tests never reach any other address.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from bot.client import unreachable_discord_text
from tests.fakediscord import FakeDiscord
from tests.process import TOKEN, BotProcess

ANSI_ESCAPE = "\x1b["
DISCORD_COM = ConnectionKey("discord.com", 443, True, True, None, None, None, None)


def closed_loopback_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


async def run_until_exit(bot: BotProcess, timeout: float = 60) -> tuple[int, str]:
    process = await bot.spawn()
    await asyncio.wait_for(process.wait(), timeout)
    assert process.returncode is not None
    return process.returncode, bot.stderr_file.read_text(encoding="utf-8")


def assert_one_error_line(stderr: str, *expected: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert stderr.rstrip("\n").endswith(lines[0]), "the error is the last thing printed"
    for text in expected:
        assert text in lines[0], lines[0]
    assert TOKEN not in stderr


async def test_discord_out_of_reach_is_one_line_with_the_next_step(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    port = closed_loopback_port()
    bot = BotProcess(
        fake_discord,
        tmp_path,
        DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10",
        DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}/gateway",
        LOG_LEVEL="INFO",
    )
    returncode, stderr = await run_until_exit(bot)
    assert returncode == 1
    assert_one_error_line(
        stderr, f"cannot reach Discord at 127.0.0.1:{port} (connection refused)", "internet connection, DNS"
    )
    # Also seen at every start before: discord.py's voice warnings (the bot never joins voice).
    assert "PyNaCl" not in stderr and "davey" not in stderr


async def test_a_refused_token_is_one_line_and_nothing_is_coloured_in_files(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.fail_next("GET", r"/users/@me$", 401, message="401: Unauthorized")
    bot = BotProcess(fake_discord, tmp_path)
    returncode, stderr = await run_until_exit(bot)
    assert returncode == 1
    assert_one_error_line(stderr, "Discord refused the token: check DISCORD_TOKEN", "Reset Token")
    # stderr went to a file here, as it does under systemd or `2> bot.log`: plain text, no colour codes.
    assert ANSI_ESCAPE not in stderr
    assert ANSI_ESCAPE not in bot.log() and "logging in using static token" in bot.log()


async def test_a_refused_message_content_intent_is_one_warning_and_the_bot_carries_on(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.set_privileged_intents_allowed(False)  # Discord closes the gateway with 4014
    bot = BotProcess(fake_discord, tmp_path, MESSAGE_CONTENT_INTENT="true", LOG_LEVEL="INFO")
    await bot.start()  # connected and READY, without the intent
    assert await bot.stop() == 0
    stderr = bot.stderr.decode()
    assert "Traceback" not in stderr and not error_lines(stderr)
    refusals = [line for line in stderr.splitlines() if "Discord refused the Message Content intent" in line]
    assert len(refusals) == 1 and "Privileged Gateway Intents" in refusals[0]


async def test_a_gateway_out_of_reach_is_one_line_and_the_retry_no_traceback(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """Discord's REST answers but its gateway cannot be reached (a proxy that blocks websockets, say)."""
    port = closed_loopback_port()
    gateway = f"ws://127.0.0.1:{port}/gateway"
    bot = BotProcess(fake_discord, tmp_path, DISCORD_GATEWAY_URL=gateway, LOG_LEVEL="INFO")
    returncode, stderr = await run_until_exit(bot)
    assert returncode == 1
    assert_one_error_line(stderr, f"Discord accepted the token but its gateway at {gateway} cannot be reached")
    attempt = next(line for line in bot.log().splitlines() if "cannot be reached" in line)
    assert f"ClientConnectorError: Cannot connect to host 127.0.0.1:{port}" in attempt
    assert "Traceback" not in bot.log()


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (aiohttp.ClientConnectorDNSError(DISCORD_COM, socket.gaierror(-2, "Name or service not known")), "its name "),
        (aiohttp.ClientProxyConnectionError(DISCORD_COM, ConnectionRefusedError(111, "refused")), "the proxy refused"),
        (aiohttp.ClientConnectorError(DISCORD_COM, OSError(101, "unreachable")), "network is unreachable"),
        (TimeoutError(), "timed out"),
    ],
    ids=["dns", "proxy", "no network", "timeout"],
)
def test_each_way_of_not_reaching_discord_is_named(error: BaseException, cause: str) -> None:
    """The cases a test cannot stage on loopback alone (no DNS, proxy or routing here): the same one line."""
    text = unreachable_discord_text(error)
    assert text.startswith("cannot reach Discord at discord.com:443 (") and cause in text
    assert text.endswith(
        "check this machine's internet connection, DNS, firewall and proxy "
        "(and DISCORD_API_BASE if set), then start the bot again"
    )


async def test_a_token_the_gateway_refuses_later_is_one_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """Close code 4004 (authentication failed), as when the token is reset while the bot runs."""
    bot = BotProcess(fake_discord, tmp_path, LOG_LEVEL="INFO")
    await bot.start()
    # Past start-up: a close while discord.py's sharded client is still launching the shard is retried by it
    # (a new IDENTIFY every 5 s), which is another case than a token refused while the bot runs.
    await fake_discord.wait_for(lambda: "ready as" in bot.log(), timeout=30, what="the bot's ready line")
    await fake_discord.drop_gateway(code=4004, wait_resumed=False)
    assert bot.process is not None
    await asyncio.wait_for(bot.process.wait(), 30)
    assert bot.process.returncode == 1
    assert_one_error_line(bot.stderr_file.read_text(encoding="utf-8"), "Discord refused the token: check DISCORD_TOKEN")


async def test_a_server_the_bot_is_not_invited_to_is_one_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """The first sync of slash commands refused: the bot is not in GUILD_ID, or lacks applications.commands."""
    fake_discord.fail_next("PUT", r"/guilds/\d+/commands$", 403, code=50001, message="Missing Access")
    bot = BotProcess(fake_discord, tmp_path, LOG_LEVEL="INFO")
    returncode, stderr = await run_until_exit(bot)
    assert returncode == 1
    assert_one_error_line(
        stderr, "Discord refused to register the slash commands in server", "(Missing Access)", "applications.commands"
    )
