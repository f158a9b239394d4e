"""The organiser cog's pure helpers: links, dates, the pending-import store, texts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.errors import SettingsError, UserFacingError
from bot.domain.importing import carry_over_week_links, plan_import
from bot.domain.programme import Programme, ProgrammeRecord, SessionRecord
from bot.domain.settings_rules import https_link
from cogs.organiser._import import PendingImports
from cogs.organiser._text import (
    size_text,
    start_date,
    what_changed,
    when_text,
)
from tests.harness import FakeClock


@pytest.mark.parametrize("link", ["https://zoom.us/j/123", "  https://meet.example.org/a?b=c  "])
def test_https_links_are_accepted(link: str) -> None:
    assert https_link(link) == link.strip()


@pytest.mark.parametrize(
    "link",
    [
        "http://zoom.us/j/1",
        "zoom.us/j/1",
        "https://",
        "https://zoom.us/j/1 2",
        "javascript:alert(1)",
        "https://[zoom.us",
        "https://x.org/" + "a" * 500,
    ],
)
def test_other_links_are_refused(link: str) -> None:
    with pytest.raises(SettingsError, match="full https:// address"):
        https_link(link)


def test_start_date() -> None:
    assert start_date(" 2021-01-04 ") == date(2021, 1, 4)
    with pytest.raises(UserFacingError, match="'4 Jan' is not a date: give the first session's new date as YYYY-MM-DD"):
        start_date("4 Jan")


def test_when_text_gives_local_time_and_utc() -> None:
    from zoneinfo import ZoneInfo

    start = datetime(2020, 10, 19, 18, tzinfo=UTC)
    assert when_text(start, start + timedelta(hours=2), ZoneInfo("Europe/London")) == (
        "Mon 19 Oct 2020 19:00–21:00 BST (2020-10-19 18:00–20:00 UTC)"
    )


def test_size_text() -> None:
    assert size_text(10 * 1024 * 1024) == "10 MB"
    assert size_text(25 * 1024 * 1024) == "25 MB"
    assert size_text(20 * 1024) == "20 KB"


def record_of(programme: Programme, links: dict[int, str]) -> ProgrammeRecord:
    sessions = tuple(
        SessionRecord(
            id=n,
            community_id=1,
            week=s.week,
            title=s.title,
            start=s.start,
            end=s.end,
            location=s.location,
            description=s.description,
            meeting_link=links.get(s.week),
            prompts=(),
        )
        for n, s in enumerate(programme.sessions, start=1)
    )
    return ProgrammeRecord(1, programme.title, programme.timezone, programme.introduction, sessions)


def test_week_links_set_in_discord_survive_a_file_without_them(programme: Programme) -> None:
    current = record_of(programme, {3: "https://a.example/3"})
    carried = carry_over_week_links(current, programme)
    assert {s.week: s.meeting_link for s in carried.sessions if s.meeting_link} == {3: "https://a.example/3"}
    # A link in the file wins.
    week3 = next(s for s in programme.sessions if s.week == 3)
    own = dataclasses.replace(
        programme,
        sessions=tuple(
            dataclasses.replace(s, meeting_link="https://b.example/3") if s is week3 else s for s in programme.sessions
        ),
    )
    assert next(s for s in carry_over_week_links(current, own).sessions if s.week == 3).meeting_link == (
        "https://b.example/3"
    )
    assert carry_over_week_links(None, programme) is programme


def test_what_changed_names_the_fields(programme: Programme) -> None:
    current = record_of(programme, {})
    old = current.sessions[0]
    new = dataclasses.replace(
        programme.sessions[0], title="New", start=programme.sessions[0].start + timedelta(hours=1)
    )
    assert what_changed(old, new) == ["title", "time", "prompts"]  # the record here has no prompts


def test_pending_imports_expire_and_are_used_once(programme: Programme) -> None:
    clock = FakeClock()
    store = PendingImports(clock, ttl=timedelta(minutes=15))
    plan = plan_import(None, {}, programme)
    token = store.add(1, 2, "p.toml", programme, plan)
    other = store.add(1, 2, "p.toml", programme, plan)
    assert token != other and len(store) == 2
    pending = store.get(token)
    assert pending is not None and pending.user_id == 2 and pending.plan is plan
    store.discard(token)
    assert store.get(token) is None
    clock.advance(timedelta(minutes=15))
    assert store.get(other) is None and len(store) == 0
