"""Participation figures: raw counts from the database, shown only with small counts suppressed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.programme import Programme
from bot.domain.stats import HIDDEN
from bot.services.programme import ProgrammeService
from bot.services.stats import StatsService
from bot.storage.codec import to_db_time
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

NOW = to_db_time(datetime(2020, 8, 3, 18, tzinfo=UTC))
MEMBERS = [500000000000000000 + n for n in range(20)]


@pytest.fixture
async def imported(db: Database, programme: Programme) -> Database:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    return db


async def session_id(db: Database, week: int) -> int:
    row = await db.fetchone("SELECT id FROM sessions WHERE community_id = ? AND week = ?", (GUILD_ID, week))
    assert row is not None
    return int(row[0])


async def add_threads(db: Database, week: int, states: list[str]) -> None:
    prompts = await prompt_ids(db, GUILD_ID, week)
    async with db.transaction() as conn:
        for prompt_id, state in zip(prompts, states, strict=False):
            await conn.execute(
                "INSERT INTO prompt_threads (prompt_id, community_id, parent_channel_id, thread_id, state, opened_at) "
                "VALUES (?, ?, 1, ?, ?, ?)",
                (prompt_id, GUILD_ID, 900000 + prompt_id, state, NOW),
            )


async def add_deliveries(db: Database, week: int, rows: list[tuple[str, int, str]]) -> None:
    session = await session_id(db, week)
    async with db.transaction() as conn:
        for number, (kind, target, state) in enumerate(rows):
            await conn.execute(
                "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
                "target_id, state, nonce, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (GUILD_ID, session, 60 + number, NOW, kind, target, state, f"n{week}-{number}", NOW),
            )


async def subscribe(db: Database, members: list[int]) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) VALUES (?, ?, ?)",
            [(GUILD_ID, member, NOW) for member in members],
        )


async def test_figures_with_enough_members_are_shown_as_they_are(imported: Database) -> None:
    week1 = await prompt_ids(imported, GUILD_ID, 1)
    await insert_answers(
        imported, GUILD_ID, [AnswerRow(prompt, member, "x") for prompt in week1 for member in MEMBERS[:6]]
    )
    await insert_answers(imported, GUILD_ID, [AnswerRow(week1[0], MEMBERS[0], "more", source="thread")])
    await add_threads(imported, 1, ["open", "open", "closed"])
    await add_deliveries(
        imported,
        1,
        [("channel", 1, "sent"), ("channel", 1, "undeliverable"), ("channel", 1, "pending")]
        + [("dm", member, "sent") for member in MEMBERS[:5]]
        + [("dm", MEMBERS[5], "undeliverable"), ("dm", MEMBERS[6], "skipped")],
    )
    await subscribe(imported, MEMBERS[:7])
    report = await StatsService(imported).report(GUILD_ID)
    week = report.weeks[0]
    assert (week.week, week.title) == (1, "A long-term political strategy")
    assert (week.answers, week.contributors) == ("19", "6")
    assert (week.threads_open, week.threads_closed) == ("<5", "<5")  # thread counts follow the domain's rule
    assert (week.reminders_posted, week.reminders_post_failed) == ("1", "1")  # pending ones are not counted
    assert (week.dm_reminders_sent, week.dm_reminders_failed) == ("5", "1")
    assert (report.answers, report.contributors, report.dm_subscribers) == ("19", "6", "7")
    assert [w.week for w in report.weeks] == list(range(1, 13))
    assert report.weeks[1].answers == "0" and report.weeks[1].contributors == "0"


async def test_fewer_than_five_members_hide_counts(imported: Database) -> None:
    week2 = await prompt_ids(imported, GUILD_ID, 2)
    await insert_answers(
        imported, GUILD_ID, [AnswerRow(prompt, member, "x") for prompt in week2 for member in MEMBERS[:3]]
    )
    await add_deliveries(imported, 2, [("dm", MEMBERS[0], "sent"), ("dm", MEMBERS[1], "undeliverable")])
    await subscribe(imported, MEMBERS[:2])
    report = await StatsService(imported).report(GUILD_ID)
    week = report.weeks[1]
    assert week.contributors == "<5"
    assert week.answers == HIDDEN  # 9 answers from 3 members would tell how much each wrote
    assert (week.dm_reminders_sent, week.dm_reminders_failed) == (HIDDEN, HIDDEN)
    assert (report.answers, report.contributors, report.dm_subscribers) == (HIDDEN, "<5", "<5")
    assert "9" not in repr(week)


async def test_a_server_without_a_programme_has_no_weeks(db: Database) -> None:
    report = await StatsService(db).report(GUILD_ID)
    assert report.weeks == () and report.answers == "0" and report.dm_subscribers == "0"


def derivable(report: object) -> list[int]:
    """Hidden weekly answer counts that the total minus the shown weeks would give away."""
    from bot.services.stats import StatsReport

    assert isinstance(report, StatsReport)
    hidden = [w for w in report.weeks if w.answers == HIDDEN]
    if report.answers == HIDDEN or len(hidden) != 1:
        return []
    return [int(report.answers) - sum(int(w.answers) for w in report.weeks if w.answers != HIDDEN)]


async def test_a_lone_hidden_week_cannot_be_worked_out_from_the_total(imported: Database) -> None:
    # Week 1: 6 members answered (shown); week 2: 3 members (hidden); week 3: 10 members (shown).
    answers = [AnswerRow(p, m, "x") for p in (await prompt_ids(imported, GUILD_ID, 1))[:1] for m in MEMBERS[:6]]
    answers += [AnswerRow(p, m, "x") for p in (await prompt_ids(imported, GUILD_ID, 2))[:2] for m in MEMBERS[6:9]]
    answers += [AnswerRow(p, m, "x") for p in (await prompt_ids(imported, GUILD_ID, 3))[:1] for m in MEMBERS[:10]]
    await insert_answers(imported, GUILD_ID, answers)
    report = await StatsService(imported).report(GUILD_ID)
    assert report.answers == "22"  # the total is still shown...
    assert report.weeks[1].answers == HIDDEN
    assert report.weeks[0].answers == HIDDEN  # ...with the smallest other week hidden beside week 2
    assert report.weeks[2].answers == "10"
    assert derivable(report) == []


async def test_a_lone_hidden_week_with_no_other_answers_hides_the_total(imported: Database) -> None:
    # 3 members in week 2 only, 2 more who answered nothing but... the total alone would equal week 2.
    week2 = await prompt_ids(imported, GUILD_ID, 2)
    await insert_answers(imported, GUILD_ID, [AnswerRow(week2[0], m, "x") for m in MEMBERS[:3]])
    report = await StatsService(imported).report(GUILD_ID)
    assert report.weeks[1].answers == HIDDEN and report.answers == HIDDEN
