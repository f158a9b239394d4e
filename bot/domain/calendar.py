"""The programme as an iCalendar file (RFC 5545), through the icalendar library.

Each session's UID is stable (server and week), and its SEQUENCE is the session's revision, so a
calendar that imported the file before updates its entries after a re-import instead of doubling them.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vText

from bot.domain.programme import ProgrammeRecord


def session_uid(community_id: int, week: int) -> str:
    return f"workshop-{community_id}-week-{week}@workshop-bot"


def programme_to_ics(programme: ProgrammeRecord, *, now: datetime, default_link: str | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//workshop-bot//programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # The calendar's name, as TEXT with commas and semicolons escaped: icalendar knows no type for these two
    # properties and would write the title raw, which other readers (vobject, Outlook) cut at the first comma.
    calendar.add("name", vText(programme.title))  # RFC 7986
    calendar.add("x-wr-calname", vText(programme.title))  # what Google Calendar and Apple Calendar read
    for session in programme.sessions:
        event = Event()
        event.add("uid", session_uid(programme.community_id, session.week))
        event.add("sequence", session.revision)
        event.add("dtstamp", now)
        event.add("dtstart", session.start)
        event.add("dtend", session.end)
        event.add("summary", f"Week {session.week}: {session.title}")
        event.add("location", session.location)
        link = session.meeting_link or default_link
        if link:
            event.add("url", link)
        prompts = "\n".join(f"{p.number}. {p.text}" for p in session.prompts)
        description = session.description
        if prompts:
            description += f"\n\nPrompts:\n{prompts}"
        if link:
            description += f"\n\nJoin: {link}"
        event.add("description", description)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
