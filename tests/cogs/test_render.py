"""Rendering the programme for Discord, within Discord's limits however long the programme."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.programme import ProgrammeRecord, Prompt, SessionRecord
from cogs._render import (
    EMBED_DESCRIPTION_LIMIT,
    paginate,
    programme_lines,
    prompt_choices,
    valid_weeks_text,
    week_choices,
)

START = datetime(2020, 8, 3, 18, tzinfo=UTC)


def programme(count: int, title_length: int = 30) -> ProgrammeRecord:
    sessions = tuple(
        SessionRecord(
            id=n,
            community_id=1,
            week=n,
            title=f"T{n} " + "x" * title_length,
            start=START + timedelta(weeks=n),
            end=START + timedelta(weeks=n, hours=2),
            location="Zoom",
            description="",
            meeting_link=None,
            prompts=tuple(Prompt(n * 100 + k, n, n, k, f"Question {k} about thing {n}?") for k in range(1, 4)),
        )
        for n in range(1, count + 1)
    )
    return ProgrammeRecord(1, "P", "Europe/London", "", sessions)


def test_a_long_programme_is_paged_within_the_embed_limit() -> None:
    big = programme(1000, title_length=95)
    pages = paginate(programme_lines(big, START))
    assert all(len(page) <= EMBED_DESCRIPTION_LIMIT for page in pages)
    assert sum(page.count("\n") + 1 for page in pages) == 1000
    assert len(paginate(programme_lines(programme(12), START))) == 1


def test_marks_past_next_and_upcoming() -> None:
    lines = programme_lines(programme(3), START + timedelta(weeks=1, hours=3))
    assert lines[0].endswith("past") and lines[1].endswith("**next**") and lines[2].endswith("upcoming")
    assert "<t:" in lines[0] and ":F>" in lines[0]


def test_week_choices_filter_by_number_or_title_at_most_25() -> None:
    big = programme(40)
    assert len(week_choices(big, "")) == 25
    assert [w for _, w in week_choices(big, "3")] == [3, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 13, 23]
    assert [w for _, w in week_choices(big, "t12 ")] == [12]
    assert [w for _, w in week_choices(big, "week 7")] == [7, 17, 27, 37]
    assert all(len(name) <= 100 for name, _ in week_choices(programme(5, title_length=200), ""))
    assert week_choices(None, "1") == []


def test_prompt_choices_show_number_and_start_of_text() -> None:
    session = programme(1).sessions[0]
    assert prompt_choices(session, "") == [
        ("1. Question 1 about thing 1?", 1),
        ("2. Question 2 about thing 1?", 2),
        ("3. Question 3 about thing 1?", 3),
    ]
    assert [n for _, n in prompt_choices(session, "2")] == [2]


def test_valid_weeks_text() -> None:
    assert valid_weeks_text(programme(12)) == "1 to 12"
