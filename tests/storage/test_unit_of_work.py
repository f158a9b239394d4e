"""The unit of work, against a real database of each engine: all of it or none of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.answering import SaveOutcome
from bot.domain.programme import Programme
from bot.services.programme import ProgrammeService
from bot.storage.answers import AnswerRepository, ConsentRepository
from bot.storage.engine import Database
from bot.storage.unit_of_work import unit_of_work_factory
from tests.conftest import GUILD_ID, integrity_errors

NOW = datetime(2020, 10, 20, 12, tzinfo=UTC)
ALICE = 111


@pytest.fixture
async def prompt_id(db: Database, programme: Programme) -> int:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    found = await db.fetchval("SELECT MIN(id) FROM prompts")
    assert found is not None
    return int(found)


async def answers_in(db: Database) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM answers"))


async def test_a_clean_exit_commits_every_repository_s_writes(db: Database, prompt_id: int) -> None:
    async with unit_of_work_factory(db)() as uow:
        assert await uow.consents.record(GUILD_ID, ALICE, NOW)
        _, outcome = await uow.answers.save_answer(
            community_id=GUILD_ID, prompt_id=prompt_id, user_id=ALICE, text="my view", now=NOW, late=False
        )
    assert outcome is SaveOutcome.CREATED
    assert await ConsentRepository(db).consented_at(GUILD_ID, ALICE) == NOW
    current = await AnswerRepository(db).current_answer(prompt_id, ALICE)
    assert current is not None and current.text == "my view"


async def test_an_exception_after_a_partial_write_rolls_all_of_it_back(db: Database, prompt_id: int) -> None:
    with pytest.raises(RuntimeError, match="half-way"):
        async with unit_of_work_factory(db)() as uow:
            await uow.consents.record(GUILD_ID, ALICE, NOW)
            await uow.answers.save_answer(
                community_id=GUILD_ID, prompt_id=prompt_id, user_id=ALICE, text="my view", now=NOW, late=False
            )
            raise RuntimeError("failed half-way")
    assert await ConsentRepository(db).consented_at(GUILD_ID, ALICE) is None
    assert await answers_in(db) == 0


async def test_a_failing_statement_rolls_back_what_came_before_it(db: Database, prompt_id: int) -> None:
    with pytest.raises(integrity_errors()):
        async with unit_of_work_factory(db)() as uow:
            await uow.consents.record(GUILD_ID, ALICE, NOW)
            await uow.answers.save_answer(  # no such prompt: the foreign key refuses it
                community_id=GUILD_ID, prompt_id=prompt_id + 10**6, user_id=ALICE, text="x", now=NOW, late=False
            )
    assert await ConsentRepository(db).consented_at(GUILD_ID, ALICE) is None
    assert await answers_in(db) == 0


async def test_repositories_in_one_unit_of_work_see_each_other_s_writes(
    db: Database, prompt_id: int, programme: Programme
) -> None:
    async with unit_of_work_factory(db)() as uow:
        await uow.answers.save_answer(
            community_id=GUILD_ID, prompt_id=prompt_id, user_id=ALICE, text="first", now=NOW, late=False
        )
        # The programme repository counts the answer written a moment ago, before the commit.
        assert (await uow.programmes.answer_counts(GUILD_ID)) == {prompt_id: 1}
        current = await uow.answers.current_answer(prompt_id, ALICE)
        assert current is not None and current.text == "first"
        await uow.consents.record(GUILD_ID, ALICE, NOW)
        assert await uow.consents.consented_at(GUILD_ID, ALICE) == NOW
        stored = await uow.programmes.load(GUILD_ID)
        assert stored is not None and len(stored.sessions) == len(programme.sessions)


async def test_each_unit_of_work_is_its_own_transaction(db: Database, prompt_id: int) -> None:
    uow = unit_of_work_factory(db)
    async with uow() as first:
        await first.consents.record(GUILD_ID, ALICE, NOW)
    with pytest.raises(RuntimeError):
        async with uow() as second:
            await second.answers.save_answer(
                community_id=GUILD_ID, prompt_id=prompt_id, user_id=ALICE, text="lost", now=NOW, late=False
            )
            raise RuntimeError("only this one is rolled back")
    assert await ConsentRepository(db).consented_at(GUILD_ID, ALICE) == NOW
    assert await answers_in(db) == 0


async def test_a_repository_outside_a_unit_of_work_refuses_to_write(db: Database, prompt_id: int) -> None:
    with pytest.raises(RuntimeError, match="unit of work"):
        await ConsentRepository(db).record(GUILD_ID, ALICE, NOW)
    assert await ConsentRepository(db).consented_at(GUILD_ID, ALICE) is None
