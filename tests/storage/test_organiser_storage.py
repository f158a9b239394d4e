"""The organiser feature's storage: export reads, week links, retention deletes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.programme import Programme
from bot.services.programme import ProgrammeService
from bot.storage.codec import to_db_time
from bot.storage.engine import Database
from bot.storage.erasures import ErasureRecords
from bot.storage.exports import ExportRepository
from bot.storage.members import MemberDataRepository
from bot.storage.programmes import ProgrammeRepository
from bot.storage.retention import RetentionDeletion, RetentionRepository
from bot.storage.threads import PromptThread, ThreadRepository
from tests.conftest import GUILD_ID
from tests.services.answer_rows import CREATED, AnswerRow, insert_answers, prompt_ids

OTHER_GUILD = 100000000000000002


@pytest.fixture
async def imported(db: Database, programme: Programme) -> Database:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    return db


async def test_answers_come_by_week_prompt_and_time(imported: Database) -> None:
    week1, week2 = await prompt_ids(imported, GUILD_ID, 1), await prompt_ids(imported, GUILD_ID, 2)
    await insert_answers(
        imported,
        GUILD_ID,
        [
            AnswerRow(week2[0], 1, "w2p1", created=CREATED - timedelta(days=9)),
            AnswerRow(week1[1], 2, "w1p2"),
            AnswerRow(week1[0], 3, "w1p1 later", created=CREATED + timedelta(minutes=5)),
            AnswerRow(week1[0], 4, "w1p1 first"),
        ],
    )
    repository = ExportRepository(imported)

    def texts(community_id: int, week: int | None = None) -> list[str]:
        with repository.stored_answers(community_id, week) as answers:
            return [answer[5] for answer in answers]

    assert texts(GUILD_ID) == ["w1p1 first", "w1p1 later", "w1p2", "w2p1"]
    assert texts(GUILD_ID, 2) == ["w2p1"]
    with repository.stored_answers(GUILD_ID, 2) as answers:
        assert list(answers) == [
            (2, "A better party culture", 1, "How can we build a better culture?", 1, "w2p1", "modal",
             to_db_time(CREATED - timedelta(days=9)), to_db_time(CREATED - timedelta(days=9)), 0)
        ]  # fmt: skip
    assert await repository.count(GUILD_ID) == 4 and await repository.count(GUILD_ID, 1) == 3
    assert await repository.member_ids(GUILD_ID, 1) == [2, 3, 4]
    assert texts(OTHER_GUILD) == []


async def test_an_export_reads_one_snapshot_while_answers_are_written(imported: Database) -> None:
    prompts = await prompt_ids(imported, GUILD_ID)
    count = 2_100
    await insert_answers(imported, GUILD_ID, (AnswerRow(prompts[0], n, "x", source="thread") for n in range(count)))
    seen = 0
    with ExportRepository(imported).stored_answers(GUILD_ID) as answers:
        for _ in answers:
            if seen == 0:
                await insert_answers(imported, GUILD_ID, [AnswerRow(prompts[0], 10**6, "arrived during the export")])
            seen += 1
    assert seen == count
    assert await ExportRepository(imported).count(GUILD_ID) == count + 1


async def test_a_week_link_is_set_and_cleared(imported: Database) -> None:
    repository = ProgrammeRepository(imported)
    assert await repository.set_week_meeting_link(GUILD_ID, 3, "https://a.example/3")
    assert not await repository.set_week_meeting_link(GUILD_ID, 13, "https://a.example/13")
    assert not await repository.set_week_meeting_link(OTHER_GUILD, 3, "https://a.example/3")
    programme = await ProgrammeService(imported).require(GUILD_ID)
    week3 = programme.session_for_week(3)
    assert week3 is not None and week3.meeting_link == "https://a.example/3"
    assert await repository.set_week_meeting_link(GUILD_ID, 3, None)
    week3 = (await ProgrammeService(imported).require(GUILD_ID)).session_for_week(3)
    assert week3 is not None and week3.meeting_link is None and week3.revision == 2


async def test_retention_deletes_only_that_servers_answers(imported: Database, programme: Programme) -> None:
    await ProgrammeService(imported).import_programme(OTHER_GUILD, programme)
    ours, theirs = await prompt_ids(imported, GUILD_ID), await prompt_ids(imported, OTHER_GUILD)
    await insert_answers(imported, GUILD_ID, [AnswerRow(ours[0], 1, "ours")])
    await insert_answers(imported, OTHER_GUILD, [AnswerRow(theirs[0], 1, "theirs")])
    repository = RetentionRepository(imported)
    assert (await repository.delete_answers(GUILD_ID, created_before=CREATED + timedelta(seconds=1))).answers == 1
    assert await repository.answer_count(GUILD_ID) == 0
    assert await repository.answer_count(OTHER_GUILD) == 1


async def test_retention_also_deletes_the_history_of_dm_reminders(imported: Database) -> None:
    session_id = (await ProgrammeService(imported).require(GUILD_ID)).sessions[0].id
    async with imported.transaction() as conn:
        await conn.executemany(
            "INSERT INTO reminder_deliveries (community_id, session_id, offset_minutes, due_at, target_kind, "
            "target_id, "
            "state, nonce, updated_at) VALUES (?, ?, 60, ?, ?, ?, ?, 'n', ?)",
            [
                (GUILD_ID, session_id, "2020-08-03T17:00:00.000000Z", "dm", 42, "sent", "2020-08-03T17:00:00.000000Z"),
                (
                    GUILD_ID,
                    session_id,
                    "2020-08-03T17:00:00.000000Z",
                    "channel",
                    7,
                    "sent",
                    "2020-08-03T17:00:00.000000Z",
                ),
            ],
        )
    await RetentionRepository(imported).delete_answers(GUILD_ID, created_before=CREATED + timedelta(days=400))
    rows = await imported.fetchall("SELECT target_kind FROM reminder_deliveries")
    assert [r[0] for r in rows] == ["channel"]


async def test_retention_takes_consents_left_without_answers_and_subscriptions_and_stops_thread_collection(
    imported: Database, programme: Programme
) -> None:
    await ProgrammeService(imported).import_programme(OTHER_GUILD, programme)
    ours, theirs = await prompt_ids(imported, GUILD_ID), await prompt_ids(imported, OTHER_GUILD)
    cutoff = CREATED + timedelta(days=1)
    await insert_answers(
        imported, GUILD_ID, [AnswerRow(ours[0], 1, "old"), AnswerRow(ours[1], 2, "newer", created=cutoff)]
    )
    for community_id, prompt_id, thread_id in ((GUILD_ID, ours[0], 7001), (OTHER_GUILD, theirs[0], 7002)):
        await ThreadRepository(imported).save(
            PromptThread(prompt_id, community_id, 900, thread_id, 900, thread_id, "open", True, CREATED, None)
        )
    stamp = to_db_time(CREATED)
    async with imported.transaction() as conn:
        # Member 3 consented but has no answer left (erased a form answer long ago, say).
        await conn.executemany(
            "INSERT INTO consents (community_id, user_id, consented_at) VALUES (?, ?, ?)",
            [(GUILD_ID, 1, stamp), (GUILD_ID, 2, stamp), (GUILD_ID, 3, stamp), (OTHER_GUILD, 1, stamp)],
        )
        await conn.executemany(
            "INSERT INTO dm_subscriptions (community_id, user_id, subscribed_at) VALUES (?, ?, ?)",
            [(GUILD_ID, 1, stamp), (GUILD_ID, 4, stamp), (OTHER_GUILD, 1, stamp)],
        )
    members = MemberDataRepository(imported)
    for community_id, user_id, erased_at in ((GUILD_ID, 5, CREATED), (GUILD_ID, 6, cutoff + timedelta(days=1))):
        await members.erase(community_id, user_id, at=erased_at)
    await members.erase(OTHER_GUILD, 5, at=CREATED)

    deletion = await RetentionRepository(imported).delete_answers(GUILD_ID, created_before=cutoff)

    assert deletion == RetentionDeletion(answers=1, consents=2, dm_subscriptions=2)
    consents = await imported.fetchall("SELECT community_id, user_id FROM consents ORDER BY community_id, user_id")
    assert [tuple(r) for r in consents] == [(GUILD_ID, 2), (OTHER_GUILD, 1)]
    subscriptions = await imported.fetchall("SELECT community_id, user_id FROM dm_subscriptions")
    assert [tuple(r) for r in subscriptions] == [(OTHER_GUILD, 1)]
    threads = await imported.fetchall("SELECT community_id, collect_replies FROM prompt_threads ORDER BY community_id")
    assert [tuple(r) for r in threads] == [(GUILD_ID, 0), (OTHER_GUILD, 1)]
    # Every message posted until the deletion stays unrecorded; the erasures that covers are no longer needed.
    cutoffs = await imported.fetchall("SELECT community_id, deleted_at FROM retention_cutoffs")
    assert [tuple(r) for r in cutoffs] == [(GUILD_ID, to_db_time(cutoff))]
    erasures = await imported.fetchall("SELECT community_id, member_key FROM erasures ORDER BY community_id")
    keys = ErasureRecords(imported)
    assert [tuple(r) for r in erasures] == [
        (GUILD_ID, await keys.member_key(GUILD_ID, 6)),
        (OTHER_GUILD, await keys.member_key(OTHER_GUILD, 5)),
    ]
