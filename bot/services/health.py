"""Problems the bot met while running (a catch-up it could not trust, a post Discord refused), kept per server
so organisers see them in /setup's health section and `python -m bot check`, not only in the log.

In memory: every problem here is found again by the work that meets it (the catch-up runs at each start,
reminders at each send), so a restart loses nothing that still holds.

``stored_facts`` reads what the preflight check needs from the database: the settings in force, the
programme and the next reminder due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import Clock, system_clock
from bot.domain.preflight import NextReminder, ProgrammeFacts
from bot.domain.reminders import ReminderDecision
from bot.domain.server_settings import ServerSettings
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderService
from bot.services.server_settings import ServerSettingsService


@dataclass(frozen=True, slots=True)
class RuntimeProblem:
    key: str  # what the problem is about, e.g. "catch-up:<channel id>": a newer report replaces an older one
    text: str  # one line: what is wrong, naming the channel and the missing permission
    fix: str  # one line: what an organiser does about it
    seen_at: datetime


class RuntimeProblems:
    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._by_guild: dict[int, dict[str, RuntimeProblem]] = {}

    def record(self, guild_id: int, key: str, text: str, fix: str) -> None:
        self._by_guild.setdefault(guild_id, {})[key] = RuntimeProblem(key, text, fix, self._clock())

    def clear(self, guild_id: int, key: str) -> None:
        self._by_guild.get(guild_id, {}).pop(key, None)

    def current(self, guild_id: int) -> list[RuntimeProblem]:
        return sorted(self._by_guild.get(guild_id, {}).values(), key=lambda p: p.seen_at)


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """What the database says about one server, for the preflight check and /setup's health section."""

    settings: ServerSettings
    programme: ProgrammeFacts | None
    next_reminder: NextReminder | None
    now: datetime


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
