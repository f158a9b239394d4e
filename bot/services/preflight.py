"""What the preflight check reads from the database for one server: the settings in force (stored with /setup,
else .env's defaults), the programme and the next reminder due. Used by ``python -m bot check`` and /setup's
health section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.preflight import NextReminder, ProgrammeFacts
from bot.domain.reminders import ReminderDecision
from bot.domain.server_settings import ServerSettings
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from bot.services.server_settings import ServerSettingsService


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """What the database says about one server, for the preflight check and /setup's health section."""

    settings: ServerSettings
    programme: ProgrammeFacts | None
    next_reminder: NextReminder | None
    now: datetime
    read: bool = True  # False: the database's contents could not be read (its schema is not this bot's): defaults


async def stored_facts(
    guild_id: int, *, settings: ServerSettingsService, programme: ProgrammeService, reminders: ReminderService
) -> StoredFacts:
    server = await settings.get(guild_id)
    record = await programme.get(guild_id)
    schedule = await reminders.schedule(guild_id)
    upcoming = sorted(
        (e for e in schedule.entries if e.decision in (ReminderDecision.WAIT, ReminderDecision.SEND)),
        key=lambda e: e.reminder.due_at,
    )
    next_reminder = None
    if upcoming:
        first = upcoming[0]
        next_reminder = NextReminder(first.reminder.due_at, first.week, first.title, first.reminder.offset)
    facts = None
    if record is not None:
        last_end = max((s.end for s in record.sessions), default=None)
        facts = ProgrammeFacts(record.title, record.timezone, len(record.sessions), last_end)
    return StoredFacts(server, facts, next_reminder, schedule.now)
