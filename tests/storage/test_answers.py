"""The answer tables against a real SQLite file: saving, history, consent, a member's data, erasure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.answering import AnswerSource, SaveOutcome
from bot.domain.programme import Programme, Prompt
from bot.services.programme import ProgrammeService
from bot.storage.answers import MAX_ROW_ID, AnswerRepository, ConsentRepository
from bot.storage.engine import Database
from bot.storage.erasures import ErasureRecords
from bot.storage.members import MemberDataRepository
from bot.storage.programmes import ProgrammeRepository
from bot.storage.unit_of_work import unit_of_work_factory
from tests.conftest import GUILD_ID, integrity_errors

T0 = datetime(2020, 10, 20, 12, tzinfo=UTC)
ALICE, BOB = 111, 222
OTHER_GUILD = 999


@pytest.fixture
async def prompts(db: Database, programme: Programme) -> list[Prompt]:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    record = await ProgrammeRepository(db).load(GUILD_ID)
    assert record is not None
    return [prompt for session in record.sessions for prompt in session.prompts]


async def save(
    db: Database, prompt: Prompt, user_id: int, text: str, *, at: datetime = T0, late: bool = False
) -> SaveOutcome:
    async with unit_of_work_factory(db)() as uow:
        _, outcome = await uow.answers.save_answer(
            community_id=GUILD_ID, prompt_id=prompt.id, user_id=user_id, text=text, now=at, late=late
        )
    return outcome


async def test_prompt_context_has_its_server_session_and_week_size(db: Database, prompts: list[Prompt]) -> None:
    week8 = [p for p in prompts if p.week == 8]
    context = await AnswerRepository(db).prompt_context(week8[1].id)
    assert context is not None
    assert context.prompt == week8[1]
    assert context.community_id == GUILD_ID
    assert context.session_title == "Supporting our campaigners & candidates"
    assert context.session_end == datetime(2020, 10, 26, 21, tzinfo=UTC)
    assert context.prompts_in_week == len(week8)


@pytest.mark.parametrize("prompt_id", [0, -1, 10**6, MAX_ROW_ID, MAX_ROW_ID + 1, 10**30])
async def test_prompt_context_of_no_such_prompt_is_none(db: Database, prompts: list[Prompt], prompt_id: int) -> None:
    assert await AnswerRepository(db).prompt_context(prompt_id) is None


async def test_first_answer_then_edit_keeps_the_earlier_version(db: Database, prompts: list[Prompt]) -> None:
    prompt = prompts[0]
    assert await save(db, prompt, ALICE, "first") is SaveOutcome.CREATED
    assert await save(db, prompt, ALICE, "second", at=T0 + timedelta(hours=1), late=True) is SaveOutcome.UPDATED
    assert await save(db, prompt, ALICE, "second", at=T0 + timedelta(hours=2)) is SaveOutcome.UNCHANGED
    repository = AnswerRepository(db)
    current = await repository.current_answer(prompt.id, ALICE)
    assert current is not None
    assert (current.text, current.created_at, current.updated_at, current.late) == (
        "second",
        T0,
        T0 + timedelta(hours=1),
        True,
    )
    assert current.source is AnswerSource.MODAL
    [version] = await repository.versions(current.id)
    assert (version.text, version.recorded_at) == ("first", T0)
    assert await repository.current_answer(prompt.id, BOB) is None


async def test_one_current_form_answer_per_member_per_prompt_is_enforced_by_the_schema(
    db: Database, prompts: list[Prompt]
) -> None:
    await save(db, prompts[0], ALICE, "first")
    with pytest.raises(integrity_errors()):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO answers (community_id, prompt_id, user_id, source, text, created_at, updated_at) "
                "VALUES (?, ?, ?, 'modal', 'again', 'x', 'x')",
                (GUILD_ID, prompts[0].id, ALICE),
            )


async def test_consent_is_recorded_once_with_its_time(db: Database) -> None:
    consents = ConsentRepository(db)
    uow = unit_of_work_factory(db)
    async with uow() as work:
        assert await work.consents.record(GUILD_ID, ALICE, T0)
    async with uow() as work:
        assert not await work.consents.record(GUILD_ID, ALICE, T0 + timedelta(days=1))
    assert await consents.consented_at(GUILD_ID, ALICE) == T0
    assert await consents.consented_at(GUILD_ID, BOB) is None
    assert await consents.consented_at(OTHER_GUILD, ALICE) is None


async def add_thread_reply(db: Database, prompt: Prompt, user_id: int, message_id: int, text: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO answers (community_id, prompt_id, user_id, source, message_id, text, created_at, updated_at) "
            "VALUES (?, ?, ?, 'thread', ?, ?, ?, ?)",
            (
                GUILD_ID,
                prompt.id,
                user_id,
                message_id,
                text,
                "2020-10-21T00:00:00.000000Z",
                "2020-10-21T00:00:00.000000Z",
            ),
        )


async def add_reminder_rows(db: Database, user_id: int, session_id: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) VALUES (?, ?, ?)",
            (GUILD_ID, user_id, "2020-10-01T00:00:00.000000Z"),
        )
        for offset, kind, target in ((60, "dm", user_id), (1440, "dm", user_id), (60, "channel", user_id)):
            await conn.execute(
                "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
                "target_id, state, nonce, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'sent', 'n', ?)",
                (
                    GUILD_ID,
                    session_id,
                    offset,
                    "2020-10-26T18:00:00.000000Z",
                    kind,
                    target,
                    "2020-10-26T18:00:00.000000Z",
                ),
            )


async def test_member_data_holds_answers_replies_history_consent_and_reminders(
    db: Database, prompts: list[Prompt]
) -> None:
    week8 = [p for p in prompts if p.week == 8]
    week1 = [p for p in prompts if p.week == 1]
    await save(db, week8[0], ALICE, "week 8 draft")
    await save(db, week8[0], ALICE, "week 8 final", at=T0 + timedelta(minutes=5))
    await save(db, week1[1], ALICE, "week 1")
    await add_thread_reply(db, week8[0], ALICE, 5551, "said in the thread")
    await save(db, week8[0], BOB, "not alice's")
    async with unit_of_work_factory(db)() as uow:
        await uow.consents.record(GUILD_ID, ALICE, T0)
    await add_reminder_rows(db, ALICE, week8[0].session_id)

    data = await MemberDataRepository(db).load(GUILD_ID, ALICE)
    assert data.consented_at == T0
    assert [(a.week, a.prompt_number, a.answer.text) for a in data.answers] == [
        (1, 2, "week 1"),
        (8, 1, "week 8 final"),
        (8, 1, "said in the thread"),
    ]
    assert [v.text for v in data.answers[1].versions] == ["week 8 draft"]
    assert data.answers[2].answer.source is AnswerSource.THREAD and data.answers[2].answer.message_id == 5551
    assert data.dm_subscribed_at == datetime(2020, 10, 1, tzinfo=UTC)
    assert [(d.week, d.state) for d in data.dm_reminders] == [(8, "sent"), (8, "sent")]
    assert (await MemberDataRepository(db).load(OTHER_GUILD, ALICE)).is_empty


async def test_erase_removes_every_row_of_the_member_and_nothing_else(db: Database, prompts: list[Prompt]) -> None:
    week8 = [p for p in prompts if p.week == 8]
    await save(db, week8[0], ALICE, "draft")
    await save(db, week8[0], ALICE, "final", at=T0 + timedelta(minutes=1))
    await save(db, week8[1], ALICE, "another")
    await add_thread_reply(db, week8[2], ALICE, 5552, "thread reply")
    await save(db, week8[0], BOB, "bob's")
    await save(db, week8[0], BOB, "bob's edit", at=T0 + timedelta(minutes=1))
    async with unit_of_work_factory(db)() as uow:
        await uow.consents.record(GUILD_ID, ALICE, T0)
        await uow.consents.record(GUILD_ID, BOB, T0)
    await add_reminder_rows(db, ALICE, week8[0].session_id)
    await add_reminder_rows(db, BOB, week8[0].session_id)
    members = MemberDataRepository(db)

    preview = await members.summary(GUILD_ID, ALICE)
    report = await members.erase(GUILD_ID, ALICE, at=T0 + timedelta(days=1))
    assert report == preview
    assert (report.answers, report.versions, report.consent, report.dm_subscription, report.dm_reminders) == (
        3,
        1,
        True,
        True,
        2,
    )
    assert (await members.load(GUILD_ID, ALICE)).is_empty
    assert (await members.summary(GUILD_ID, ALICE)).nothing
    bob = await members.load(GUILD_ID, BOB)
    assert [a.answer.text for a in bob.answers] == ["bob's edit"] and len(bob.answers[0].versions) == 1
    assert bob.consented_at == T0 and len(bob.dm_reminders) == 2
    # The channel reminder that happens to carry alice's id as a channel id is not hers.
    [row] = await db.fetchall("SELECT COUNT(*) AS n FROM reminder_deliveries WHERE target_kind = 'channel'")
    assert row["n"] == 2
    assert (await members.erase(GUILD_ID, ALICE, at=T0 + timedelta(days=2))).nothing
    # What stays is the tombstone, her pseudonym and the latest erasure's time only: her thread messages are still
    # on Discord. Not her id: the table alone does not say who erased their data.
    tombstones = [tuple(r) for r in await db.fetchall("SELECT * FROM erasures")]
    assert tombstones == [
        (GUILD_ID, await ErasureRecords(db).member_key(GUILD_ID, ALICE), "2020-10-22T12:00:00.000000Z")
    ]
    assert re.fullmatch("[0-9a-f]{64}", tombstones[0][1]) and str(ALICE) not in tombstones[0][1]


@pytest.mark.sqlite_only("the files of a SQLite database; PostgreSQL's promise has its own test")
async def test_erased_text_is_gone_from_the_database_files(db: Database, prompts: list[Prompt]) -> None:
    secret = "ZEBRA-CROSSING-7731 my private opinion"
    await save(db, prompts[0], ALICE, secret + " draft")
    await save(db, prompts[0], ALICE, secret, at=T0 + timedelta(minutes=1))
    await save(db, prompts[1], BOB, "bob stays")
    files = [db.path, db.path.with_name(db.path.name + "-wal")]
    assert any(b"ZEBRA-CROSSING" in path.read_bytes() for path in files if path.exists())

    await MemberDataRepository(db).erase(GUILD_ID, ALICE, at=T0 + timedelta(days=1))

    for path in files:
        if path.exists():
            assert b"ZEBRA-CROSSING" not in path.read_bytes(), path.name
    assert (await AnswerRepository(db).current_answer(prompts[1].id, BOB)) is not None
