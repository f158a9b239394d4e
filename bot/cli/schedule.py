"""``schedule``: what reminders are sent when, and what became of each."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli._common import Parents, community_in, community_key, community_label, existing_database
from bot.cli.programme import no_programme_text
from bot.config import Settings, server_defaults
from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import external_id
from bot.domain.reminders import ReminderDecision, format_offsets
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderSchedule, ReminderService, ScheduledReminder
from bot.services.server_settings import ServerSettingsService
from bot.storage.engine import open_database


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    schedule = commands.add_parser(
        "schedule", parents=[parents.common, parents.community], help="what reminders are sent when"
    )
    schedule.add_argument("--json", action="store_true", help="machine-readable output")
    schedule.set_defaults(handler=reminder_schedule)


def _reminder_state_labels(
    entry: ScheduledReminder, schedule: ReminderSchedule
) -> tuple[dict[str, Any] | None, str, dict[str, int]]:
    """(channel {channel_id, state} or None, DM status, DM counts by state) of one scheduled reminder.

    Rows are written by the running bot: a channel row when a reminder is planned, DM rows when it is due.
    Without a row the state says why: "not yet due", "due now" (the bot will send it), or "not sent".
    """
    unrecorded = {
        ReminderDecision.WAIT: "not yet due",
        ReminderDecision.SEND: "due now",
        ReminderDecision.SKIP: "not sent",
    }[entry.decision]
    channel: dict[str, Any] | None = None
    if entry.channel is not None:
        channel = {"channel_id": str(entry.channel.target_id), "state": entry.channel.state.value}
    elif schedule.channel_id is not None:
        channel = {"channel_id": str(schedule.channel_id), "state": unrecorded}
    counts = {state.value: n for state, n in sorted(entry.dm_states.items()) if n}
    if counts:
        dm_status = "recorded"
    elif entry.decision is ReminderDecision.WAIT:
        dm_status = "not yet due"
    elif entry.decision is ReminderDecision.SEND and schedule.subscribers:
        dm_status = "due now"
    else:
        dm_status = "none"
    return channel, dm_status, counts


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_as_json(schedule: ReminderSchedule) -> dict[str, Any]:
    zone = ZoneInfo(schedule.timezone or "UTC")
    reminders = []
    for entry in schedule.entries:
        channel, dm_status, counts = _reminder_state_labels(entry, schedule)
        reminder = entry.reminder
        reminders.append(
            {
                "key": reminder.key,
                "week": entry.week,
                "title": entry.title,
                "offset": format_offsets([reminder.offset]),
                "due_utc": _utc_text(reminder.due_at),
                "due_local": reminder.due_at.astimezone(zone).isoformat(),
                "session_start_utc": _utc_text(reminder.session_start),
                "channel": channel,
                "dms": {"status": dm_status, "counts": counts},
            }
        )
    return {
        # the community as its platform names it: a Discord server's id, or a Slack workspace's T… id
        community_key(schedule.community_id): external_id(schedule.community_id),
        "programme": schedule.title,
        "timezone": schedule.timezone,
        "offsets": format_offsets(schedule.offsets),
        "reminder_channel_id": None if schedule.channel_id is None else str(schedule.channel_id),
        "ping_role_id": None if schedule.ping_role_id is None else str(schedule.ping_role_id),
        "dm_subscribers": schedule.subscribers,
        "reminders": reminders,
    }


def schedule_as_text(schedule: ReminderSchedule) -> str:
    zone = ZoneInfo(schedule.timezone or "UTC")

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")

    channel_text = f"channel {schedule.channel_id}" if schedule.channel_id else "no reminder channel"
    ping_text = f"pings role {schedule.ping_role_id}" if schedule.ping_role_id else "no pings"
    lines = [
        f"Reminders for {schedule.title} ({community_label(schedule.community_id)})",
        f"{format_offsets(schedule.offsets)} before each session; {channel_text}, {ping_text}; "
        f"{schedule.subscribers} member(s) get DMs.",
        f"Times in {zone.key}, with UTC in brackets.",
    ]
    by_session: dict[int, list[ScheduledReminder]] = {}
    for entry in schedule.entries:
        by_session.setdefault(entry.reminder.session_id, []).append(entry)
    for entries in sorted(by_session.values(), key=lambda group: (group[0].reminder.session_start, group[0].week)):
        first = entries[0]
        lines += ["", f"Week {first.week} · {first.title}, starts {local(first.reminder.session_start)}"]
        for entry in entries:
            channel, dm_status, counts = _reminder_state_labels(entry, schedule)
            due = entry.reminder.due_at
            dms = ", ".join(f"{n} {state}" for state, n in counts.items()) if counts else dm_status
            where = f"channel: {channel['state']} · " if channel else ""
            lines.append(
                f"  {format_offsets([entry.reminder.offset])} before: {local(due)} ({due:%Y-%m-%d %H:%M} UTC) · "
                f"{where}DMs: {dms}"
            )
    if not schedule.entries:
        lines += ["", "No sessions, so no reminders."]
    return "\n".join(lines) + "\n"


async def reminder_schedule(args: argparse.Namespace, settings: Settings) -> int:
    defaults = server_defaults(settings)
    async with open_database(existing_database(args, settings)) as db:
        community_id = await community_in(args, settings, db)
        programme = ProgrammeService(db)
        service = ReminderService(db, programme, ServerSettingsService(db, defaults), community_ids=(community_id,))
        schedule = await service.schedule(community_id)
    if schedule.title is None:
        raise UserFacingError(no_programme_text(community_id))
    if args.json:
        print(json.dumps(schedule_as_json(schedule), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(schedule_as_text(schedule))
    return 0
