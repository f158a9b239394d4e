"""A large programme and many members at once (issue 12, item 3): nobody can stall everyone else.

Asserted as a member sees it: every interaction is answered within Discord's deadline (the local Discord
enforces the 3 s acknowledgement), while ten members ask for the calendar of a thousand-session programme.
How long things take is measured in benchmarks/, not here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from bot.client import WorkshopBot
from bot.domain.programme import Programme
from tests.conftest import GUILD_ID
from tests.fakediscord import FakeDiscord


def large_programme(seed: Programme, sessions: int = 1000) -> Programme:
    first = seed.sessions[0]
    return dataclasses.replace(
        seed,
        sessions=tuple(
            dataclasses.replace(
                first,
                week=week,
                title=f"Session {week}",
                start=first.start + timedelta(days=7 * (week - 1)),
                end=first.end + timedelta(days=7 * (week - 1)),
                description="A long description. " * 50,
                prompts=tuple(f"Question {week}.{n}: " + "why " * 50 + "?" for n in range(1, 6)),
            )
            for week in range(1, sessions + 1)
        ),
    )


@pytest.fixture
async def large(bot: WorkshopBot, programme: Programme) -> WorkshopBot:
    await bot.services.programme.import_programme(GUILD_ID, large_programme(programme), force=True)
    return bot


async def test_ten_calendars_of_a_large_programme_do_not_stall_other_members(
    large: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    askers = [fake_discord.add_member(f"asker{n}").user for n in range(10)]
    others = [fake_discord.add_member(f"other{n}").user for n in range(10)]
    calendars = [await fake_discord.slash(user, "calendar") for user in askers]
    meanwhile = []
    for user in others:  # members using the bot while the calendars are being made
        meanwhile.append(await fake_discord.slash(user, "next"))
        await asyncio.sleep(0.05)
    for interaction in meanwhile:
        reply = await interaction.final(timeout=30)
        assert reply.embeds and reply.embeds[0]["title"].startswith("Next:"), reply
        assert interaction.callback_count == 1
    for interaction in calendars:
        reply = await interaction.final(timeout=60)
        [(name, data)] = reply.files
        assert name == "programme.ics" and data.count(b"BEGIN:VEVENT") == 1000
        assert interaction.callback_count == 1


async def test_programme_pages_of_a_large_programme_are_answered(large: WorkshopBot, fake_discord: FakeDiscord) -> None:
    interactions = [await fake_discord.slash(user, "programme") for user in ("alice", "bob", "carol", "fay", "olga")]
    for interaction in interactions:
        reply = await interaction.final(timeout=30)
        assert reply.embeds[0]["footer"]["text"].startswith("Page 1 of ")


async def test_asking_for_the_calendar_again_at_once_says_when_to_try_again(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    first = await (await fake_discord.slash("alice", "calendar")).final()
    assert first.files
    again = await (await fake_discord.slash("alice", "calendar")).final()
    assert again.ephemeral and not again.files
    assert again.content.startswith("You used /calendar a moment ago: try again in ")
    assert again.content.endswith(" s.")
    other = await (await fake_discord.slash("bob", "calendar")).final()  # the cooldown is per member
    assert other.files
