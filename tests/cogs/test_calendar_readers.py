"""/calendar read back by a second, independent iCalendar parser (vobject), as other calendar apps read it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import vobject

from bot.client import WorkshopBot
from bot.domain.parsers import parse_programme_toml
from tests.conftest import GUILD_ID, PROGRAMME_TOML
from tests.fakediscord import FakeDiscord

AWKWARD_TITLE = "Labour Together, online; workshops\\2020"


async def test_a_title_with_commas_and_semicolons_survives_another_reader(
    bot: WorkshopBot, fake_discord: FakeDiscord
) -> None:
    programme = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    await bot.services.programme.import_programme(GUILD_ID, dataclasses.replace(programme, title=AWKWARD_TITLE))

    reply = await (await fake_discord.slash("alice", "calendar")).final()
    [(name, data)] = reply.files
    assert name == "programme.ics"
    calendar = vobject.readOne(data.decode("utf-8"))

    assert calendar.contents["x-wr-calname"][0].value == AWKWARD_TITLE
    assert calendar.contents["name"][0].value == AWKWARD_TITLE
    events = calendar.contents["vevent"]
    assert len(events) == 12
    week8 = next(e for e in events if e.summary.value.startswith("Week 8:"))
    assert week8.summary.value == "Week 8: Supporting our campaigners & candidates"
    assert week8.dtstart.value == datetime(2020, 10, 26, 19, tzinfo=UTC)
    assert week8.location.value == "Zoom"
    assert "1. How might this audit work?" in week8.description.value
