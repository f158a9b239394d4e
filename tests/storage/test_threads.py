"""Prompt threads and thread replies, against a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.programme import Programme, ProgrammeRecord
from bot.domain.threads import ThreadCounts
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database
from bot.storage.erasures import ErasureRecords
from bot.storage.members import MemberDataRepository
from bot.storage.retention import RetentionRepository
from bot.storage.threads import ContributionRepository, EditOutcome, PromptThread, ThreadRepository
from tests.conftest import GUILD_ID, integrity_errors

NOW = datetime(2020, 8, 17, 19, 30, tzinfo=UTC)
ALICE, BOB = 501, 502


@pytest.fixture
async def stored(db: Database, programme: Programme) -> ProgrammeRecord:
    service = ProgrammeService(db, clock=lambda: NOW)
    await service.import_programme(GUILD_ID, programme)
    return await service.require(GUILD_ID)


def a_thread(prompt_id: int, thread_id: int, **changes: object) -> PromptThread:
    thread = PromptThread(
        prompt_id=prompt_id,
        community_id=GUILD_ID,
        parent_channel_id=900,
        thread_id=thread_id,
        starter_channel_id=900,
        starter_message_id=thread_id,
        state="open",
        collect_replies=True,
        opened_at=NOW,
        closed_at=None,
    )
    return dataclasses.replace(thread, **changes)  # type: ignore[arg-type]


async def test_threads_are_stored_and_found_by_prompt_week_and_thread(db: Database, stored: ProgrammeRecord) -> None:
    repo = ThreadRepository(db)
    week3 = stored.session_for_week(3)
    assert week3 is not None
    first, second = week3.prompts[:2]
    await repo.save(a_thread(second.id, 7002))
    await repo.save(a_thread(first.id, 7001, collect_replies=False))

    assert [t.thread_id for t in await repo.for_week(GUILD_ID, 3)] == [7001, 7002]  # in prompt order
    assert await repo.for_week(GUILD_ID, 4) == []
    found = await repo.for_prompts([first.id, second.id, week3.prompts[2].id])
    assert set(found) == {first.id, second.id}
    assert found[first.id] == a_thread(first.id, 7001, collect_replies=False)
    assert await repo.by_thread_id(7002) == a_thread(second.id, 7002)
    assert await repo.by_thread_id(1) is None

    target = await repo.reply_target(7002)
    assert target is not None and target.prompt_id == second.id and target.collecting
    assert target.session_end == week3.end
    assert await repo.reply_target(1) is None


async def test_a_thread_made_anew_replaces_the_old_row(db: Database, stored: ProgrammeRecord) -> None:
    repo = ThreadRepository(db)
    prompt = stored.sessions[0].prompts[0]
    await repo.save(a_thread(prompt.id, 7001, state="closed", closed_at=NOW))
    later = NOW + timedelta(days=1)
    await repo.save(a_thread(prompt.id, 7009, opened_at=later))
    assert await repo.by_thread_id(7001) is None
    assert (await repo.for_prompts([prompt.id]))[prompt.id] == a_thread(prompt.id, 7009, opened_at=later)


async def test_close_reopen_collect_and_forget(db: Database, stored: ProgrammeRecord) -> None:
    repo = ThreadRepository(db)
    prompt = stored.sessions[0].prompts[0]
    await repo.save(a_thread(prompt.id, 7001))
    await repo.close(prompt.id, NOW + timedelta(hours=1))
    closed = await repo.by_thread_id(7001)
    assert closed is not None and closed.state == "closed" and closed.closed_at == NOW + timedelta(hours=1)
    target = await repo.reply_target(7001)
    assert target is not None and not target.collecting

    await repo.reopen(prompt.id)
    await repo.set_collect_replies(prompt.id, False)
    reopened = await repo.by_thread_id(7001)
    assert reopened is not None and reopened.state == "open" and reopened.closed_at is None
    assert not reopened.collect_replies

    assert await repo.forget(7001) is True
    assert await repo.forget(7001) is False
    assert await repo.by_thread_id(7001) is None


async def test_a_reply_is_an_answer_with_its_message_and_records_consent_once(
    db: Database, stored: ProgrammeRecord
) -> None:
    replies = ContributionRepository(db)
    prompt = stored.sessions[0].prompts[0]
    assert await replies.add(
        community_id=GUILD_ID, prompt_id=prompt.id, user_id=ALICE, message_id=1, text="First", at=NOW, late=False
    )
    later = NOW + timedelta(minutes=5)
    assert await replies.add(
        community_id=GUILD_ID, prompt_id=prompt.id, user_id=ALICE, message_id=2, text="Second", at=later, late=True
    )
    # The same message again (a gateway replay) is not a second answer.
    assert not await replies.add(
        community_id=GUILD_ID, prompt_id=prompt.id, user_id=ALICE, message_id=2, text="Second", at=later, late=True
    )
    rows = await db.fetchall("SELECT source, message_id, text, late FROM answers ORDER BY id")
    assert [tuple(r) for r in rows] == [("thread", 1, "First", 0), ("thread", 2, "Second", 1)]
    consents = await db.fetchall("SELECT community_id, user_id, consented_at FROM consents")
    assert [tuple(r) for r in consents] == [(GUILD_ID, ALICE, "2020-08-17T19:30:00.000000Z")]


async def test_an_edit_keeps_the_earlier_text_and_a_deletion_removes_everything(
    db: Database, stored: ProgrammeRecord
) -> None:
    replies = ContributionRepository(db)
    prompt = stored.sessions[0].prompts[0]
    await replies.add(
        community_id=GUILD_ID, prompt_id=prompt.id, user_id=ALICE, message_id=1, text="v1", at=NOW, late=False
    )
    first_edit = NOW + timedelta(minutes=1)
    second_edit = NOW + timedelta(minutes=2)
    assert await replies.edit(1, "v2", first_edit, late=False) is EditOutcome.UPDATED
    assert await replies.edit(1, "v2", second_edit, late=False) is EditOutcome.UNCHANGED
    assert await replies.edit(1, "v3", second_edit, late=True) is EditOutcome.UPDATED
    assert await replies.edit(99, "v1", second_edit, late=False) is EditOutcome.MISSING

    reply = await replies.get(1)
    assert reply is not None
    assert (reply.text, reply.created_at, reply.updated_at, reply.late) == ("v3", NOW, second_edit, True)
    versions = await replies.versions(reply.id)
    assert [(v.text, v.recorded_at) for v in versions] == [("v1", NOW), ("v2", first_edit)]

    assert await replies.remove([1, 99]) == 1
    assert await replies.get(1) is None
    assert await db.fetchall("SELECT * FROM answer_versions") == []
    assert await replies.remove([]) == 0


async def test_counts_are_per_prompt_replies_and_distinct_members(db: Database, stored: ProgrammeRecord) -> None:
    repo = ThreadRepository(db)
    replies = ContributionRepository(db)
    first, second, third = stored.sessions[0].prompts
    for message_id, user in ((1, ALICE), (2, ALICE), (3, BOB)):
        await replies.add(
            community_id=GUILD_ID, prompt_id=first.id, user_id=user, message_id=message_id, text="x", at=NOW, late=False
        )
    await replies.add(
        community_id=GUILD_ID, prompt_id=second.id, user_id=BOB, message_id=4, text="y", at=NOW, late=False
    )
    # A form answer is not a thread reply.
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO answers (community_id, prompt_id, user_id, source, text, created_at, updated_at) "
            "VALUES (?, ?, ?, 'modal', 'z', '2020-08-03T19:00:00.000000Z', '2020-08-03T19:00:00.000000Z')",
            (GUILD_ID, third.id, ALICE),
        )
    assert await repo.counts([first.id, second.id, third.id]) == {
        first.id: ThreadCounts(3, 2),
        second.id: ThreadCounts(1, 1),
        third.id: ThreadCounts(0, 0),
    }
    assert await repo.counts([]) == {}


async def test_a_prompt_removed_by_an_import_takes_its_thread_row_with_it(
    db: Database, stored: ProgrammeRecord, programme: Programme
) -> None:
    repo = ThreadRepository(db)
    week1 = stored.session_for_week(1)
    assert week1 is not None
    await repo.save(a_thread(week1.prompts[2].id, 7003))
    shorter = dataclasses.replace(
        programme,
        sessions=tuple(dataclasses.replace(s, prompts=s.prompts[:2]) if s.week == 1 else s for s in programme.sessions),
    )
    await ProgrammeService(db, clock=lambda: NOW).import_programme(GUILD_ID, shorter)
    assert await repo.by_thread_id(7003) is None


async def test_a_threads_replies_are_those_posted_after_it(db: Database, stored: ProgrammeRecord) -> None:
    repo = ThreadRepository(db)
    replies = ContributionRepository(db)
    prompt = stored.sessions[0].prompts[0]
    other = stored.sessions[1].prompts[0]
    # Message 50 was posted in an earlier thread of the prompt, deleted by hand; thread 100 replaced it.
    for message_id in (50, 150, 120):
        await replies.add(
            community_id=GUILD_ID,
            prompt_id=prompt.id,
            user_id=ALICE,
            message_id=message_id,
            text="x",
            at=NOW,
            late=False,
        )
    await repo.save(a_thread(prompt.id, 100))
    await repo.save(a_thread(other.id, 200, opened_at=NOW - timedelta(days=7)))
    assert [r.message_id for r in await replies.for_thread(prompt.id, 100)] == [120, 150]
    assert [t.thread_id for t in await repo.for_community(GUILD_ID)] == [200, 100]
    assert await repo.for_community(GUILD_ID + 1) == []


async def test_replies_arriving_together_share_one_commit_and_a_bad_one_sinks_no_other(
    db: Database, stored: ProgrammeRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = stored.sessions[0].prompts[0]
    replies = ContributionRepository(db)
    await ErasureRecords(db).prepare()  # as the bot's start does: the erasure key's one write is not a reply's
    transactions = 0
    real_transaction = db.transaction

    def counting_transaction(community_id: int | None = None) -> object:
        nonlocal transactions
        transactions += 1
        return real_transaction(community_id)

    monkeypatch.setattr(db, "transaction", counting_transaction)

    def reply(message_id: int, prompt_id: int = prompt.id) -> object:
        return replies.add(
            community_id=GUILD_ID, prompt_id=prompt_id, user_id=1000 + message_id % 7, message_id=message_id,
            text=f"reply {message_id}", at=NOW, late=False,
        )  # fmt: skip

    outcomes = await asyncio.gather(*(reply(n) for n in range(1, 101)), reply(50), return_exceptions=True)
    assert outcomes == [True] * 100 + [False]  # the repeat of message 50 is known
    assert transactions == 1
    # A reply whose prompt is gone fails alone; the others in its batch are still recorded.
    outcomes = await asyncio.gather(reply(201), reply(202, prompt_id=999_999), reply(203), return_exceptions=True)
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], integrity_errors())
    rows = await db.fetchall("SELECT message_id FROM answers WHERE source = 'thread' ORDER BY message_id")
    assert [r[0] for r in rows] == [*range(1, 101), 201, 203]
    consents = await db.fetchall("SELECT COUNT(*) FROM consents")
    assert consents[0][0] == 7


async def test_messages_posted_until_an_erasure_or_a_retention_deletion_are_not_recorded_again(
    db: Database, stored: ProgrammeRecord
) -> None:
    prompt = stored.sessions[0].prompts[0]
    replies = ContributionRepository(db)
    minute = timedelta(minutes=1)

    async def reply(message_id: int, user_id: int, posted: datetime, at: datetime | None = None) -> bool:
        return await replies.add(
            community_id=GUILD_ID, prompt_id=prompt.id, user_id=user_id, message_id=message_id, text="x",
            at=at or posted, late=False, posted_at=posted,
        )  # fmt: skip

    await MemberDataRepository(db).erase(GUILD_ID, ALICE, at=NOW)
    outcomes = await asyncio.gather(
        reply(1, ALICE, NOW - minute),
        reply(2, ALICE, NOW),  # the very instant of the erasure: covered
        reply(3, ALICE, NOW - minute, at=NOW + minute),  # an old message given words after the erasure
        reply(4, ALICE, NOW + timedelta(seconds=1)),  # posted after it: a new contribution
        reply(5, BOB, NOW - minute),  # bob erased nothing
    )
    assert list(outcomes) == [False, False, False, True, True]
    consents = await db.fetchall("SELECT user_id, consented_at FROM consents ORDER BY user_id")
    assert [tuple(r) for r in consents] == [
        (ALICE, "2020-08-17T19:30:01.000000Z"),
        (BOB, "2020-08-17T19:29:00.000000Z"),
    ]

    deleted_at = NOW + timedelta(days=30)
    await RetentionRepository(db).delete_answers(GUILD_ID, created_before=deleted_at)
    assert await db.fetchall("SELECT * FROM answers") == []
    assert not await reply(6, BOB, deleted_at - minute)
    assert not await reply(1, ALICE, NOW - minute)
    assert await reply(7, BOB, deleted_at + minute)
