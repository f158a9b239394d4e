"""The gateway drops in the middle of a member's session: the bot resumes and the member carries on."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.domain.parsers import parse_programme_toml
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner


async def test_a_dropped_gateway_resumes_and_the_session_goes_on(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    base = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    first = base.sessions[0]
    long_programme = dataclasses.replace(
        base,
        sessions=tuple(
            dataclasses.replace(
                first, week=n, start=first.start + timedelta(weeks=n), end=first.end + timedelta(weeks=n)
            )
            for n in range(1, 41)
        ),
    )
    async with bot_runner.running() as bot:
        await bot.services.programme.import_programme(bot.dev_guild_id, long_programme, force=True)
        page_one = await (await fake_discord.slash("alice", "programme")).final()
        identifies = fake_discord.stats.identifies

        await fake_discord.drop_gateway()  # waits until the client has RESUMEd

        assert fake_discord.stats.resumes >= 1
        assert fake_discord.stats.identifies == identifies  # resumed, not a new session
        page_two = await (await fake_discord.click("alice", page_one, "programme:page:1:next")).response()
        assert "Page 2 of" in page_two.data["embeds"][0]["footer"]["text"]
        reply = await (await fake_discord.slash("bob", "session", week=40)).final()
        assert reply.embeds[0]["title"].startswith("Week 40 ·")
