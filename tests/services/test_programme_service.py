"""Importing programmes: all-or-nothing, idempotent, in place by week, answers protected."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.errors import ImportConflictError, NotFoundError
from bot.domain.parsers import parse_listing
from bot.domain.programme import Programme
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database
from bot.storage.programmes import ProgrammeRepository
from tests.conftest import GUILD_ID, SEED_LISTING

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

NOW = datetime(2020, 7, 1, tzinfo=UTC)


def service(db: Database) -> ProgrammeService:
    return ProgrammeService(db, clock=lambda: NOW)


async def snapshot(db: Database) -> list[tuple[object, ...]]:
    rows = []
    for table in ("programmes", "sessions", "prompts", "answers"):
        rows += [(table, *tuple(r)) for r in await db.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")]
    return rows


async def add_answer(db: Database, prompt_id: int, user_id: int = 42) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO answers (community_id, prompt_id, user_id, source, text, created_at, updated_at) "
            "VALUES (?, ?, ?, 'modal', 'my view', '2020-08-03T19:00:00.000000Z', '2020-08-03T19:00:00.000000Z')",
            (GUILD_ID, prompt_id, user_id),
        )


async def test_import_stores_the_seed(db: Database, programme: Programme) -> None:
    plan = await service(db).import_programme(GUILD_ID, programme)
    assert plan.weeks("added") == list(range(1, 13))
    stored = await service(db).require(GUILD_ID)
    assert [s.week for s in stored.sessions][-1] == 8
    assert stored.session_for_week(8).start == datetime(2020, 10, 26, 19, tzinfo=UTC)  # type: ignore[union-attr]
    assert [p.number for p in stored.session_for_week(12).prompts] == [1, 2, 3, 4, 5]  # type: ignore[union-attr]


async def test_reimporting_the_same_file_changes_nothing(db: Database, programme: Programme) -> None:
    await service(db).import_programme(GUILD_ID, programme)
    before = await snapshot(db)
    later = ProgrammeService(db, clock=lambda: datetime(2021, 1, 1, tzinfo=UTC))
    plan = await later.import_programme(GUILD_ID, programme)
    assert not plan.changes_anything
    assert await snapshot(db) == before


async def test_a_changed_programme_updates_in_place_and_keeps_answers(db: Database, programme: Programme) -> None:
    await service(db).import_programme(GUILD_ID, programme)
    stored = await service(db).require(GUILD_ID)
    week3 = stored.session_for_week(3)
    assert week3 is not None
    kept = week3.prompts[2]
    await add_answer(db, kept.id)
    # Move week 3 a day later, drop its (unanswered) first prompt, add a new one at the end.
    new_week3 = dataclasses.replace(
        next(s for s in programme.sessions if s.week == 3),
        title="Outward-facing local parties (moved)",
        start=week3.start.replace(day=18),
        end=week3.end.replace(day=18),
        prompts=(*[p.text for p in week3.prompts[1:]], "What would you try first?"),
    )
    changed = dataclasses.replace(
        programme, sessions=tuple(new_week3 if s.week == 3 else s for s in programme.sessions)
    )
    plan = await service(db).import_programme(GUILD_ID, changed)
    assert plan.weeks("changed") == [3]
    after = await service(db).require(GUILD_ID)
    moved = after.session_for_week(3)
    assert moved is not None and moved.id == week3.id and moved.title.endswith("(moved)")
    assert [p.text for p in moved.prompts] == list(new_week3.prompts)
    same = next(p for p in moved.prompts if p.text == kept.text)
    assert same.id == kept.id and same.number == 2
    rows = await db.fetchall("SELECT prompt_id FROM answers")
    assert [r[0] for r in rows] == [kept.id]


async def test_dropping_answered_prompts_is_refused_unless_forced(db: Database, programme: Programme) -> None:
    await service(db).import_programme(GUILD_ID, programme)
    stored = await service(db).require(GUILD_ID)
    week5 = stored.session_for_week(5)
    assert week5 is not None
    await add_answer(db, week5.prompts[0].id)
    without_week5 = dataclasses.replace(programme, sessions=tuple(s for s in programme.sessions if s.week != 5))
    before = await snapshot(db)
    with pytest.raises(ImportConflictError, match=r"delete 1 answer\(s\).*week 5.*--force"):
        await service(db).import_programme(GUILD_ID, without_week5)
    assert await snapshot(db) == before
    plan = await service(db).import_programme(GUILD_ID, without_week5, force=True)
    assert plan.weeks("removed") == [5] and plan.answers_lost == 1
    assert (await db.fetchone("SELECT COUNT(*) FROM answers"))[0] == 0  # type: ignore[index]


async def test_an_import_failing_half_way_changes_nothing(
    db: Database, programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = service(db)
    await svc.import_programme(GUILD_ID, programme)
    before = await snapshot(db)
    listing = parse_listing(SEED_LISTING.read_text(encoding="utf-8"), timezone="Europe/London")
    calls = 0
    original = ProgrammeRepository._update_session

    async def fail_on_fourth(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError("disk went away")
        await original(*args)

    # On the class: the import writes through the repository of its unit of work, made for the transaction.
    monkeypatch.setattr(ProgrammeRepository, "_update_session", fail_on_fourth)
    with pytest.raises(OSError, match="disk went away"):
        await svc.import_programme(GUILD_ID, listing)
    assert await snapshot(db) == before


async def test_listeners_hear_of_changes_only(db: Database, programme: Programme) -> None:
    svc = service(db)
    heard: list[int] = []

    async def listener(community_id: int) -> None:
        heard.append(community_id)

    svc.on_change(listener)
    await svc.import_programme(GUILD_ID, programme)
    await svc.import_programme(GUILD_ID, programme)
    assert heard == [GUILD_ID]


async def test_servers_are_kept_apart(db: Database, programme: Programme) -> None:
    await service(db).import_programme(GUILD_ID, programme)
    await service(db).import_programme(GUILD_ID + 1, programme)
    first, second = await service(db).require(GUILD_ID), await service(db).require(GUILD_ID + 1)
    assert {s.id for s in first.sessions}.isdisjoint({s.id for s in second.sessions})
    assert await service(db).get(GUILD_ID + 2) is None


async def test_week_links_set_in_discord_survive_a_reimport(db: Database, programme: Programme) -> None:
    svc = service(db)
    await svc.import_programme(GUILD_ID, programme)
    await svc.set_week_meeting_link(GUILD_ID, 3, "https://zoom.example/j/3")
    plan = await svc.import_programme(GUILD_ID, programme)  # the file has no link for week 3
    assert not plan.changes_anything
    week3 = (await svc.require(GUILD_ID)).session_for_week(3)
    assert week3 is not None and week3.meeting_link == "https://zoom.example/j/3"
    with pytest.raises(NotFoundError, match="There is no week 13"):
        await svc.set_week_meeting_link(GUILD_ID, 13, "https://zoom.example/j/13")


async def test_an_import_deletes_exactly_the_answers_its_preview_showed_or_nothing(
    db: Database, programme: Programme
) -> None:
    svc = service(db)
    await svc.import_programme(GUILD_ID, programme)
    week5 = (await svc.require(GUILD_ID)).session_for_week(5)
    assert week5 is not None
    await add_answer(db, week5.prompts[0].id)
    without_week5 = dataclasses.replace(programme, sessions=tuple(s for s in programme.sessions if s.week != 5))
    preview = await svc.preview(GUILD_ID, without_week5)
    assert preview.answers_lost == 1
    await add_answer(db, week5.prompts[1].id, user_id=43)  # a member answers while the organiser reads
    before = await snapshot(db)
    with pytest.raises(ImportConflictError, match="now delete 2 answer"):
        await svc.import_programme(GUILD_ID, without_week5, expected_answers_lost=preview.answers_lost)
    assert await snapshot(db) == before
    plan = await svc.import_programme(GUILD_ID, without_week5, expected_answers_lost=2)
    assert plan.weeks("removed") == [5]
