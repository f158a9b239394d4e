"""What the command line and /reminders show of the reminders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.reminders import PlannedReminder, ReminderDecision
from bot.storage.reminders import Delivery, DeliveryState


@dataclass(frozen=True, slots=True)
class ScheduledReminder:
    reminder: PlannedReminder
    week: int
    title: str
    decision: ReminderDecision  # at the time the schedule was read
    channel: Delivery | None  # the channel row, if written
    dm_states: Mapping[DeliveryState, int]  # DM rows by state (empty until the reminder is due)


@dataclass(frozen=True, slots=True)
class ReminderSchedule:
    community_id: int
    title: str | None  # the programme's; None when no programme was imported
    timezone: str | None  # the programme's
    offsets: tuple[timedelta, ...]
    channel_id: int | None
    ping_role_id: int | None
    subscribers: int
    entries: tuple[ScheduledReminder, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class DmReminderStatus:
    """A member's DM reminder setting, for the /reminders reply."""

    on: bool
    changed: bool
    offsets: tuple[timedelta, ...]
    channel_id: int | None
    dms_found_closed: bool  # the last reminder could not be delivered: DMs closed
    last_outcome_unknown: bool = False  # the last reminder DM was given up: the bot could not check it was sent
