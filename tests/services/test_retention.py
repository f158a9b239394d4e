"""Retention: organisers warned a week before, answers (and their versions) deleted when due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.programme import Programme
from bot.domain.server_settings import ServerDefaults
from bot.services.health import RuntimeProblems
from bot.services.programme import ProgrammeService
from bot.services.reminders import ChannelRefused
from bot.services.retention import RetentionAction, RetentionService, plan
from bot.services.server_settings import ServerSettingsService
from bot.storage.codec import to_db_time
from bot.storage.engine import Database
from bot.storage.retention import RetentionRecord
from tests.conftest import GUILD_ID
from tests.harness import FakeClock
from tests.services.answer_rows import AnswerRow, insert_answers, prompt_ids

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

# The seed programme's last session (week 8) ends on 26 October 2020 at 21:00 GMT.
LAST_END = datetime(2020, 10, 26, 21, 0, tzinfo=UTC)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def record(retention_days: int = 30, warned_at: datetime | None = None) -> RetentionRecord:
    return RetentionRecord(GUILD_ID, timedelta(days=retention_days), LAST_END, warned_at)


def test_nothing_before_the_warning_week() -> None:
    schedule = plan(record(), LAST_END + 30 * DAY - WEEK - timedelta(seconds=1))
    assert schedule is not None
    assert schedule.action is RetentionAction.NOTHING
    assert schedule.due_at == LAST_END + 30 * DAY == schedule.deletes_at
    assert not schedule.warning_period


def test_warn_a_week_before_then_delete_when_due() -> None:
    due = LAST_END + 30 * DAY
    warn = plan(record(), due - WEEK)
    assert warn is not None and warn.action is RetentionAction.WARN and warn.deletes_at == due
    waiting = plan(record(warned_at=due - WEEK), due - timedelta(seconds=1))
    assert waiting is not None and waiting.action is RetentionAction.NOTHING and waiting.warning_period
    deleting = plan(record(warned_at=due - WEEK), due)
    assert deleting is not None and deleting.action is RetentionAction.DELETE


def test_never_deleted_sooner_than_a_week_after_the_warning() -> None:
    # Set (or the bot back up) long after the due date: warned now, deleted a week from now.
    now = LAST_END + 100 * DAY
    late = plan(record(), now)
    assert late is not None and late.action is RetentionAction.WARN and late.deletes_at == now + WEEK
    still = plan(record(warned_at=now), now + WEEK - timedelta(seconds=1))
    assert still is not None and still.action is RetentionAction.NOTHING
    gone = plan(record(warned_at=now), now + WEEK)
    assert gone is not None and gone.action is RetentionAction.DELETE


def test_a_lengthened_period_needs_a_new_warning() -> None:
    warned = LAST_END + 23 * DAY  # the warning for 30 days
    longer = record(retention_days=90, warned_at=warned)
    schedule = plan(longer, LAST_END + 31 * DAY)
    assert schedule is not None and schedule.action is RetentionAction.NOTHING and schedule.warned_at is None
    again = plan(longer, LAST_END + 83 * DAY)
    assert again is not None and again.action is RetentionAction.WARN


def test_no_sessions_no_schedule() -> None:
    assert plan(RetentionRecord(GUILD_ID, 30 * DAY, None, None), LAST_END) is None


REMINDER_CHANNEL = 700000000000000001


class Notices:
    def __init__(self, fail: bool = False) -> None:
        self.warnings: list[tuple[int, datetime, timedelta]] = []
        self.done: list[tuple[int, int]] = []
        self.fail = fail

    async def retention_warning(
        self,
        community_id: int,
        channel_id: int,
        organiser_role_id: int | None,
        deletes_at: datetime,
        retention: timedelta,
    ) -> None:
        assert community_id == GUILD_ID
        self.warnings.append((channel_id, deletes_at, retention))
        if self.fail:
            # worded as a platform's adapter words it
            raise ChannelRefused(channel_id, None, "Discord is down", where=f"<#{channel_id}>")

    async def retention_done(self, community_id: int, channel_id: int, deleted: int) -> None:
        assert community_id == GUILD_ID
        self.done.append((channel_id, deleted))


def retention_service(
    db: Database, clock: FakeClock, notices: Notices | None = None, problems: RuntimeProblems | None = None
) -> RetentionService:
    settings = ServerSettingsService(
        db, ServerDefaults(reminder_channel_id=REMINDER_CHANNEL, home_community_id=GUILD_ID)
    )
    return RetentionService(db, settings, notifier=notices, problems=problems, clock=clock)


@pytest.fixture
async def with_answers(db: Database, programme: Programme) -> Database:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    prompts = await prompt_ids(db, GUILD_ID)
    await insert_answers(db, GUILD_ID, [AnswerRow(p, 600000000000000000 + n, "x") for n, p in enumerate(prompts)])
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO answer_versions (answer_id, text, recorded_at) SELECT id, 'earlier', ? FROM answers",
            (to_db_time(LAST_END),),
        )
    return db


async def set_retention(db: Database, days: int | None) -> None:
    await ServerSettingsService(db, ServerDefaults()).update(GUILD_ID, retention=timedelta(days=days) if days else None)


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_the_daily_run_warns_then_deletes_answers_and_versions(with_answers: Database, clock: FakeClock) -> None:
    db = with_answers
    await set_retention(db, 30)
    notices = Notices()
    service = retention_service(db, clock, notices)
    due = LAST_END + 30 * DAY
    clock.now = due - WEEK - DAY
    assert [o.action for o in await service.run_due()] == [RetentionAction.NOTHING]
    clock.now = due - WEEK + timedelta(hours=3)
    assert [o.action for o in await service.run_due()] == [RetentionAction.WARN]
    assert notices.warnings == [(REMINDER_CHANNEL, clock.now + WEEK, 30 * DAY)]
    clock.now += DAY
    assert [o.action for o in await service.run_due()] == [RetentionAction.NOTHING]  # warned once only
    assert len(notices.warnings) == 1
    schedule = await service.schedule(GUILD_ID)
    assert schedule is not None and schedule.warning_period
    clock.now = due + timedelta(hours=3)
    answers = await count(db, "answers")
    (outcome,) = await service.run_due()
    assert outcome.action is RetentionAction.DELETE and outcome.deleted == answers
    assert notices.done == [(REMINDER_CHANNEL, answers)]
    assert await count(db, "answers") == 0
    assert await count(db, "answer_versions") == 0
    assert await count(db, "sessions") == 12  # the programme stays
    clock.now += DAY
    assert [o.action for o in await service.run_due()] == [RetentionAction.NOTHING]
    assert notices.done == [(REMINDER_CHANNEL, answers)]


async def test_without_retention_nothing_is_ever_deleted(with_answers: Database, clock: FakeClock) -> None:
    service = retention_service(with_answers, clock)
    clock.now = LAST_END + 10_000 * DAY
    assert await service.run_due() == []
    assert await service.schedule(GUILD_ID) is None
    assert await count(with_answers, "answers") == len(await prompt_ids(with_answers, GUILD_ID))


async def test_a_failed_warning_post_still_starts_the_week(
    with_answers: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await set_retention(with_answers, 1)
    notices = Notices(fail=True)
    problems = RuntimeProblems(clock)
    service = retention_service(with_answers, clock, notices, problems)
    clock.now = LAST_END + 2 * DAY
    assert [o.action for o in await service.run_due()] == [RetentionAction.WARN]
    assert "will be deleted on" in caplog.text  # the log carries the warning whatever Discord does
    assert "could not post the retention warning" in caplog.text
    [problem] = problems.current(GUILD_ID)  # and organisers see it in /setup's health section
    assert problem.text.startswith(f"The bot could not post the retention warning in <#{REMINDER_CHANNEL}>")
    clock.now += WEEK
    assert [o.action for o in await service.run_due()] == [RetentionAction.DELETE]


async def test_no_answers_no_warning(db: Database, programme: Programme, clock: FakeClock) -> None:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    await set_retention(db, 1)
    notices = Notices()
    service = retention_service(db, clock, notices)
    clock.now = LAST_END + 30 * DAY
    assert [o.action for o in await service.run_due()] == [RetentionAction.NOTHING]
    assert notices.warnings == []
