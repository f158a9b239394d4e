"""The answer service against a real database: the form, saving, lateness, consent, a member's data."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.answering import SaveOutcome
from bot.domain.errors import AnswerRejectedError, NotFoundError
from bot.domain.programme import Programme, Prompt
from bot.domain.server_settings import ServerDefaults
from bot.services.answers import AnswerService
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database
from bot.storage.programmes import ProgrammeRepository
from tests.conftest import GUILD_ID
from tests.harness import FakeClock

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

ALICE, BOB = 111, 222
WEEK8_END = datetime(2020, 10, 26, 21, tzinfo=UTC)


@pytest.fixture
def settings(db: Database, clock: FakeClock) -> ServerSettingsService:
    return ServerSettingsService(db, ServerDefaults(), clock=clock)


@pytest.fixture
def service(db: Database, settings: ServerSettingsService, clock: FakeClock) -> AnswerService:
    return AnswerService(db, clock=clock)


@pytest.fixture
async def week8(db: Database, programme: Programme) -> list[Prompt]:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    record = await ProgrammeRepository(db).load(GUILD_ID)
    assert record is not None
    session = record.session_for_week(8)
    assert session is not None
    return list(session.prompts)


async def count(db: Database, table: str) -> int:
    [row] = await db.fetchall(f"SELECT COUNT(*) AS n FROM {table}")
    return int(row["n"])


async def test_form_for_a_new_member_asks_for_consent_and_is_empty(service: AnswerService, week8: list[Prompt]) -> None:
    form = await service.form(week8[0].id, ALICE, community_id=GUILD_ID)
    assert form.context.prompt == week8[0]
    assert form.current_text is None
    assert form.needs_consent


async def test_the_form_by_week_and_number_is_the_form_of_that_prompt(
    service: AnswerService, week8: list[Prompt]
) -> None:
    await service.submit(week8[2].id, ALICE, "mine", community_id=GUILD_ID)
    assert await service.form_in_week(GUILD_ID, 8, 3, ALICE) == await service.form(
        week8[2].id, ALICE, community_id=GUILD_ID
    )
    assert await service.form_in_week(GUILD_ID, 8, len(week8) + 1, ALICE) is None
    assert await service.form_in_week(GUILD_ID + 1, 8, 3, ALICE) is None


async def test_submit_stores_cleaned_text_consent_and_prefills_the_next_form(
    service: AnswerService, week8: list[Prompt], clock: FakeClock
) -> None:
    saved = await service.submit(week8[0].id, ALICE, "  I think\u202e so\x00  ", community_id=GUILD_ID)
    assert saved.outcome is SaveOutcome.CREATED and saved.consent_recorded
    assert saved.answer.text == "I think so"
    assert await service.consented_at(GUILD_ID, ALICE) == clock.now
    form = await service.form(week8[0].id, ALICE, community_id=GUILD_ID)
    assert form.current_text == "I think so" and not form.needs_consent
    again = await service.submit(week8[1].id, ALICE, "second prompt", community_id=GUILD_ID)
    assert not again.consent_recorded


@pytest.mark.parametrize("raw", ["", "   \n\t ", "\x00\x01\u202e\u200b", "x" * 4001])
async def test_rejected_text_changes_nothing(
    service: AnswerService, week8: list[Prompt], db: Database, raw: str
) -> None:
    with pytest.raises(AnswerRejectedError):
        await service.submit(week8[0].id, ALICE, raw, community_id=GUILD_ID)
    assert await count(db, "answers") == 0
    assert await count(db, "consents") == 0


async def test_a_prompt_of_another_server_or_none_at_all_is_not_found(
    service: AnswerService, week8: list[Prompt], db: Database
) -> None:
    with pytest.raises(NotFoundError, match="no longer part"):
        await service.form(week8[0].id, ALICE, community_id=GUILD_ID + 1)
    with pytest.raises(NotFoundError):
        await service.submit(week8[0].id, ALICE, "hello", community_id=GUILD_ID + 1)
    with pytest.raises(NotFoundError):
        await service.submit(10**9, ALICE, "hello", community_id=GUILD_ID)
    assert await count(db, "answers") == 0 and await count(db, "consents") == 0
    # In a DM (an Answer button on a reminder) the prompt's own server counts.
    saved = await service.submit(week8[0].id, ALICE, "from a DM", community_id=None)
    assert saved.answer.community_id == GUILD_ID


async def test_an_answer_after_the_window_is_kept_and_flagged_late(
    service: AnswerService, settings: ServerSettingsService, week8: list[Prompt], clock: FakeClock
) -> None:
    clock.now = WEEK8_END + timedelta(days=365)
    assert not (await service.submit(week8[0].id, ALICE, "whenever", community_id=GUILD_ID)).answer.late  # always open
    await settings.update(GUILD_ID, answer_window=timedelta(hours=2))
    clock.now = WEEK8_END + timedelta(hours=2)
    assert not (await service.submit(week8[1].id, ALICE, "just in time", community_id=GUILD_ID)).answer.late
    clock.now += timedelta(seconds=1)
    late = await service.submit(week8[2].id, ALICE, "too late", community_id=GUILD_ID)
    assert late.answer.late and late.outcome is SaveOutcome.CREATED
    # An edit after the window makes the answer late: the organisers read the new text.
    edited = await service.submit(week8[1].id, ALICE, "edited late", community_id=GUILD_ID)
    assert edited.outcome is SaveOutcome.UPDATED and edited.answer.late


async def test_edits_keep_history_and_the_same_text_is_unchanged(
    service: AnswerService, week8: list[Prompt], clock: FakeClock
) -> None:
    await service.submit(week8[0].id, ALICE, "one", community_id=GUILD_ID)
    clock.advance(timedelta(minutes=1))
    assert (await service.submit(week8[0].id, ALICE, "two", community_id=GUILD_ID)).outcome is SaveOutcome.UPDATED
    clock.advance(timedelta(minutes=1))
    assert (await service.submit(week8[0].id, ALICE, " two ", community_id=GUILD_ID)).outcome is SaveOutcome.UNCHANGED
    clock.advance(timedelta(minutes=1))
    await service.submit(week8[0].id, ALICE, "three", community_id=GUILD_ID)
    data = await service.member_data(GUILD_ID, ALICE)
    [answer] = data.answers
    assert answer.answer.text == "three"
    assert [v.text for v in answer.versions] == ["one", "two"]


async def test_concurrent_submissions_are_each_stored_once(
    service: AnswerService, week8: list[Prompt], db: Database
) -> None:
    members = range(1000, 1200)
    results = await asyncio.gather(
        *(service.submit(week8[0].id, member, f"answer of {member}", community_id=GUILD_ID) for member in members),
        # the same member sending twice at once (a double submit) still has one answer
        *(service.submit(week8[1].id, ALICE, "double", community_id=GUILD_ID) for _ in range(5)),
    )
    assert sum(r.outcome is SaveOutcome.CREATED for r in results) == 201
    assert sum(r.outcome is SaveOutcome.UNCHANGED for r in results) == 4
    rows = await db.fetchall("SELECT user_id, text FROM answers WHERE prompt_id = ?", (week8[0].id,))
    assert sorted((r["user_id"], r["text"]) for r in rows) == [(m, f"answer of {m}") for m in members]
    assert await count(db, "consents") == 201


async def test_export_and_erase(service: AnswerService, week8: list[Prompt], clock: FakeClock) -> None:
    await service.submit(week8[0].id, ALICE, "one", community_id=GUILD_ID)
    await service.submit(week8[0].id, ALICE, "two", community_id=GUILD_ID)
    await service.submit(week8[0].id, BOB, "bob", community_id=GUILD_ID)
    data, document = await service.export_member_data(GUILD_ID, ALICE)
    exported = json.loads(document)
    assert exported["user_id"] == str(ALICE) and [a["text"] for a in exported["answers"]] == ["two"]
    assert exported["answers"][0]["earlier_versions"][0]["text"] == "one"
    assert data.answers[0].answer.text == "two"

    preview = await service.erasure_preview(GUILD_ID, ALICE)
    report = await service.erase_member(GUILD_ID, ALICE)
    assert report == preview == dataclasses.replace(preview, answers=1, versions=1, consent=True)
    assert (await service.member_data(GUILD_ID, ALICE)).is_empty
    assert (await service.form(week8[0].id, ALICE, community_id=GUILD_ID)).needs_consent
    assert (await service.member_data(GUILD_ID, BOB)).answers
