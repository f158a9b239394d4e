"""What the preflight reads from the database: settings in force, the programme, and the next reminder due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.programme import Programme
from bot.domain.server_settings import ServerDefaults
from bot.services.preflight import StoredFacts, stored_facts
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.harness import FakeClock

CHANNEL = 700000000000000001


async def read(db: Database, clock: FakeClock) -> StoredFacts:
    settings = ServerSettingsService(
        db, ServerDefaults(reminder_channel_id=CHANNEL, home_community_id=GUILD_ID), clock=clock
    )
    programme = ProgrammeService(db, clock=clock)
    reminders = ReminderService(db, programme, settings, community_ids=(GUILD_ID,), clock=clock)
    return await stored_facts(GUILD_ID, settings=settings, programme=programme, reminders=reminders)


async def test_no_programme_yet(db: Database) -> None:
    facts = await read(db, FakeClock(datetime(2031, 1, 1, tzinfo=UTC)))
    assert facts.programme is None and facts.next_reminder is None
    assert facts.settings.reminder_channel_id == CHANNEL


async def test_the_next_reminder_is_the_earliest_still_to_send(db: Database, programme: Programme) -> None:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    # 20 October 2020, noon UTC: week 12 (19 October) is over; week 8 is on Monday 26 October, 19:00 GMT.
    clock = FakeClock(datetime(2020, 10, 20, 12, tzinfo=UTC))
    facts = await read(db, clock)
    assert facts.programme is not None
    assert (facts.programme.title, facts.programme.sessions) == ("Labour Together Online Workshops", 12)
    reminder = facts.next_reminder
    assert reminder is not None
    assert (reminder.week, reminder.offset, reminder.due_at) == (
        8,
        timedelta(hours=24),
        datetime(2020, 10, 25, 19, tzinfo=UTC),
    )

    clock.now = datetime(2020, 12, 1, tzinfo=UTC)  # after the last session
    after = await read(db, clock)
    assert after.next_reminder is None
    assert after.programme.last_session_end < clock.now
