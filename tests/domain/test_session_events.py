"""The events a programme wants, and the plan that brings Discord's events in step with it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.programme import Prompt, SessionRecord
from bot.domain.session_events import (
    DESCRIPTION_LIMIT,
    Adopt,
    Cancel,
    Create,
    EventSpec,
    Forget,
    Reason,
    RemoteEvent,
    RemoteStatus,
    StoredEvent,
    Update,
    event_spec,
    event_url,
    plan_sync,
)

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def session(week: int, *, title: str = "Title", days: int | None = None, link: str | None = None) -> SessionRecord:
    start = NOW + timedelta(days=7 * week if days is None else days)
    return SessionRecord(
        id=week,
        community_id=1,
        week=week,
        title=title,
        start=start,
        end=start + timedelta(hours=2),
        location="Zoom",
        description="The topic",
        meeting_link=link,
        prompts=(Prompt(id=week * 10, session_id=week, week=week, number=1, text="Why?"),),
    )


def remote(spec: EventSpec, event_id: int, **changes: object) -> RemoteEvent:
    event = RemoteEvent(
        id=event_id,
        name=spec.name,
        description=spec.description,
        start=spec.start,
        end=spec.end,
        location=spec.location,
        status=RemoteStatus.SCHEDULED,
        created_by_bot=True,
    )
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]


def test_the_event_of_a_session() -> None:
    spec = event_spec(session(3, title="Unions"), default_link="https://zoom.us/j/1")
    assert spec.name == "Week 3: Unions"
    assert spec.location == "https://zoom.us/j/1"
    assert spec.description.startswith("The topic\n\n1. Why?")
    assert spec.description.endswith("/session week:3")
    assert event_url(5, 6) == "https://discord.com/events/5/6"


def test_a_long_link_gives_way_to_the_location_name() -> None:
    spec = event_spec(session(1, link="https://example.org/" + "x" * 100))
    assert spec.location == "Zoom"


@given(title=st.text(min_size=1, max_size=300), topic=st.text(max_size=3000), link=st.text(max_size=200))
def test_any_session_fits_discords_limits(title: str, topic: str, link: str) -> None:
    record = dataclasses.replace(session(2, title=title, link=link or None), description=topic)
    spec = event_spec(record)
    assert 1 <= len(spec.name) <= 100
    assert 1 <= len(spec.description) <= DESCRIPTION_LIMIT
    assert spec.description.endswith("/session week:2")
    assert 1 <= len(spec.location) <= 100


def specs(n: int) -> list[EventSpec]:
    return [event_spec(session(week)) for week in range(1, n + 1)]


def test_a_new_programme_creates_one_event_per_session() -> None:
    plan = plan_sync(specs(3), [], [], NOW, all_weeks=[1, 2, 3])
    assert [type(a) for a in plan.actions] == [Create, Create, Create]


def test_in_step_does_nothing() -> None:
    wanted = specs(2)
    stored = [StoredEvent(s.week, 100 + s.week, s.fingerprint) for s in wanted]
    plan = plan_sync(wanted, stored, [remote(s, 100 + s.week) for s in wanted], NOW, all_weeks=[1, 2])
    assert plan.actions == () and dict(plan.keep) == {1: 101, 2: 102}


def test_a_changed_session_updates_and_a_removed_one_is_cancelled() -> None:
    old = specs(2)
    stored = [StoredEvent(s.week, 100 + s.week, s.fingerprint) for s in old]
    events = [remote(s, 100 + s.week) for s in old]
    moved = dataclasses.replace(old[0], start=old[0].start + timedelta(days=1), end=old[0].end + timedelta(days=1))
    plan = plan_sync([moved], stored, events, NOW, all_weeks=[1])
    assert plan.actions == (Cancel(102, 2, Reason.REMOVED), Forget(2), Update(101, moved, Reason.CHANGED))


def test_an_edit_by_hand_is_put_back_and_a_deletion_made_again() -> None:
    wanted = specs(2)
    stored = [StoredEvent(s.week, 100 + s.week, s.fingerprint) for s in wanted]
    plan = plan_sync(wanted, stored, [remote(wanted[0], 101, name="Renamed")], NOW, all_weeks=[1, 2])
    assert plan.actions == (Update(101, wanted[0], Reason.EDITED_BY_HAND), Create(wanted[1], Reason.DELETED_BY_HAND))
    assert len(plan.put_back) == 2


def test_a_lost_response_is_adopted_not_duplicated() -> None:
    wanted = specs(1)
    plan = plan_sync(wanted, [], [remote(wanted[0], 7, name="Edited")], NOW, all_weeks=[1])
    assert plan.actions == (Adopt(7, wanted[0]),)


def test_a_second_event_of_the_bots_for_a_week_is_cancelled() -> None:
    wanted = specs(1)
    stored = [StoredEvent(1, 7, wanted[0].fingerprint)]
    plan = plan_sync(wanted, stored, [remote(wanted[0], 7), remote(wanted[0], 8)], NOW, all_weeks=[1])
    assert plan.actions == (Cancel(8, 1, Reason.DUPLICATE),)


def test_past_and_live_sessions_are_left_to_discord() -> None:
    live = event_spec(session(1, days=0))
    live = dataclasses.replace(live, start=NOW - timedelta(minutes=5))
    stored = [StoredEvent(1, 7, live.fingerprint)]
    plan = plan_sync([live], stored, [remote(live, 7, status=RemoteStatus.ACTIVE)], NOW, all_weeks=[1])
    assert plan.actions == ()


def test_only_the_next_sessions_fit_under_the_limit() -> None:
    others = [
        RemoteEvent(900 + i, "Other", "", NOW + timedelta(days=1), None, "x", RemoteStatus.SCHEDULED, False)
        for i in range(70)
    ]
    plan = plan_sync(specs(40), [], others, NOW, all_weeks=range(1, 41))
    created = [a.spec.week for a in plan.actions if isinstance(a, Create)]
    assert created == list(range(1, 31)) and plan.beyond_limit == tuple(range(31, 41))
