"""The reminder message: what it says, and that it fits one Discord message however long the prompts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.programme import Prompt, SessionRecord
from bot.domain.reminder_text import compose_reminder
from tests.conftest import GUILD_ID

H = timedelta(hours=1)
ROLE = 800000000000000001
START = datetime(2020, 8, 3, 18, tzinfo=UTC)  # Monday 19:00 BST


def session_record(prompts: tuple[str, ...], *, title: str = "Campaigning", location: str = "Zoom") -> SessionRecord:
    return SessionRecord(
        id=7,
        community_id=GUILD_ID,
        week=3,
        title=title,
        start=START,
        end=START + 2 * H,
        location=location,
        description="",
        meeting_link=None,
        prompts=tuple(Prompt(100 + n, 7, 3, n, text) for n, text in enumerate(prompts, start=1)),
    )


def test_the_reminder_names_the_week_time_place_link_prompts_and_threads() -> None:
    session = session_record(("What might this look like?", "How can we get there?"))
    message = compose_reminder(session, meeting_link="https://zoom.example/j/1", threads={101: 9001}, ping_role_id=ROLE)
    stamp = int(START.timestamp())
    assert message.content.splitlines() == [
        f"<@&{ROLE}>",
        "⏰ **Reminder: Week 3 · Campaigning**",
        f"**When:** <t:{stamp}:F> (<t:{stamp}:R>)",
        "**Where:** Zoom",
        "**Join:** https://zoom.example/j/1",
        "**This week's prompts**",
        "**1.** What might this look like? · discuss in <#9001>",
        "**2.** How can we get there?",
        "Answer with the buttons below.",
    ]
    assert message.ping_role_id == ROLE and message.ping_user_ids == ()
    assert [(b.prompt_id, b.label) for b in message.answer_buttons] == [(101, "Answer 1"), (102, "Answer 2")]


def test_without_a_ping_role_nobody_is_pinged() -> None:
    message = compose_reminder(session_record(("Why?",)), meeting_link=None, threads={})
    assert message.ping_role_id is None and "<@" not in message.content
    assert "**Join:**" not in message.content
    assert "**This week's prompt**" in message.content
    assert [b.label for b in message.answer_buttons] == ["Answer"]


def test_the_longest_programme_still_fits_one_message() -> None:
    prompts = tuple(f"Prompt {n} " + "word " * 200 for n in range(1, 26))  # 25 prompts of ~1000 characters
    session = session_record(prompts, title="T" * 100, location="L" * 500)
    threads = {100 + n: 10**18 + n for n in range(1, 26)}
    message = compose_reminder(
        session, meeting_link="https://x.example/" + "a" * 400, threads=threads, ping_role_id=ROLE
    )
    assert len(message.content) <= MESSAGE_LIMIT
    lines = message.content.splitlines()
    assert lines[0] == f"<@&{ROLE}>" and lines[-1] == "Answer with the buttons below."
    assert "**Join:**" not in message.content  # too long to show whole, and a cut link is broken
    listed = [line for line in lines if re.match(r"\*\*\d+\.\*\* Prompt", line)]
    assert len(listed) >= 10 and all(len(line) > 60 for line in listed)
    assert lines[-2] == f"…and {25 - len(listed)} more: see `/session 3`"
    for line in listed:  # thread links are never cut
        number = int(line[2 : line.index(".")])
        assert line.endswith(f" · discuss in <#{threads[100 + number]}>")
    assert len(message.answer_buttons) == 25  # every prompt can still be answered


def test_long_prompts_are_shortened_evenly_when_they_all_fit() -> None:
    prompts = ("Short one?", *(f"Long {n} " + "word " * 200 for n in range(2, 6)))
    message = compose_reminder(session_record(prompts), meeting_link=None, threads={})
    assert len(message.content) <= MESSAGE_LIMIT
    listed = [line for line in message.content.splitlines() if re.match(r"\*\*\d+\.\*\* ", line)]
    assert listed[0] == "**1.** Short one?"
    assert len(listed) == 5 and all(line.endswith("…") for line in listed[1:])
    assert len({len(line) for line in listed[1:]}) <= 2  # the same width, give or take a word boundary
