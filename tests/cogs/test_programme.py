"""Members' programme commands, through the local Discord."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from bot.client import WorkshopBot
from bot.domain.parsers import parse_programme_toml
from tests.conftest import PROGRAMME_TOML
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock

WEEK8_START = int(datetime(2020, 10, 26, 19, tzinfo=UTC).timestamp())
WEEK12_START = int(datetime(2020, 10, 19, 18, tzinfo=UTC).timestamp())


async def test_programme_lists_every_session_with_marks(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    reply = await (await fake_discord.slash("alice", "programme")).final()
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "Labour Together Online Workshops"
    lines = embed["description"].splitlines()
    assert len(lines) == 12
    assert lines[-1].startswith("`W 8` **Supporting our campaigners & candidates**")
    assert f"<t:{WEEK8_START}:F>" in lines[-1] and lines[-1].endswith("**next**")
    assert f"<t:{WEEK12_START}:F>" in lines[-2] and lines[-2].endswith("past")
    assert not reply.components  # one page: no buttons


async def test_a_long_programme_pages_with_buttons_that_survive_a_restart(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    base = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    template = base.sessions[0]
    sessions = tuple(
        dataclasses.replace(
            template,
            week=n,
            title=f"Session {n} " + "x" * 80,
            start=template.start + timedelta(weeks=n),
            end=template.end + timedelta(weeks=n),
        )
        for n in range(1, 61)
    )
    async with bot_runner.running() as bot:
        await bot.services.programme.import_programme(
            bot.dev_guild_id, dataclasses.replace(base, sessions=sessions), force=True
        )
        first = await (await fake_discord.slash("alice", "programme")).final()
        assert len(first.embeds[0]["description"]) <= 4096
        assert "Page 1 of" in first.embeds[0]["footer"]["text"]
        assert first.custom_ids == ["programme:page:0:prev", "programme:page:1:next"]
    async with bot_runner.running():
        click = await fake_discord.click("alice", first, "programme:page:1:next")
        update = await click.response()
        assert update.type_name == "UPDATE_MESSAGE"
        assert "Page 2 of" in update.data["embeds"][0]["footer"]["text"]
        assert (
            "Session 16" in update.data["embeds"][0]["description"]
            or "Session" in update.data["embeds"][0]["description"]
        )


async def test_session_shows_time_place_description_and_numbered_prompts(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    reply = await (await fake_discord.slash("alice", "session", week=8)).final()
    embed = reply.embeds[0]
    assert reply.ephemeral
    assert embed["title"] == "Week 8 · Supporting our campaigners & candidates"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"<t:{WEEK8_START}:F>" in fields["When"] and f"<t:{WEEK8_START}:R>" in fields["When"]
    assert fields["Where"] == "Zoom"
    assert embed["description"].startswith("Our review found that we need to do more to upskill")
    prompt_values = [f["value"] for f in embed["fields"] if f["name"] in ("Prompts", "\u200b")]
    assert prompt_values[0] == "**1.** How might this audit work?"
    assert len(prompt_values) == 3


async def test_session_autocomplete_filters_by_number_and_title(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    everything = await fake_discord.autocomplete("alice", "session", focused="week", week="")
    assert len(everything) == 12 and everything[0] == {"name": "Week 1 · A long-term political strategy", "value": 1}
    by_title = await fake_discord.autocomplete("alice", "session", focused="week", week="digital")
    assert [c["value"] for c in by_title] == [10]
    by_number = await fake_discord.autocomplete("alice", "session", focused="week", week="1")
    assert [c["value"] for c in by_number][:4] == [1, 10, 11, 12]


async def test_an_unknown_week_is_a_private_error_listing_valid_weeks(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    interaction = await fake_discord.slash("alice", "session", week=13)
    reply = await interaction.final()
    assert reply.ephemeral
    assert reply.content == "There is no week 13 in this programme. Valid weeks: 1 to 12."
    assert interaction.callback_count == 1


async def test_next_goes_by_start_time(bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock) -> None:
    reply = await (await fake_discord.slash("alice", "next")).final()
    assert reply.embeds[0]["title"] == "Next: Week 8 · Supporting our campaigners & candidates"
    assert f"<t:{WEEK8_START}:R>" in reply.embeds[0]["fields"][0]["value"]
    clock.now = datetime(2020, 10, 1, tzinfo=UTC)
    reply = await (await fake_discord.slash("alice", "next")).final()
    assert reply.embeds[0]["title"].startswith("Next: Week 10 ·")


async def test_next_when_the_programme_is_over(bot: WorkshopBot, fake_discord: FakeDiscord, clock: FakeClock) -> None:
    clock.now = datetime(2020, 11, 1, tzinfo=UTC)
    reply = await (await fake_discord.slash("alice", "next")).final()
    assert reply.ephemeral
    assert reply.content.startswith("The programme is over: the last session was Week 8 · Supporting")


async def test_calendar_is_an_ics_file_with_stable_uids(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    reply = await (await fake_discord.slash("alice", "calendar")).final()
    assert reply.ephemeral
    [(name, data)] = reply.files
    assert name == "programme.ics"
    events = Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 12
    week8 = next(e for e in events if str(e["summary"]).startswith("Week 8:"))
    assert week8.decoded("dtstart") == datetime(2020, 10, 26, 19, tzinfo=UTC)
    assert "1. How might this audit work?" in str(week8["description"])
    again = await (await fake_discord.slash("bob", "calendar")).final()
    uids = sorted(str(e["uid"]) for e in Calendar.from_ical(again.files[0][1]).walk("VEVENT"))
    assert uids == sorted(str(e["uid"]) for e in events)


async def test_commands_are_synced_to_the_guild_only_and_only_when_changed(
    bot_runner: BotRunner, fake_discord: FakeDiscord
) -> None:
    async with bot_runner.running():
        pass
    async with bot_runner.running():
        pass
    puts = fake_discord.requests_matching("PUT", r"/applications/\d+/guilds/\d+/commands")
    assert len(puts) == 1
    async with bot_runner.running(force_sync=True):  # python -m bot run --sync
        pass
    assert len(fake_discord.requests_matching("PUT", r"/applications/\d+/guilds/\d+/commands")) == 2
    assert fake_discord.global_commands() == []
    names = {c["name"] for c in fake_discord.registered_commands()}
    assert {"programme", "session", "next", "calendar"} <= names


async def test_command_payloads_obey_discords_rules(bot: WorkshopBot, fake_discord: FakeDiscord) -> None:
    commands = fake_discord.registered_commands()
    names = [c["name"] for c in commands]
    assert len(names) == len(set(names)), "two commands share a name"
    name_rule = re.compile(r"^[-_\w]{1,32}$")

    def check(command: dict[str, object], depth: int = 0) -> None:
        assert name_rule.match(str(command["name"])) and str(command["name"]).lower() == command["name"]
        assert 1 <= len(str(command.get("description", "x"))) <= 100
        options = command.get("options") or []
        assert isinstance(options, list) and len(options) <= 25
        required_seen_optional = False
        for option in options:
            if option.get("type") in (1, 2):
                check(option, depth + 1)
            else:
                check({**option, "options": []}, depth + 1)
                if option.get("required"):
                    assert not required_seen_optional, "required options must come first"
                else:
                    required_seen_optional = True

    for command in commands:
        check(command)
