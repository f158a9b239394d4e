"""The organiser commands' limits and texts: pure helpers, tested without Discord."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from discord.utils import escape_markdown

from bot.domain.answers import shorten
from bot.domain.discord_text import timestamp
from bot.domain.errors import UserFacingError, quoted
from bot.domain.exports import ExportAuditEntry, ExportFormat
from bot.domain.import_preview import plural as plural  # re-exported: the organiser cogs use these from here
from bot.domain.import_preview import preview_header_lines
from bot.domain.import_preview import preview_lines as domain_preview_lines
from bot.domain.import_preview import what_changed as what_changed
from bot.domain.import_preview import when_text as when_text
from bot.domain.importing import ImportPlan
from bot.domain.programme import Programme, ProgrammeRecord
from bot.domain.reminders import format_offsets
from bot.domain.retention_text import RetentionPlan
from bot.domain.retention_text import retention_text as domain_retention_text
from bot.domain.server_settings import ServerSettings, StoredServerSettings
from bot.domain.settings_rules import withheld_note
from bot.domain.stats_text import stats_lines as domain_stats_lines
from bot.domain.stats_text import week_stats_lines as domain_week_stats_lines
from bot.services.exports import ExportDelivery, ExportRequest, Packaging
from bot.services.stats import StatsReport, WeekFigures

log = logging.getLogger(__name__)

IMPORT_PREVIEW_TTL = timedelta(minutes=15)
NAMED_EXPORT_TTL = timedelta(minutes=10)
AUDIT_SHOWN = 20
WARNINGS_SHOWN = 3
PREVIEW_BUDGET = 3500  # characters of the preview embed's description before the rest goes in a file

# What to do in the week before retention deletes the answers, with Discord's commands.
BEFORE_DELETION = "Export them first with /export answers, or change the period with /setup retention_days."

REMIND_SUBSCRIBED = "opted_in"
REMIND_INTERESTED = "opted_in_and_interested"
REMINDER_DM_CHOICES = {
    REMIND_SUBSCRIBED: "members who asked with /reminders",
    REMIND_INTERESTED: "those, and members Interested in the session's event",
}

FORMAT_LABELS = {
    ExportFormat.CSV: "CSV",
    ExportFormat.JSON: "JSON",
    ExportFormat.XLSX: "Excel (XLSX)",
    ExportFormat.MARKDOWN: "Markdown report",
}


def start_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserFacingError(
            f"{quoted(text)} is not a date: give the first session's new date as YYYY-MM-DD, such as 2021-01-11."
        ) from None


def preview_header(programme: Programme, plan: ImportPlan, filename: str, warnings: Sequence[str] = ()) -> str:
    # The file's own warnings (a session without prompts...) first, then what the import would lose or move.
    shown = [shorten(warning, 300) for warning in programme.warnings[:WARNINGS_SHOWN]]
    if len(programme.warnings) > len(shown):
        shown.append(f"…and {plural(len(programme.warnings) - len(shown), 'more warning')}.")
    lines = preview_header_lines(
        programme, plan, filename, [*shown, *warnings], export_hint="/export answers", escape=escape_markdown
    )
    lines.append("Nothing is saved until you press Confirm.")
    return "\n".join(lines)


def preview_lines(current: ProgrammeRecord | None, programme: Programme, plan: ImportPlan) -> list[str]:
    return domain_preview_lines(current, programme, plan, escape=escape_markdown)


def settings_lines(
    settings: ServerSettings, stored: StoredServerSettings, programme: ProgrammeRecord | None
) -> list[str]:
    def source(stored_value: object, value: object) -> str:
        return " (default from the bot's settings)" if stored_value is None and value is not None else ""

    def channel(channel_id: int | None) -> str:
        return f"<#{channel_id}>" if channel_id else "not set"

    def role(role_id: int | None) -> str:
        return f"<@&{role_id}>" if role_id else "not set"

    window = settings.answer_window
    retention = settings.retention
    lines = [
        f"**Reminder channel:** {channel(settings.reminder_channel_id)}"
        f"{source(stored.reminder_channel_id, settings.reminder_channel_id)}",
        f"**Reminder times:** {format_offsets(settings.reminder_offsets)} before each session"
        f"{source(stored.reminder_offsets, settings.reminder_offsets)}",
        f"**Ping role:** {role(settings.ping_role_id)}{source(stored.ping_role_id, settings.ping_role_id)}",
        f"**Facilitator role:** {role(settings.facilitator_role_id)}"
        f"{source(stored.facilitator_role_id, settings.facilitator_role_id)} (and anyone with Manage Threads)",
        f"**Organiser role:** {role(settings.organiser_role_id)}"
        f"{source(stored.organiser_role_id, settings.organiser_role_id)} (and anyone with Manage Server)",
        f"**Discussion channel:** {channel(settings.discussion_channel_id)}",
        f"**Meeting link:** {settings.meeting_link or 'not set'}",
        "**Discord events:** "
        + ("on: each session is in the server's Events list" if settings.events_enabled else "off"),
        "**Reminder DMs go to:** "
        + REMINDER_DM_CHOICES[REMIND_INTERESTED if settings.remind_interested else REMIND_SUBSCRIBED]
        + " (never to anyone who turned them off with /reminders off)",
    ]
    for item in settings.withheld:  # a channel or role that is not this server's own (or @everyone)
        what, fix = withheld_note(item)
        lines.append(f"⚠️ {what[0].upper()}{what[1:]} Fix: {fix}")
    if programme is not None:
        for session in sorted(programme.sessions, key=lambda s: s.week):
            if session.meeting_link:
                lines.append(f"  · week {session.week}: {session.meeting_link}")
    lines.append(
        "**Answer window:** "
        + (
            f"{plural(int(window.total_seconds() // 3600), 'hour')} after each session ends; later answers are "
            "marked late"
            if window is not None
            else "none: answers are never marked late"
        )
    )
    lines.append(
        "**Retention:** "
        + (
            f"answers are deleted {plural(retention.days, 'day')} after the last session"
            if retention is not None
            else "none: answers are kept until deleted"
        )
    )
    return lines


def week_stats_lines(week: WeekFigures) -> list[str]:
    return domain_week_stats_lines(week, escape=escape_markdown)


def stats_lines(report: StatsReport) -> list[str]:
    return domain_stats_lines(report, escape=escape_markdown)


def audit_line(entry: ExportAuditEntry) -> str:
    if entry.actor_id is not None:
        who = f"<@{entry.actor_id}>"
    else:
        who = "the command line" + (f" (user `{escape_markdown(entry.cli_user)}`)" if entry.cli_user else "")
    scope = "all weeks" if entry.week is None else f"week {entry.week}"
    fmt = next((label for f, label in FORMAT_LABELS.items() if f.value == entry.format), entry.format)
    identities = "**named**" if entry.identities == "named" else "pseudonymous"
    rows = plural(entry.row_count, "row")
    if entry.kind == "report":
        fmt, rows = "report (HTML)", f"{plural(entry.row_count, 'answer')} shown"
    return f"{timestamp(entry.created_at, 'f')} · {who} · {scope} · {fmt} · {identities} · {rows}"


def report_delivery_text(week: int | None, delivery: ExportDelivery, limit: int) -> str:
    scope = "all weeks" if week is None else f"week {week}"
    lines = [
        f"The programme report ({scope}; {plural(delivery.rows, 'answer')} shown, under pseudonyms): one HTML file "
        "to open in any browser, offline, or print. This report is recorded in /export audit."
    ]
    return "\n".join(lines + packaging_lines(delivery, limit))


def packaging_lines(delivery: ExportDelivery, limit: int) -> list[str]:
    """What was done to fit Discord's upload limit, if anything."""
    limit_text = size_text(limit)
    if delivery.packaging is Packaging.ZIPPED:
        return [f"The file was over Discord's {limit_text} upload limit, so it is compressed as a zip."]
    if delivery.packaging is Packaging.SPLIT:
        name = delivery.files[0].name.rsplit(".", 1)[0]
        return [
            f"The file was over Discord's {limit_text} upload limit even compressed, so it comes as a zip in "
            f"{len(delivery.files)} parts, one per message. Download them all, then join them: "
            f"`cat {name}.0* > {name}` (or open the .001 part with 7-Zip)."
        ]
    return []


def delivery_text(request: ExportRequest, delivery: ExportDelivery, limit: int) -> str:
    scope = "all weeks" if request.week is None else f"week {request.week}"
    identities = (
        "named: Discord ids and display names included" if request.named else "pseudonymous (stable member pseudonyms)"
    )
    lines = [
        f"Exported {plural(delivery.rows, 'answer')} ({scope}, {FORMAT_LABELS[request.format]}, {identities}). "
        "This export is recorded in /export audit."
    ]
    if delivery.rows == 0:
        lines.append("There are no answers in this scope yet: the file has the headings only.")
    lines += packaging_lines(delivery, limit)
    if request.named:
        lines.append("Answers are members' political opinions: keep this file safe and delete it when done.")
    return "\n".join(lines)


def size_text(size: int) -> str:
    """Bytes as people read them: ``10 MB``, ``25 MB``, ``20 KB``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{size / 1024:.3g} KB"


def retention_text(schedule: RetentionPlan | None) -> str | None:
    """When answers will be deleted, as /setup and /stats show it, in Discord's commands."""
    return domain_retention_text(schedule, before_deletion=BEFORE_DELETION)
