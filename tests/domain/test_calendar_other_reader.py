"""The .ics read back by a second, independent parser (vobject): whatever the titles hold, it reads the same."""

from __future__ import annotations

import dataclasses

import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import programme_to_ics
from tests.domain.test_calendar import NOW, record

# One-line text as organisers type it: commas, semicolons, colons, backslashes, quotes, any script.
ONE_LINE = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"), min_size=1, max_size=80
).filter(lambda text: text.strip() == text)


@settings(max_examples=60, deadline=None)
@given(programme_title=ONE_LINE, session_title=ONE_LINE, location=ONE_LINE)
def test_any_title_and_place_read_back_unchanged(programme_title: str, session_title: str, location: str) -> None:
    programme = record()
    session = dataclasses.replace(programme.sessions[0], title=session_title, location=location)
    programme = dataclasses.replace(programme, title=programme_title, sessions=(session,))

    calendar = vobject.readOne(programme_to_ics(programme, now=NOW).decode("utf-8"))

    assert calendar.contents["x-wr-calname"][0].value == programme_title
    [event] = calendar.contents["vevent"]
    assert event.summary.value == f"Week 8: {session_title}"
    assert event.location.value == location
