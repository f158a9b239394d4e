"""The .ics file: one event per session, UTC times, stable UIDs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from icalendar import Calendar

from bot.domain.calendar import programme_to_ics, session_uid
from bot.domain.programme import ProgrammeRecord, Prompt, SessionRecord

NOW = datetime(2020, 7, 1, tzinfo=UTC)


def record(revision: int = 0) -> ProgrammeRecord:
    session = SessionRecord(
        id=1,
        community_id=7,
        week=8,
        title="Supporting our campaigners & candidates",
        start=datetime(2020, 10, 26, 19, tzinfo=UTC),
        end=datetime(2020, 10, 26, 21, tzinfo=UTC),
        location="Zoom",
        description="Our review found...",
        meeting_link=None,
        prompts=(Prompt(1, 1, 8, 1, "How might this audit work?"),),
        revision=revision,
    )
    return ProgrammeRecord(7, "Workshops", "Europe/London", "", (session,))


def test_one_event_per_session_in_utc_with_prompts() -> None:
    calendar = Calendar.from_ical(programme_to_ics(record(), now=NOW, default_link="https://zoom.example/j/1"))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event["uid"] == session_uid(7, 8)
    assert event.decoded("dtstart") == datetime(2020, 10, 26, 19, tzinfo=UTC)
    assert event.decoded("dtend").utcoffset().total_seconds() == 0
    assert str(event["summary"]) == "Week 8: Supporting our campaigners & candidates"
    assert str(event["location"]) == "Zoom"
    assert "1. How might this audit work?" in str(event["description"])
    assert str(event["url"]) == "https://zoom.example/j/1"


def test_a_reimport_updates_the_same_entry() -> None:
    before = Calendar.from_ical(programme_to_ics(record(0), now=NOW)).walk("VEVENT")[0]
    changed = record(1)
    changed = dataclasses.replace(changed, sessions=(dataclasses.replace(changed.sessions[0], title="Moved"),))
    after = Calendar.from_ical(programme_to_ics(changed, now=NOW)).walk("VEVENT")[0]
    assert before["uid"] == after["uid"]
    assert int(after["sequence"]) > int(before["sequence"])
