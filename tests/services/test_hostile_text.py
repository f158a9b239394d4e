"""NUL and bidirectional controls in what members and organisers send, on both engines alike (issue 20, item 13).

PostgreSQL's text cannot hold a NUL, SQLite's can: the domain decides per field (refused in a programme, removed
from an answer or a reply), so that both engines store the same thing and neither fails with an error id.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.errors import ProgrammeFormatError, SettingsError
from bot.domain.parsers import parse_listing, parse_programme_file, parse_programme_toml
from bot.domain.programme import Programme
from bot.domain.settings_rules import https_link
from bot.domain.text import BIDI_CODE_POINTS, CONTROL_CODE_POINTS, HIDING_CODE_POINTS, SURROGATE_CODE_POINTS
from bot.domain.threads import reply_answer_text
from bot.services.answers import AnswerService
from bot.services.exports import ExportService
from bot.services.programme import ProgrammeService
from bot.services.report import ReportRequest, ReportService
from bot.services.stats import StatsService
from bot.storage.engine import Database
from tests.conftest import GUILD_ID, SEED_LISTING
from tests.harness import FakeClock
from tests.services.answer_rows import prompt_ids

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

RLO, PDI = "\u202e", "\u2069"
UNSEEN = frozenset(CONTROL_CODE_POINTS | SURROGATE_CODE_POINTS | BIDI_CODE_POINTS | HIDING_CODE_POINTS)
TOML = (
    'title = "P"\ntimezone = "Europe/London"\n\n'
    '[[sessions]]\nweek = 1\ntitle = "One"\ndate = 2020-08-03\nstart = "19:00"\nend = "21:00"\n'
    'location = "Zoom"\ndescription = "D?"\nprompts = ["D?"]\n'
)
ALICE = 300000000000000001


def answer_service(db: Database) -> AnswerService:
    return AnswerService(db)


def with_nul_on_line(text: str, line: int) -> str:
    lines = text.splitlines()
    lines[line - 1] += "\0"
    return "\n".join(lines)


def toml_escaped(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


async def stored_text(db: Database) -> list[str]:
    """Every text the programme tables hold."""
    rows = await db.fetchall("SELECT title, introduction FROM programmes")
    rows += await db.fetchall("SELECT title, location, description FROM sessions")
    rows += await db.fetchall("SELECT text FROM prompts")
    return [value for row in rows for value in row if isinstance(value, str)]


# --- a programme: a NUL is refused at its line, and nothing is stored ----------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (with_nul_on_line(SEED_LISTING.read_text(encoding="utf-8"), 6), 6),
        ("Programme\0 title\nDate: 3/8/2020 Time: 19:00 - 21:00 Location: Zoom\nWhat now?\n", 1),
        ("Programme\nDate: 3/8/2020 Time: 19:00 - 21:00 Location: Zo\x01om\nWhat now?\n", 2),
        ("Programme\nDate: 3/8/2020 Time: 19:00 - 21:00 Location: Zoom\nWhat\x7f now?\n", 3),
    ],
)
async def test_a_listing_with_a_control_character_is_refused_at_its_line_and_nothing_is_stored(
    db: Database, text: str, line: int
) -> None:
    with pytest.raises(ProgrammeFormatError, match=r"control character U\+00(00|01|7F)") as refused:
        programme = parse_programme_file(text.encode(), filename="listing.txt", default_timezone="Europe/London")
        await ProgrammeService(db).import_programme(GUILD_ID, programme)
    assert refused.value.line == line
    assert f"line {line}:" in str(refused.value)
    assert await stored_text(db) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("title", "One\\u0000"), ("location", "Zo\\u0000om"), ("description", "D\\u0000?"), ("prompts", '["D\\u0000?"]')],
)
async def test_a_toml_escape_for_nul_is_refused_at_its_key(db: Database, key: str, value: str) -> None:
    old = {"title": '"One"', "location": '"Zoom"', "description": '"D?"', "prompts": '["D?"]'}[key]
    quoted = value if key == "prompts" else f'"{value}"'
    text = TOML.replace(f"{key} = {old}", f"{key} = {quoted}")
    with pytest.raises(ProgrammeFormatError, match=r"U\+0000 \(NUL\)") as refused:
        await ProgrammeService(db).import_programme(GUILD_ID, parse_programme_toml(text, source="p.toml"))
    assert refused.value.line == text.splitlines().index(next(r for r in text.splitlines() if "\\u0000" in r)) + 1
    assert await stored_text(db) == []


async def test_a_programme_built_with_a_nul_elsewhere_is_refused_by_the_import(
    db: Database, programme: Programme
) -> None:
    first = dataclasses.replace(programme.sessions[0], prompts=("Why\0?",))
    damaged = dataclasses.replace(programme, sessions=(first, *programme.sessions[1:]))
    with pytest.raises(ProgrammeFormatError, match=r"week 1, prompt 1 holds the control character U\+0000"):
        await ProgrammeService(db).preview(GUILD_ID, damaged)
    with pytest.raises(ProgrammeFormatError, match=r"week 1, prompt 1 holds the control character U\+0000"):
        await ProgrammeService(db).import_programme(GUILD_ID, damaged)
    assert await stored_text(db) == []


# --- bidirectional controls: removed from titles and prompts, as from answers ------------------------------


async def test_bidirectional_overrides_are_removed_from_titles_and_prompts(db: Database) -> None:
    text = (
        TOML.replace('title = "P"', f'title = "P{RLO}evil{PDI}"')
        .replace('title = "One"', 'title = "\u202aOne\u202c"')
        .replace('prompts = ["D?"]', f'prompts = ["\u2066D\u2069?", "{RLO}Why?"]')
    )
    programme = parse_programme_toml(text, source="p.toml")
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    stored = await ProgrammeService(db).require(GUILD_ID)
    assert stored.title == "Pevil"
    assert stored.sessions[0].title == "One"
    assert [p.text for p in stored.sessions[0].prompts] == ["D?", "Why?"]


async def test_the_reports_headings_keep_their_order_with_an_override_in_a_title(
    db: Database, programme: Programme, clock: FakeClock, tmp_path: Path
) -> None:
    first = dataclasses.replace(programme.sessions[0], title=f"{RLO}Strategy", prompts=(f"What {RLO}now?",))
    await ProgrammeService(db).import_programme(
        GUILD_ID, dataclasses.replace(programme, title=f"Workshops{RLO}", sessions=(first, *programme.sessions[1:]))
    )
    service = ReportService(db, ExportService(db, clock=clock), StatsService(db), clock=clock)
    out = tmp_path / "report.html"
    await service.report_to_file(ReportRequest(GUILD_ID), out)
    html = out.read_text(encoding="utf-8")
    assert RLO not in html and "&#8238;" not in html.lower() and "&#x202e;" not in html.lower()
    assert "Strategy" in html and "What now?" in html


# --- what members write: a NUL is removed, the rest kept, on both engines -----------------------------------


async def test_an_answer_with_a_nul_is_stored_without_it(db: Database, programme: Programme) -> None:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    [prompt, *_] = await prompt_ids(db, GUILD_ID, 1)
    await answer_service(db).submit(prompt, ALICE, f"Organise\0 locally {RLO}first", community_id=GUILD_ID)
    assert await db.fetchval("SELECT text FROM answers") == "Organise locally first"


def test_a_reply_with_a_nul_is_read_without_it() -> None:
    assert reply_answer_text("Local\0 first\0") == "Local first"
    assert reply_answer_text("Local\ud800 first") == "Local first"  # JSON's "\ud800" escape: not a character
    assert reply_answer_text("\0\0") is None  # nothing left: not an answer


@pytest.mark.parametrize("link", ["https://zoom.us/j/1\0", f"https://zoom.us/j/{RLO}1", "https://zo\x01om.us/j/1"])
def test_a_meeting_link_with_a_control_or_invisible_character_is_refused(link: str) -> None:
    with pytest.raises(SettingsError, match="full https:// address"):
        https_link(link)
    with pytest.raises(ProgrammeFormatError, match="not a web address"):
        parse_programme_toml(
            TOML.replace('location = "Zoom"', f'location = "Zoom"\nmeeting_link = "{toml_escaped(link)}"')
        )


# --- any text at all: both engines store the same, or refuse it the same way -------------------------------

_any_text = st.text(
    alphabet=st.one_of(st.sampled_from(["\0", RLO, PDI, "\u200b", "\r", "\x1b", "\x85", "\ud800"]), st.characters()),
    min_size=1,
    max_size=30,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_any_text, prompt=_any_text, answer=_any_text)
async def test_any_text_is_stored_without_unseen_characters_or_refused_clearly(
    db: Database, title: str, prompt: str, answer: str
) -> None:
    listing = f"Programme\nWeek 1: {title}\nDate: 3/8/2020 Time: 19:00 - 21:00 Location: Zoom\n{prompt}?\n"
    try:
        programme = parse_listing(listing, timezone="Europe/London")
    except ProgrammeFormatError as refused:
        assert "line" in str(refused)
        return
    await ProgrammeService(db).import_programme(GUILD_ID, programme, force=True)
    for text in await stored_text(db):
        assert not UNSEEN.intersection(map(ord, text)), repr(text)
    prompts = await prompt_ids(db, GUILD_ID, 1)
    if prompts:
        try:
            await answer_service(db).submit(prompts[0], ALICE, answer, community_id=GUILD_ID)
        except Exception as refused:  # only the member-facing refusal (blank or too long)
            assert type(refused).__name__ == "AnswerRejectedError", refused
        for (text,) in await db.fetchall("SELECT text FROM answers"):
            assert not UNSEEN.intersection(map(ord, text)), repr(text)
