"""Organisers' commands: /setup, /import, /export answers|audit and /stats. Every reply is private.

Every command is organisers only: the organiser role (ORGANISER_ROLE_ID or /setup) or Manage Server,
checked by the bot on every use (cogs/_checks.py); Discord's default permissions only hide the commands.

Where a pending import lives between the preview and Confirm: in memory (``PendingImports``), under a random
token carried in the buttons' custom_ids, for 15 minutes. The buttons are DynamicItems, so after a restart
(or once the 15 minutes are up) pressing Confirm says the preview expired and to upload the file again,
rather than failing silently; nothing is written until Confirm.

Named exports need a second press: the confirmation button carries the whole request (week, format, who
asked, when) in its custom_id, so it needs no memory, and it expires after 10 minutes.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.utils import escape_markdown

from bot.domain.clock import Clock
from bot.domain.discord_text import MESSAGE_LIMIT, timestamp
from bot.domain.errors import ImportConflictError, NotFoundError, SettingsError, UserFacingError
from bot.domain.exports import ExportAuditEntry, ExportFormat
from bot.domain.importing import ImportPlan, SessionChange, carry_over_week_links
from bot.domain.parsers import MAX_FILE_BYTES, parse_programme_file
from bot.domain.programme import Programme, ProgrammeRecord, Session, SessionRecord, redate
from bot.domain.reminders import format_offsets, parse_offsets
from bot.domain.server_settings import ServerSettings, StoredServerSettings
from bot.domain.stats import HIDDEN
from bot.services.exports import ExportDelivery, ExportRequest, Packaging
from bot.services.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, RetentionSchedule
from bot.services.stats import StatsReport, WeekFigures
from bot.tree import NotAllowedError, report_error, send_private
from cogs._base import WorkshopCog, guild_id_of, workshop_bot
from cogs._checks import organisers_only, require_organiser
from cogs._render import EMBED_DESCRIPTION_LIMIT, paginate, valid_weeks_text
from cogs.programme import EMBED_COLOUR, week_autocomplete

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)

IMPORT_PREVIEW_TTL = timedelta(minutes=15)
NAMED_EXPORT_TTL = timedelta(minutes=10)
MAX_ANSWER_WINDOW_HOURS = 28 * 24
MAX_LINK_LENGTH = 500
AUDIT_SHOWN = 20
PREVIEW_BUDGET = 3500  # characters of the preview embed's description before the rest goes in a file

CLEARABLE = {
    "reminder channel": "reminder_channel_id",
    "reminder times": "reminder_offsets",
    "ping role": "ping_role_id",
    "facilitator role": "facilitator_role_id",
    "organiser role": "organiser_role_id",
    "discussion channel": "discussion_channel_id",
    "meeting link": "meeting_link",
    "answer window": "answer_window",
    "retention": "retention",
}

FORMAT_LABELS = {
    ExportFormat.CSV: "CSV",
    ExportFormat.JSON: "JSON",
    ExportFormat.XLSX: "Excel (XLSX)",
    ExportFormat.MARKDOWN: "Markdown report",
}


# --- pure helpers (tested without Discord) ------------------------------------------------------------


def https_link(text: str) -> str:
    """A meeting link as given, if it is a full https address."""
    link = text.strip()
    parts = urlsplit(link)
    if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in link) or len(link) > MAX_LINK_LENGTH:
        raise SettingsError(
            "The meeting link must be a full https:// address (such as https://zoom.us/j/123456789), "
            f"at most {MAX_LINK_LENGTH} characters. Nothing was changed."
        )
    return link


def start_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserFacingError(
            f"'{text}' is not a date: give the first session's new date as YYYY-MM-DD, such as 2021-01-11."
        ) from None


def when_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """Local time and UTC: ``Mon 03 Aug 2020 19:00–21:00 BST (2020-08-03 18:00–20:00 UTC)``."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return (
        f"{local_start:%a %d %b %Y %H:%M}–{local_end:%H:%M} {local_start.tzname()} "
        f"({start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC)"
    )


def what_changed(old: SessionRecord, new: Session) -> list[str]:
    changed = []
    if old.title != new.title:
        changed.append("title")
    if (old.start, old.end) != (new.start, new.end):
        changed.append("time")
    if old.location != new.location:
        changed.append("place")
    if old.description != new.description:
        changed.append("description")
    if old.meeting_link != new.meeting_link:
        changed.append("meeting link")
    if tuple(p.text for p in old.prompts) != new.prompts:
        changed.append("prompts")
    return changed


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def preview_lines(current: ProgrammeRecord | None, programme: Programme, plan: ImportPlan) -> list[str]:
    """One line per session: week, title, local time and UTC, prompts, and what the import does to it."""
    new = {s.week: s for s in programme.sessions}
    old = {s.week: s for s in current.sessions} if current else {}
    zone = programme.zone
    lines = []
    for change in sorted(plan.sessions, key=lambda c: c.week):
        session: Session | SessionRecord = new[change.week] if change.week in new else old[change.week]
        prompts = len(session.prompts)
        head = (
            f"**Week {change.week} · {escape_markdown(session.title)}** — "
            f"{when_text(session.start, session.end, zone)} · {_plural(prompts, 'prompt')}"
        )
        lines.append(f"{head} · {_change_text(change, old.get(change.week), new.get(change.week))}")
    return lines


def _change_text(change: SessionChange, old: SessionRecord | None, new: Session | None) -> str:
    lost = f"; **{_plural(change.answers_lost, 'answer')} deleted**" if change.answers_lost else ""
    if change.kind == "added":
        return "**new**"
    if change.kind == "removed":
        return f"**removed**{lost}"
    if change.kind == "unchanged" or old is None or new is None:
        return "unchanged"
    prompts = ""
    if change.prompts_added or change.prompts_removed:
        prompts = f" (+{change.prompts_added} / −{change.prompts_removed} prompts)"
    return f"**changed**: {', '.join(what_changed(old, new))}{prompts}{lost}"


def preview_header(programme: Programme, plan: ImportPlan, filename: str) -> str:
    lines = [
        f"**{escape_markdown(programme.title)}** from `{filename}`: {_plural(len(programme.sessions), 'session')}, "
        f"times in {programme.timezone} with UTC in brackets.",
        f"Changes: {plan.summary()}.",
    ]
    if plan.answers_lost:
        lines.append(
            f"⚠️ Confirming **deletes {_plural(plan.answers_lost, 'answer')}** given to prompts this file removes. "
            "Export them first with /export answers if they are needed."
        )
    lines.append("Nothing is saved until you press Confirm.")
    return "\n".join(lines)


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
    ]
    if programme is not None:
        for session in sorted(programme.sessions, key=lambda s: s.week):
            if session.meeting_link:
                lines.append(f"  · week {session.week}: {session.meeting_link}")
    lines.append(
        "**Answer window:** "
        + (
            f"{_plural(int(window.total_seconds() // 3600), 'hour')} after each session ends; later answers are "
            "marked late"
            if window is not None
            else "none: answers are never marked late"
        )
    )
    lines.append(
        "**Retention:** "
        + (
            f"answers are deleted {_plural(retention.days, 'day')} after the last session"
            if retention is not None
            else "none: answers are kept until deleted"
        )
    )
    return lines


def retention_text(schedule: RetentionSchedule | None) -> str | None:
    if schedule is None:
        return None
    when = f"{timestamp(schedule.deletes_at)} ({timestamp(schedule.deletes_at, 'R')})"
    if schedule.warning_period:
        return (
            f"⚠️ Answers will be **deleted on {when}**, {_plural(schedule.retention.days, 'day')} after the last "
            "session. Export them first with /export answers, or change the period with /setup retention_days."
        )
    return (
        f"Answers are kept until {timestamp(schedule.deletes_at, 'D')}, "
        f"{_plural(schedule.retention.days, 'day')} after the last session; organisers are warned a week before."
    )


def _figure(value: str, noun: str) -> str:
    return f"{value} {noun}" if value != HIDDEN else f"{noun} hidden"


def week_stats_lines(week: WeekFigures) -> list[str]:
    answers = "answers hidden" if week.answers == HIDDEN else f"{week.answers} answers"
    dms = (
        "DMs hidden"
        if week.dm_reminders_sent == HIDDEN
        else f"DMs {week.dm_reminders_sent} sent, {week.dm_reminders_failed} failed"
    )
    return [
        f"**Week {week.week} · {escape_markdown(week.title)}**",
        f"{answers} from {week.contributors} members · threads {week.threads_open} open, "
        f"{week.threads_closed} closed · reminders {week.reminders_posted} posted, {week.reminders_post_failed} failed"
        f" · {dms}",
    ]


def stats_lines(report: StatsReport) -> list[str]:
    lines = [
        f"**Whole programme:** {_figure(report.answers, 'answers')} from {report.contributors} members · "
        f"DM subscribers: {report.dm_subscribers}",
        "",
    ]
    for week in report.weeks:
        lines += week_stats_lines(week)
    return lines


def audit_line(entry: ExportAuditEntry) -> str:
    who = "the command line" if entry.actor_id is None else f"<@{entry.actor_id}>"
    scope = "all weeks" if entry.week is None else f"week {entry.week}"
    fmt = next((label for f, label in FORMAT_LABELS.items() if f.value == entry.format), entry.format)
    identities = "**named**" if entry.identities == "named" else "pseudonymous"
    rows = _plural(entry.row_count, "row")
    return f"{timestamp(entry.created_at, 'f')} · {who} · {scope} · {fmt} · {identities} · {rows}"


def delivery_text(request: ExportRequest, delivery: ExportDelivery, limit: int) -> str:
    scope = "all weeks" if request.week is None else f"week {request.week}"
    identities = (
        "named: Discord ids and display names included" if request.named else "pseudonymous (stable member pseudonyms)"
    )
    lines = [
        f"Exported {_plural(delivery.rows, 'answer')} ({scope}, {FORMAT_LABELS[request.format]}, {identities}). "
        "This export is recorded in /export audit."
    ]
    if delivery.rows == 0:
        lines.append("There are no answers in this scope yet: the file has the headings only.")
    limit_text = size_text(limit)
    if delivery.packaging is Packaging.ZIPPED:
        lines.append(f"The file was over Discord's {limit_text} upload limit, so it is compressed as a zip.")
    elif delivery.packaging is Packaging.SPLIT:
        name = delivery.files[0].name.rsplit(".", 1)[0]
        lines.append(
            f"The file was over Discord's {limit_text} upload limit even compressed, so it comes as a zip in "
            f"{len(delivery.files)} parts, one per message. Download them all, then join them: "
            f"`cat {name}.0* > {name}` (or open the .001 part with 7-Zip)."
        )
    if request.named:
        lines.append("Answers are members' political opinions: keep this file safe and delete it when done.")
    return "\n".join(lines)


def size_text(size: int) -> str:
    """Bytes as people read them: ``10 MB``, ``25 MB``, ``20 KB``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{size / 1024:.3g} KB"


# --- pending imports ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingImport:
    guild_id: int
    user_id: int
    filename: str
    programme: Programme
    plan: ImportPlan
    expires_at: datetime


class PendingImports:
    """Previewed imports waiting for Confirm, in memory only (see the module docstring)."""

    def __init__(self, clock: Clock, ttl: timedelta = IMPORT_PREVIEW_TTL) -> None:
        self._clock = clock
        self._ttl = ttl
        self._pending: dict[str, PendingImport] = {}

    def add(self, guild_id: int, user_id: int, filename: str, programme: Programme, plan: ImportPlan) -> str:
        self._drop_expired()
        token = secrets.token_urlsafe(12)
        self._pending[token] = PendingImport(guild_id, user_id, filename, programme, plan, self._clock() + self._ttl)
        return token

    def get(self, token: str) -> PendingImport | None:
        self._drop_expired()
        return self._pending.get(token)

    def discard(self, token: str) -> None:
        self._pending.pop(token, None)

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._pending)

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, p in self._pending.items() if p.expires_at <= now]:
            del self._pending[token]


EXPIRED_IMPORT = (
    "This import preview has expired (after 15 minutes, or because the bot restarted). Nothing was imported: "
    "upload the file again with /import."
)


def _organiser_cog(interaction: discord.Interaction[Any]) -> OrganiserCog:
    cog = workshop_bot(interaction).get_cog(OrganiserCog.__cog_name__)
    if not isinstance(cog, OrganiserCog):
        raise UserFacingError("The organiser commands are not available right now; please try again later.")
    return cog


class ImportButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"import:(?P<action>confirm|cancel):(?P<token>[A-Za-z0-9_-]{1,40})",
):
    def __init__(self, action: str, token: str, *, answers_lost: int = 0) -> None:
        if action == "confirm":
            label = f"Confirm and delete {_plural(answers_lost, 'answer')}" if answers_lost else "Confirm import"
            style = discord.ButtonStyle.danger if answers_lost else discord.ButtonStyle.success
        else:
            label, style = "Cancel", discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"import:{action}:{token}"))
        self.action = action
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ImportButton:
        return cls(match["action"], match["token"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            cog = _organiser_cog(interaction)
            if self.action == "confirm":
                await cog.confirm_import(interaction, self.token)
            else:
                await cog.cancel_import(interaction, self.token)
        except Exception as error:
            await report_error(interaction, error)


def import_view(token: str, answers_lost: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ImportButton("confirm", token, answers_lost=answers_lost))
    view.add_item(ImportButton("cancel", token))
    return view


class NamedExportButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        r"export:named:(?P<week>\d{1,6}):(?P<format>csv|json|xlsx|markdown):(?P<user>\d{1,20}):(?P<issued>\d{1,12})"
    ),
):
    """Confirms a named export. Everything it needs is in its custom_id; it expires after 10 minutes."""

    def __init__(self, week: int | None, fmt: ExportFormat, user_id: int, issued: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Export with names",
                style=discord.ButtonStyle.danger,
                custom_id=f"export:named:{week or 0}:{fmt.value}:{user_id}:{issued}",
            )
        )
        self.week = week
        self.format = fmt
        self.user_id = user_id
        self.issued = issued

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> NamedExportButton:
        week = int(match["week"])
        return cls(week or None, ExportFormat(match["format"]), int(match["user"]), int(match["issued"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await _organiser_cog(interaction).confirm_named_export(interaction, self)
        except Exception as error:
            await report_error(interaction, error)


class CancelNamedExportButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"export:named-cancel"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="export:named-cancel")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelNamedExportButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await interaction.response.edit_message(content="Named export cancelled; nothing was exported.", view=None)
        except Exception as error:
            await report_error(interaction, error)


# --- Discord behind the services' interfaces -------------------------------------------------------------


class DiscordDisplayNames:
    """Members' display names as Discord has them now, for named exports (never stored)."""

    def __init__(self, bot: WorkshopBot) -> None:
        self._bot = bot

    async def display_names(self, guild_id: int, user_ids: Sequence[int]) -> Mapping[int, str]:
        guild = self._bot.get_guild(guild_id)
        if guild is None:
            return {}
        names: dict[int, str] = {}
        for user_id in user_ids:
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.NotFound:
                    continue  # left the server: the export shows no name
                except discord.HTTPException as error:
                    log.warning("could not look up member %s for a named export: %s", user_id, error.status)
                    continue
            names[user_id] = member.display_name
        return names


# --- the cog ----------------------------------------------------------------------------------------------


class OrganiserCog(WorkshopCog):
    export = app_commands.Group(
        name="export",
        description="Organisers: export members' answers, or see who exported what",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: WorkshopBot) -> None:
        super().__init__(bot)
        self.pending_imports = PendingImports(bot.clock)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ImportButton, NamedExportButton, CancelNamedExportButton)
        self.bot.services.retention.set_notifier(self)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ImportButton, NamedExportButton, CancelNamedExportButton)
        self.bot.services.retention.set_notifier(None)

    # --- /setup -------------------------------------------------------------------------------------------

    @app_commands.command(name="setup", description="Organisers: show this server's settings, or change them")
    @app_commands.describe(
        reminder_channel="Where reminders are posted",
        reminder_times="How long before each session to remind, such as 24h,1h,15m",
        ping_role="The role reminders mention",
        facilitator_role="Members with this role can run discussion threads",
        organiser_role="Members with this role can use the organiser commands",
        discussion_channel="Where prompt threads are opened (a text or forum channel)",
        meeting_link="The https link to join sessions (for one week if you also give week)",
        week="The week meeting_link (or clear: meeting link) is for; leave out for the whole programme",
        answer_window_hours="Hours after a session ends during which answers count as on time (0 to 672)",
        retention_days="Days after the last session after which answers are deleted (1 to 3650)",
        clear="Reset one setting (to the bot's default, or to none)",
    )
    @app_commands.choices(clear=[app_commands.Choice(name=name, value=name) for name in CLEARABLE])
    @app_commands.autocomplete(week=week_autocomplete)
    @app_commands.guild_only()
    @organisers_only("change the server's settings")
    async def setup_command(
        self,
        interaction: discord.Interaction[Any],
        reminder_channel: discord.TextChannel | None = None,
        reminder_times: app_commands.Range[str, 1, 100] | None = None,
        ping_role: discord.Role | None = None,
        facilitator_role: discord.Role | None = None,
        organiser_role: discord.Role | None = None,
        discussion_channel: discord.TextChannel | discord.ForumChannel | None = None,
        meeting_link: app_commands.Range[str, 1, MAX_LINK_LENGTH] | None = None,
        week: int | None = None,
        answer_window_hours: app_commands.Range[int, 0, MAX_ANSWER_WINDOW_HOURS] | None = None,
        retention_days: app_commands.Range[int, MIN_RETENTION_DAYS, MAX_RETENTION_DAYS] | None = None,
        clear: str | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        # Saving may re-plan reminders and post a retention warning before the reply: defer first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        changes: dict[str, Any] = {}
        notes: list[str] = []
        if reminder_channel is not None:
            changes["reminder_channel_id"] = reminder_channel.id
            notes += self._posting_problems(reminder_channel)
        if reminder_times is not None:
            changes["reminder_offsets"] = parse_offsets(reminder_times)
        for name, role in (
            ("ping_role_id", ping_role),
            ("facilitator_role_id", facilitator_role),
            ("organiser_role_id", organiser_role),
        ):
            if role is not None:
                if role.is_default():
                    raise SettingsError(
                        f"@everyone cannot be the {name.removesuffix('_role_id')} role: choose a role given to "
                        "some members only. Nothing was changed."
                    )
                changes[name] = role.id
        if discussion_channel is not None:
            changes["discussion_channel_id"] = discussion_channel.id
        if answer_window_hours is not None:
            if not 0 <= answer_window_hours <= MAX_ANSWER_WINDOW_HOURS:
                raise SettingsError(
                    f"The answer window must be 0 to {MAX_ANSWER_WINDOW_HOURS} hours (28 days). Nothing was changed."
                )
            changes["answer_window"] = timedelta(hours=answer_window_hours)
        if retention_days is not None:
            if not MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS:
                raise SettingsError(
                    f"Retention must be {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days after the last session. "
                    "Nothing was changed."
                )
            changes["retention"] = timedelta(days=retention_days)
        link = https_link(meeting_link) if meeting_link is not None else None
        week_link: tuple[int, str | None] | None = None
        if clear is not None:
            if clear not in CLEARABLE:
                raise SettingsError(f"'{clear}' is not a setting that can be cleared. Nothing was changed.")
            setting = CLEARABLE[clear]
            if setting in changes or (setting == "meeting_link" and link is not None):
                raise SettingsError(f"You asked to both set and clear the {clear}. Nothing was changed.")
            if setting == "meeting_link" and week is not None:
                week_link = (week, None)
            else:
                changes[setting] = None
        if link is not None:
            if week is not None:
                week_link = (week, link)
            else:
                changes["meeting_link"] = link
        if week is not None and week_link is None:
            raise SettingsError(
                "week only applies to a meeting link: give meeting_link (or clear: meeting link) with it. "
                "Nothing was changed."
            )
        programme = await services.programme.get(guild_id)
        if week_link is not None and (programme is None or programme.session_for_week(week_link[0]) is None):
            valid = f" Valid weeks: {valid_weeks_text(programme)}." if programme else ""
            raise NotFoundError(f"There is no week {week_link[0]} in this programme.{valid} Nothing was changed.")

        if not changes and week_link is None:
            await self._show_settings(interaction, guild_id, "Settings for this server:")
            return
        if changes:
            await services.settings.update(guild_id, **changes)
        if week_link is not None:
            await services.programme.set_week_meeting_link(guild_id, *week_link)
        if "retention" in changes:
            await services.retention.check(guild_id)
        changed = [name for name, setting in CLEARABLE.items() if setting in changes]
        if week_link is not None:
            changed.append(f"meeting link for week {week_link[0]}")
        heading = f"Saved: {', '.join(changed)}."
        if notes:
            heading += "\n" + "\n".join(notes)
        await self._show_settings(interaction, guild_id, heading)

    def _posting_problems(self, channel: discord.TextChannel) -> list[str]:
        me = channel.guild.me
        if me is None:
            return []
        permissions = channel.permissions_for(me)
        if permissions.view_channel and permissions.send_messages:
            return []
        return [f"⚠️ The bot cannot post in {channel.mention} yet: give it View Channel and Send Messages there."]

    async def _show_settings(self, interaction: discord.Interaction[Any], guild_id: int, heading: str) -> None:
        services = self.bot.services
        settings = await services.settings.get(guild_id)
        stored = await services.settings.stored(guild_id)
        programme = await services.programme.get(guild_id)
        lines = settings_lines(settings, stored, programme)
        retention = retention_text(await services.retention.schedule(guild_id))
        if retention:
            lines += ["", retention]
        description = "\n".join(lines)
        if len(description) > EMBED_DESCRIPTION_LIMIT:
            description = description[: EMBED_DESCRIPTION_LIMIT - 1] + "…"
        embed = discord.Embed(title="Server settings", description=description, colour=EMBED_COLOUR)
        await send_private(interaction, heading[:MESSAGE_LIMIT], embed=embed)

    # --- /import ------------------------------------------------------------------------------------------

    @app_commands.command(name="import", description="Organisers: import a programme file, with a preview first")
    @app_commands.describe(
        file="The programme: a .toml file or the published listing as text (at most 1 MB)",
        start="Move the programme so its first session is on this date (YYYY-MM-DD)",
    )
    @app_commands.guild_only()
    @organisers_only("import a programme")
    async def import_programme(
        self, interaction: discord.Interaction[Any], file: discord.Attachment, start: str | None = None
    ) -> None:
        guild_id = guild_id_of(interaction)
        new_start = start_date(start) if start is not None else None
        if file.size > MAX_FILE_BYTES:
            raise UserFacingError(
                f"{file.filename} is {file.size:,} bytes; a programme file can be at most {MAX_FILE_BYTES:,} bytes."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        programme = parse_programme_file(data, filename=file.filename, default_timezone=self.bot.settings.timezone)
        if new_start is not None:
            programme = redate(programme, new_start)
        current = await self.bot.services.programme.get(guild_id)
        programme = carry_over_week_links(current, programme)
        plan = await self.bot.services.programme.preview(guild_id, programme)
        if not plan.changes_anything:
            await send_private(interaction, f"Nothing to import: {file.filename} is the same as the current programme.")
            return
        token = self.pending_imports.add(guild_id, interaction.user.id, file.filename, programme, plan)
        lines = preview_lines(current, programme, plan)
        description = preview_header(programme, plan, file.filename) + "\n\n"
        shown: list[str] = []
        for line in lines:
            if len(description) + sum(len(s) + 1 for s in shown) + len(line) > PREVIEW_BUDGET:
                break
            shown.append(line)
        extra: dict[str, Any] = {}
        if len(shown) < len(lines):
            shown.append(f"…and {len(lines) - len(shown)} more: every session is in the attached preview.")
            full = "\n".join(re.sub(r"\*\*", "", line) for line in lines) + "\n"
            extra["file"] = discord.File(io.BytesIO(full.encode()), filename="import-preview.txt")
        embed = discord.Embed(title="Import preview", description=description + "\n".join(shown), colour=EMBED_COLOUR)
        embed.set_footer(text="This preview expires in 15 minutes.")
        await interaction.followup.send(
            embed=embed, view=import_view(token, plan.answers_lost), ephemeral=True, **extra
        )

    async def confirm_import(self, interaction: discord.Interaction[Any], token: str) -> None:
        pending = self.pending_imports.get(token)
        if pending is None:
            await interaction.response.edit_message(content=EXPIRED_IMPORT, embed=None, view=None)
            return
        if interaction.user.id != pending.user_id:
            raise NotAllowedError("Only the organiser who uploaded this programme can confirm it.")
        await require_organiser(interaction, "import a programme")
        self.pending_imports.discard(token)  # one press imports once
        await interaction.response.defer()
        programme_service = self.bot.services.programme
        try:
            # Checked inside the import's own transaction: answers given since the preview stop it.
            plan = await programme_service.import_programme(
                pending.guild_id, pending.programme, expected_answers_lost=pending.plan.answers_lost
            )
        except ImportConflictError:
            now = await programme_service.preview(pending.guild_id, pending.programme)
            await self._import_outdated(interaction, now.answers_lost)
            return
        log.info("programme imported through /import by user %s in guild %s", interaction.user.id, pending.guild_id)
        await interaction.edit_original_response(
            content=f"Imported **{escape_markdown(pending.programme.title)}** from `{pending.filename}`: "
            f"{plan.summary()}.",
            embed=None,
            view=None,
            attachments=[],
        )

    async def _import_outdated(self, interaction: discord.Interaction[Any], answers_lost: int) -> None:
        await interaction.edit_original_response(
            content=(
                "Answers changed since the preview: this import would now delete "
                f"{_plural(answers_lost, 'answer')}. Nothing was imported; run /import again for an up-to-date "
                "preview."
            ),
            embed=None,
            view=None,
            attachments=[],
        )

    async def cancel_import(self, interaction: discord.Interaction[Any], token: str) -> None:
        pending = self.pending_imports.get(token)
        if pending is not None and interaction.user.id != pending.user_id:
            raise NotAllowedError("Only the organiser who uploaded this programme can cancel it.")
        self.pending_imports.discard(token)
        await interaction.response.edit_message(
            content="Import cancelled; nothing was changed.", embed=None, view=None, attachments=[]
        )

    # --- /export ------------------------------------------------------------------------------------------

    @export.command(name="answers", description="Organisers: export answers as a file, pseudonymous by default")
    @app_commands.describe(
        format="The file format",
        week="Only this week (leave out for every week)",
        identities="pseudonymous (default), or named: adds Discord ids and display names",
    )
    @app_commands.choices(
        format=[app_commands.Choice(name=label, value=fmt.value) for fmt, label in FORMAT_LABELS.items()],
        identities=[
            app_commands.Choice(name="pseudonymous (default)", value="pseudonymous"),
            app_commands.Choice(name="named: Discord ids and display names", value="named"),
        ],
    )
    @app_commands.autocomplete(week=week_autocomplete)
    @organisers_only("export answers")
    async def export_answers(
        self,
        interaction: discord.Interaction[Any],
        format: str,
        week: int | None = None,
        identities: str = "pseudonymous",
    ) -> None:
        guild_id = guild_id_of(interaction)
        try:
            fmt = ExportFormat(format)
        except ValueError:
            raise UserFacingError(f"'{format}' is not an export format.") from None
        if identities == "named":
            await self._ask_named_confirmation(interaction, guild_id, fmt, week)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = ExportRequest(guild_id, fmt, week=week, actor_id=interaction.user.id)
        await self._deliver_export(interaction, request)

    async def _ask_named_confirmation(
        self, interaction: discord.Interaction[Any], guild_id: int, fmt: ExportFormat, week: int | None
    ) -> None:
        programme = await self.bot.services.programme.require(guild_id)
        if week is not None and programme.session_for_week(week) is None:
            valid = valid_weeks_text(programme)
            raise NotFoundError(f"There is no week {week} in this programme. Valid weeks: {valid}.")
        issued = int(self.bot.clock().timestamp())
        view = discord.ui.View(timeout=None)
        view.add_item(NamedExportButton(week, fmt, interaction.user.id, issued))
        view.add_item(CancelNamedExportButton())
        scope = "every week" if week is None else f"week {week}"
        await send_private(
            interaction,
            f"⚠️ A **named** export ({scope}, {FORMAT_LABELS[fmt]}) puts each member's Discord id and display name "
            "next to their answers, which are political opinions. Only export names if you need them; keep the "
            "file safe and delete it when done. The export is recorded in /export audit as named.\n"
            "Press **Export with names** within 10 minutes to go ahead.",
            view=view,
        )

    async def confirm_named_export(self, interaction: discord.Interaction[Any], button: NamedExportButton) -> None:
        if interaction.user.id != button.user_id:
            raise NotAllowedError("Only the organiser who asked for this export can confirm it.")
        await require_organiser(interaction, "export answers")
        issued = datetime.fromtimestamp(button.issued, tz=UTC)
        if self.bot.clock() - issued > NAMED_EXPORT_TTL:
            await interaction.response.edit_message(
                content="This confirmation has expired; nothing was exported. Run /export answers again.", view=None
            )
            return
        await interaction.response.edit_message(content="Confirmed: preparing the named export…", view=None)
        request = ExportRequest(
            guild_id_of(interaction), button.format, week=button.week, named=True, actor_id=interaction.user.id
        )
        await self._deliver_export(interaction, request)

    async def _deliver_export(self, interaction: discord.Interaction[Any], request: ExportRequest) -> None:
        limit = interaction.filesize_limit
        names = DiscordDisplayNames(self.bot) if request.named else None
        async with self.bot.services.exports.export_for_upload(request, upload_limit=limit, names=names) as delivery:
            text = delivery_text(request, delivery, limit)
            for index, path in enumerate(delivery.files):
                content = text if index == 0 else f"Part {index + 1} of {len(delivery.files)}: `{path.name}`"
                await interaction.followup.send(
                    content,
                    file=discord.File(path, filename=path.name),
                    ephemeral=True,
                    allowed_mentions=discord.AllowedMentions.none(),
                )

    @export.command(name="audit", description="Organisers: who exported answers, when, and how")
    @organisers_only("see the export audit")
    async def export_audit(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        entries, total = await self.bot.services.exports.audit(guild_id, limit=AUDIT_SHOWN)
        if not entries:
            await send_private(interaction, "No answers have been exported from this server yet.")
            return
        heading = (
            f"The latest {len(entries)} of {total} exports, newest first:"
            if total > len(entries)
            else (f"{_plural(total, 'export')}, newest first:")
        )
        pages = paginate([audit_line(entry) for entry in entries])
        embed = discord.Embed(title="Export audit", description=pages[0], colour=EMBED_COLOUR)
        await send_private(interaction, heading, embed=embed)

    # --- /stats -------------------------------------------------------------------------------------------

    @app_commands.command(name="stats", description="Organisers: participation per week (small counts hidden)")
    @app_commands.guild_only()
    @organisers_only("see participation figures")
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        programme = await self.bot.services.programme.require(guild_id)
        report = await self.bot.services.stats.report(guild_id)
        lines = stats_lines(report)
        retention = retention_text(await self.bot.services.retention.schedule(guild_id))
        if retention:
            lines = [retention, "", *lines]
        pages = paginate(lines, per_page=200)
        footer = (
            f"Counts of 1 to {report.threshold - 1} members show as <{report.threshold}; a week's answers (and DM "
            f"counts) are hidden when fewer than {report.threshold} members took part."
        )
        for number, page in enumerate(pages):
            embed = discord.Embed(
                title=f"Participation: {programme.title}" if number == 0 else None,
                description=page,
                colour=EMBED_COLOUR,
            )
            if number == len(pages) - 1:
                embed.set_footer(text=footer)
            if interaction.response.is_done():
                await interaction.followup.send(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- retention notices (RetentionNotifier) --------------------------------------------------------

    async def retention_warning(self, guild_id: int, deletes_at: datetime, retention: timedelta) -> None:
        settings = await self.bot.services.settings.get(guild_id)
        if settings.reminder_channel_id is None:
            log.warning(
                "no reminder channel in guild %s for the retention warning: organisers see it in /stats and /setup",
                guild_id,
            )
            return
        role = settings.organiser_role_id
        mention = f"<@&{role}> " if role else ""
        content = (
            f"{mention}**Organisers:** the answers members gave in this server's workshop programme will be deleted "
            f"on {timestamp(deletes_at)} ({timestamp(deletes_at, 'R')}), {_plural(retention.days, 'day')} after the "
            "last session, as set with /setup. To keep a copy, use /export answers before then; to keep them "
            "longer, change retention_days with /setup."
        )
        allowed = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role)] if role else False)
        channel = self.bot.get_partial_messageable(settings.reminder_channel_id, guild_id=guild_id)
        await channel.send(content, allowed_mentions=allowed)

    async def retention_done(self, guild_id: int, deleted: int) -> None:
        settings = await self.bot.services.settings.get(guild_id)
        if settings.reminder_channel_id is None:
            return
        channel = self.bot.get_partial_messageable(settings.reminder_channel_id, guild_id=guild_id)
        await channel.send(
            "As set by this server's retention period, the answers given in the workshop programme have now been "
            "deleted.",
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: Any) -> None:
    await bot.add_cog(OrganiserCog(bot))
