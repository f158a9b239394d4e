"""The session events, Interested members and DM opt-outs (migration 0009), against a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.programme import Programme, ProgrammeRecord
from bot.domain.reminders import parse_offsets, plan_reminders
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database
from bot.storage.members import MemberDataRepository
from bot.storage.reminders import ReminderRepository
from bot.storage.retention import RetentionRepository
from bot.storage.session_events import SessionEventRepository
from tests.conftest import GUILD_ID

NOW = datetime(2020, 7, 1, tzinfo=UTC)
ALICE, BOB, CAROL = 501, 502, 503


@pytest.fixture
async def stored(db: Database, programme: Programme) -> ProgrammeRecord:
    service = ProgrammeService(db, clock=lambda: NOW)
    await service.import_programme(GUILD_ID, programme)
    return await service.require(GUILD_ID)


async def test_interest_is_kept_only_for_the_bots_events_and_goes_with_them(db: Database) -> None:
    repo = SessionEventRepository(db)
    await repo.save(GUILD_ID, 3, 9003, "f", NOW)
    assert not await repo.mark(GUILD_ID, 1234, ALICE, NOW)  # someone else's event: not recorded
    assert await repo.mark(GUILD_ID, 9003, ALICE, NOW)
    assert not await repo.mark(GUILD_ID, 9003, ALICE, NOW)
    assert await repo.replace_interest(GUILD_ID, 9003, [BOB, CAROL], NOW) == 3
    assert await repo.interested_by_week(GUILD_ID) == {3: 2}
    await repo.save(GUILD_ID, 3, 9103, "g", NOW)  # made again after a deletion by hand
    assert await repo.interested_count(GUILD_ID, 3) == 0
    assert await db.fetchone("SELECT 1 FROM event_interest") is None
    await repo.mark(GUILD_ID, 9103, ALICE, NOW)
    await repo.forget(GUILD_ID, 3)
    assert await repo.stored(GUILD_ID) == [] and await db.fetchone("SELECT 1 FROM event_interest") is None


async def test_mydata_erasure_and_retention_cover_interest(db: Database, stored: ProgrammeRecord) -> None:
    repo = SessionEventRepository(db)
    await repo.save(GUILD_ID, 8, 9008, "f", NOW)
    await repo.mark(GUILD_ID, 9008, ALICE, NOW)
    await repo.mark(GUILD_ID, 9008, BOB, NOW)
    members = MemberDataRepository(db)
    assert (await members.load(GUILD_ID, ALICE)).interested_weeks == (8,)
    report = await members.erase(GUILD_ID, ALICE, at=NOW)
    assert report.interest == 1 and (await members.load(GUILD_ID, ALICE)).interested_weeks == ()
    await RetentionRepository(db).delete_answers(GUILD_ID, created_before=NOW + timedelta(days=400))
    assert await repo.interested_count(GUILD_ID, 8) == 0


@pytest.mark.parametrize("interested_too", [False, True])
async def test_dm_rows_for_interested_members_by_choice_and_never_after_opting_out(
    db: Database, stored: ProgrammeRecord, interested_too: bool
) -> None:
    session = stored.session_for_week(8)
    assert session is not None
    events, reminders = SessionEventRepository(db), ReminderRepository(db)
    await events.save(GUILD_ID, 8, 9008, "f", NOW)
    for member in (ALICE, CAROL):
        await events.mark(GUILD_ID, 9008, member, NOW)
    await reminders.subscribe(GUILD_ID, BOB, NOW)
    await reminders.unsubscribe(GUILD_ID, CAROL, NOW)  # never subscribed, but /reminders off wins
    [first, _] = plan_reminders([session], parse_offsets("24h,1h"))
    await reminders.add_dm_rows(GUILD_ID, first, first.due_at, interested_too=interested_too)
    targets = sorted(d.target_id for d in await reminders.deliveries(GUILD_ID) if d.target_kind == "dm")
    assert targets == ([ALICE, BOB] if interested_too else [BOB])
