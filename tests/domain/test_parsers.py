"""The two programme formats: the seed read both ways, and every malformed file refused with its line."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.domain.errors import InvalidTimeError, ProgrammeFormatError
from bot.domain.parsers import (
    parse_listing,
    parse_programme_file,
    parse_programme_toml,
    programme_to_toml,
    prompts_from_description,
)
from bot.domain.programme import Programme
from tests.conftest import PROGRAMME_TOML, SEED_LISTING

PROMPTS_PER_WEEK = {1: 3, 2: 3, 3: 4, 4: 4, 5: 3, 6: 4, 7: 4, 8: 3, 9: 2, 10: 4, 11: 4, 12: 5}


def seed_listing() -> Programme:
    return parse_listing(SEED_LISTING.read_text(encoding="utf-8"), timezone="Europe/London")


def by_week(programme: Programme) -> dict[int, object]:
    return {s.week: s for s in programme.sessions}


def test_seed_listing_has_twelve_sessions_with_week_8_last() -> None:
    programme = seed_listing()
    assert programme.title == "Labour Together Online Workshops"
    assert programme.introduction.startswith("In the summer and autumn of 2020")
    assert len(programme.sessions) == 12
    weeks = {s.week: s for s in programme.sessions}
    assert weeks[8].start == datetime(2020, 10, 26, 19, 0, tzinfo=UTC)  # GMT: the clocks went back on 25 Oct
    assert weeks[12].start == datetime(2020, 10, 19, 18, 0, tzinfo=UTC)  # BST
    assert programme.sessions[-1].week == 8
    assert weeks[8].title == "Supporting our campaigners & candidates"
    assert weeks[3].title == "Week 3"
    assert {w: len(s.prompts) for w, s in weeks.items()} == PROMPTS_PER_WEEK
    assert all(s.location == "Zoom" for s in programme.sessions)
    assert all(s.end - s.start == (s.end - s.start).__class__(hours=2) for s in programme.sessions)


def test_week_8_cut_off_sentence_is_kept_in_the_description_but_is_not_a_prompt() -> None:
    week8 = next(s for s in seed_listing().sessions if s.week == 8)
    assert week8.description.endswith("How can we start to create more bespoke")
    assert all(not p.startswith("How can we start to create") for p in week8.prompts)
    assert week8.prompts[0] == "How might this audit work?"


def test_toml_and_listing_give_identical_sessions_for_the_seed() -> None:
    from_toml = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    from_listing = seed_listing()
    assert (from_toml.title, from_toml.timezone, from_toml.introduction) == (
        from_listing.title,
        from_listing.timezone,
        from_listing.introduction,
    )
    # The listing has no titles but week 8's; the TOML's were written for it. Everything else is identical.
    toml_titles = {s.week: s.title for s in from_toml.sessions}
    assert toml_titles[8] == "Supporting our campaigners & candidates"
    untitled = tuple(dataclasses.replace(s, title=toml_titles[s.week]) for s in from_listing.sessions)
    assert untitled == from_toml.sessions


def test_descriptions_are_verbatim() -> None:
    text = SEED_LISTING.read_text(encoding="utf-8")
    for session in parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8")).sessions:
        assert session.description in text


def test_toml_round_trips() -> None:
    programme = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    assert parse_programme_toml(programme_to_toml(programme)) == programme


def test_week_labels_reorder_and_following_weeks_count_on() -> None:
    listing = (
        "Programme\nIntro.\n"
        "Week 5: Late start\nDate: 1/3/2021 Time: 19:00 - 20:00 Location: Zoom\nWhy?\n"
        "Date: 8/3/2021 Time: 19:00 - 20:00 Location: Hall\nHow? What.\n"
    )
    programme = parse_listing(listing, timezone="Europe/London")
    assert [(s.week, s.title) for s in programme.sessions] == [(5, "Late start"), (6, "Week 6")]
    assert programme.sessions[1].prompts == ("How?",)


def test_prompts_are_sentences_ending_in_a_question_mark() -> None:
    assert prompts_from_description("A. Why? How so?  Not this. Or this") == ("Why?", "How so?")


def test_file_dispatch_by_extension_and_byte_order_mark() -> None:
    data = "\ufeff".encode() + SEED_LISTING.read_bytes()
    assert len(parse_programme_file(data, filename="x.txt", default_timezone="Europe/London").sessions) == 12
    toml = PROGRAMME_TOML.read_bytes()
    assert len(parse_programme_file(toml, filename="p.TOML", default_timezone="UTC").sessions) == 12


LISTING_HEAD = "Programme\nIntro line.\n"
GOOD_SESSION = "Date: 3/8/2020 Time: 19:00 - 21:00 Location: Zoom\nWhat now?\n"


@pytest.mark.parametrize(
    ("listing", "line", "expected"),
    [
        (
            LISTING_HEAD + "Date: 31/2/2020 Time: 19:00 - 21:00 Location: Zoom\nQ?\n",
            3,
            "not a date on the calendar",
        ),
        (
            LISTING_HEAD + "Date: 3-8-2020 Time: 19:00 - 21:00 Location: Zoom\nQ?\n",
            3,
            "expected 'Date: D/M/YYYY",
        ),
        (
            LISTING_HEAD + "Date: 3/8/2020 Time: 21:00 - 19:00 Location: Zoom\nQ?\n",
            3,
            "ends before it starts",
        ),
        (LISTING_HEAD + "Date: 3/8/2020 Time: 25:00 - 26:00 Location: Zoom\nQ?\n", 3, "not a time of day"),
        (LISTING_HEAD + "Date: 3/8/2020 Time: 19:00 - 21:00 Location:\nQ?\n", 3, "expected 'Date: D/M/YYYY"),
        (LISTING_HEAD + GOOD_SESSION + "Week 1: Again\n" + GOOD_SESSION, 5, "week 1 appears twice"),
        (LISTING_HEAD, None, "no sessions found"),
        ("", None, "the file is empty"),
        (GOOD_SESSION, 1, "expected the programme's title first"),
        (LISTING_HEAD + "Week 2: Lost\nSome text\n", 4, "must be followed by its date line"),
        (LISTING_HEAD + GOOD_SESSION + "Week 2: Lost\n", 5, "has no date line"),
        (LISTING_HEAD + "Week 0: Zero\n" + GOOD_SESSION, 3, "week 0 is not a week number; expected a whole number"),
    ],
)
def test_malformed_listing_is_refused_with_its_line(listing: str, line: int | None, expected: str) -> None:
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_listing(listing, timezone="Europe/London", source="bad.txt")
    assert caught.value.line == line
    assert expected in str(caught.value)
    if line is not None:
        assert f"bad.txt, line {line}:" in str(caught.value)


def test_unreadable_encoding_names_the_line() -> None:
    data = (LISTING_HEAD + GOOD_SESSION).encode("utf-8") + "Caf\xe9?\n".encode("latin-1")
    with pytest.raises(ProgrammeFormatError, match=r"line 5: this is not UTF-8 text"):
        parse_programme_file(data, filename="latin.txt", default_timezone="Europe/London")


def test_a_time_skipped_by_the_spring_clock_change_is_refused_naming_the_session() -> None:
    listing = LISTING_HEAD + "Date: 29/3/2020 Time: 01:30 - 03:00 Location: Zoom\nQ?\n"
    with pytest.raises(InvalidTimeError, match=r"listing, line 3: week 1 start: 2020-03-29 01:30 does not exist"):
        parse_listing(listing, timezone="Europe/London")


def test_a_time_repeated_by_the_autumn_clock_change_is_refused() -> None:
    listing = LISTING_HEAD + "Date: 25/10/2020 Time: 00:30 - 01:30 Location: Zoom\nQ?\n"
    with pytest.raises(InvalidTimeError, match=r"listing, line 3: week 1 end: .*01:30 happens twice"):
        parse_listing(listing, timezone="Europe/London")


TOML_HEAD = 'title = "P"\ntimezone = "Europe/London"\n\n'
TOML_SESSION = (
    '[[sessions]]\nweek = 1\ntitle = "One"\ndate = 2020-08-03\nstart = "19:00"\nend = "21:00"\n'
    'location = "Zoom"\ndescription = "D?"\nprompts = ["D?"]\n'
)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (TOML_HEAD + TOML_SESSION.replace("2020-08-03", '"2020-02-31"'), 7, "not a date on the calendar"),
        (TOML_HEAD + TOML_SESSION.replace("2020-08-03", '"3/8/2020"'), 7, "expected YYYY-MM-DD"),
        (TOML_HEAD + TOML_SESSION.replace('end = "21:00"', 'end = "18:00"'), 9, "ends before it starts"),
        (TOML_HEAD + TOML_SESSION + "\n" + TOML_SESSION, 15, "week 1 appears twice (first on line 5)"),
        (TOML_HEAD, None, "no sessions found"),
        (TOML_HEAD + TOML_SESSION.replace("week = 1", 'week = "one"'), 5, "week = N"),
        (TOML_HEAD + TOML_SESSION.replace('location = "Zoom"', ""), 4, "needs location"),
        (
            TOML_HEAD + TOML_SESSION.replace("prompts = [", "colour = 1\nprompts = ["),
            12,
            "unknown key 'colour'",
        ),
        (TOML_HEAD + TOML_SESSION.replace('"D?"]', '"D?", "D?"]'), 12, "repeats an earlier prompt"),
        (
            TOML_HEAD + TOML_SESSION.replace("description", 'meeting_link = "zoom"\ndescription'),
            11,
            "not a web address",
        ),
        (
            'title = "P"\ntimezone = "Mars/Olympus"\n\n' + TOML_SESSION,
            2,
            "bad.toml, line 2: unknown time zone 'Mars/Olympus'",
        ),
        (TOML_HEAD + "[[sessions]\nweek = 1\n", 4, "not valid TOML"),
    ],
)
def test_malformed_toml_is_refused_with_its_line(text: str, line: int | None, expected: str) -> None:
    with pytest.raises(ProgrammeFormatError) as caught:
        parse_programme_toml(text, source="bad.toml")
    assert expected in str(caught.value)
    assert caught.value.line == line


def test_too_many_prompts_is_refused() -> None:
    prompts = ", ".join(f'"Q{n}?"' for n in range(26))
    text = TOML_HEAD + TOML_SESSION.replace('prompts = ["D?"]', f"prompts = [{prompts}]")
    with pytest.raises(ProgrammeFormatError, match="26 prompts; expected at most 25"):
        parse_programme_toml(text)


def test_a_programme_title_too_long_for_discord_is_refused() -> None:
    with pytest.raises(ProgrammeFormatError, match=r"line 1: the programme's title is 201 characters"):
        parse_listing("T" * 201 + "\nIntro.\n" + GOOD_SESSION, timezone="Europe/London")


def test_import_summaries_give_weeks_as_ranges() -> None:
    from bot.domain.importing import ImportPlan, SessionChange

    changes = tuple(SessionChange(w, f"W{w}", "changed" if w != 8 else "unchanged") for w in range(1, 13))
    plan = ImportPlan(sessions=changes, programme_details_changed=False, dropped_prompts=(), answers_lost=0)
    assert plan.summary() == "11 changed (weeks 1-7, 9-12); 1 unchanged (week 8)"
