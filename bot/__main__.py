"""The command line: ``python -m bot COMMAND``, for run, check, invite, programme import/show, schedule, export,
report and backup.

Settings are built here, from the environment and .env, and every resource is opened here and handed on.
A user mistake prints one clear line on stderr and exits non-zero; it never shows a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import json
import logging
import os
import sqlite3
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from bot import deliberation_cli
from bot.config import Settings, load_settings, server_defaults
from bot.domain.errors import SettingsError, UserFacingError
from bot.domain.exports import ExportFormat
from bot.domain.import_preview import (
    import_warnings,
    plain,
    preview_header_lines,
    preview_lines,
    start_weekday_warning,
    when_text,
)
from bot.domain.importing import ImportPlan, carry_over_week_links, plan_import
from bot.domain.parsers import parse_programme_file
from bot.domain.programme import Programme, ProgrammeRecord, redate
from bot.domain.reminders import ReminderDecision, format_offsets
from bot.migrate_cli import COMMAND as MIGRATE_COMMAND
from bot.migrate_cli import add_command as add_migrate_command
from bot.migrate_cli import migrate_to_postgres
from bot.services.communities import CommunityService
from bot.services.deliberation import DeliberationService
from bot.services.exports import ExportRequest, ExportService
from bot.services.programme import ProgrammeService
from bot.services.reminders import ReminderSchedule, ReminderService, ScheduledReminder
from bot.services.report import ReportRequest, ReportService
from bot.services.server_settings import ServerSettingsService
from bot.services.stats import StatsService
from bot.storage.engine import Database, SqliteDatabase, open_database
from bot.storage.unit_of_work import unit_of_work_factory

EXIT_USER_ERROR = 1
EXIT_NOT_READY = 3  # `check`: it ran, and found something to fix
FILE_ONLY = {"file_only": True}  # a log record for the log file, kept off the console (see bot.log_setup)


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported on one line that says where the help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--db", type=Path, metavar="PATH", help="the SQLite database (default: DATABASE_PATH, data/bot.sqlite3)"
    )
    common.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="settings file; it must exist when given (default: .env if present; the environment wins)",
    )

    guild = OneLineParser(add_help=False)
    guild.add_argument(
        "--guild",
        type=int,
        metavar="ID",
        help="the Discord server id (default: GUILD_ID, else the database's only server)",
    )

    parser = OneLineParser(
        prog="python -m bot", description="A Discord bot that runs a programme of online workshop sessions."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", parents=[common, guild], help="start the bot")
    run.add_argument(
        "--sync", action="store_true", help="re-register the slash commands in GUILD_ID now (default: only if changed)"
    )

    programme = commands.add_parser("programme", help="import or show the programme")
    programme_commands = programme.add_subparsers(dest="action", required=True, metavar="ACTION")
    importer = programme_commands.add_parser(
        "import", parents=[common, guild], help="import a programme file (.toml or the published listing)"
    )
    importer.add_argument("file", type=Path, help="the programme: a .toml file or the published listing as text")
    importer.add_argument(
        "--start",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="re-date the programme so its first session is on this day (keeps gaps and local times)",
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="show what the import would change, as /import does; write nothing"
    )
    importer.add_argument("--force", action="store_true", help="allow deleting answers to prompts the file drops")
    show = programme_commands.add_parser("show", parents=[common, guild], help="show the stored programme")
    show.add_argument("--json", action="store_true", help="machine-readable output (times in UTC)")

    schedule = commands.add_parser("schedule", parents=[common, guild], help="what reminders are sent when")
    schedule.add_argument("--json", action="store_true", help="machine-readable output")

    export = commands.add_parser("export", parents=[common, guild], help="export answers to a file")
    export.add_argument("--week", type=int, metavar="N", help="only this week's answers (default: every week)")
    export.add_argument("--format", required=True, choices=["csv", "json", "xlsx", "markdown"], help="the file format")
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (must not exist)")
    export.add_argument("--named", action="store_true", help="include Discord ids (not pseudonyms)")

    report = commands.add_parser("report", parents=[common, guild], help="the organisers' report as one HTML file")
    report.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the HTML file to write (must not exist)"
    )
    report.add_argument("--week", type=int, metavar="N", help="only this week's answers (the charts cover every week)")

    backup = commands.add_parser("backup", parents=[common], help="a consistent copy of the database")
    backup.add_argument("file", type=Path, help="the copy to write (must not exist)")

    commands.add_parser(
        "check",
        parents=[common, guild],
        help=f"connect to Discord and report what is not ready, with the fix (exit {EXIT_NOT_READY} when not ready)",
    )
    add_migrate_command(commands)
    deliberation_cli.add_parser(commands, [common, guild])
    invite = commands.add_parser("invite", parents=[guild], help="print the link that adds the bot to a server")
    invite.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="settings file; it must exist when given (default: .env if present; the environment wins)",
    )
    invite.add_argument(
        "--application-id", type=int, metavar="ID", help="the application's id (default: asked with DISCORD_TOKEN)"
    )
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _database(args: argparse.Namespace, settings: Settings) -> Path | str:
    """--db if given, else DATABASE_URL (PostgreSQL) if set, else DATABASE_PATH (SQLite)."""
    return args.db if getattr(args, "db", None) else settings.database_url or settings.database_path


def _existing_database(args: argparse.Namespace, settings: Settings) -> Path | str:
    """The database a command only reads (or audits into): never created here, so a typo is an error."""
    path = _database(args, settings)
    if isinstance(path, str):
        return path  # PostgreSQL: the server says whether it exists
    if not path.is_file():
        source = "--db" if getattr(args, "db", None) else "DATABASE_PATH"
        raise UserFacingError(
            f"no database at {path}: check {source} (the bot creates it on its first 'run', "
            "or import a programme with 'python -m bot programme import FILE')"
        )
    return path


def _guild(args: argparse.Namespace, settings: Settings) -> int:
    """The server named by --guild or GUILD_ID (for the commands that cannot look in the database)."""
    guild_id = args.guild if getattr(args, "guild", None) else settings.guild_id
    if guild_id is None:
        raise SettingsError("no Discord server given: pass --guild ID or set GUILD_ID in .env")
    return int(guild_id)


async def _guild_in(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """The server named by --guild or GUILD_ID; without either, the database's only server. With several,
    the error lists them, so the next command can name one."""
    guild_id = args.guild if getattr(args, "guild", None) else settings.guild_id
    if guild_id is not None:
        return int(guild_id)
    known = await CommunityService(db).known()
    if len(known) == 1:
        return known[0]
    if not known:
        raise SettingsError(
            "no Discord server given and the database holds none yet: pass --guild ID (or set GUILD_ID in .env)"
        )
    raise SettingsError(
        f"the database holds {len(known)} servers: {', '.join(map(str, known))}; pass --guild ID to choose one"
    )


async def programme_import(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        raise UserFacingError(f"cannot read {path}: {error.strerror or error}") from None
    original = parse_programme_file(data, filename=path.name, default_timezone=settings.timezone)
    programme = redate(original, args.start) if args.start else original

    def warnings(current: ProgrammeRecord | None, *, done: bool) -> list[str]:
        weekday = start_weekday_warning(original, args.start, done=done) if args.start else None
        return [*original.warnings, *([weekday] if weekday else []), *import_warnings(current, programme, done=done)]

    database = _database(args, settings)
    # a preview creates nothing
    if args.dry_run and isinstance(database, Path) and not await asyncio.to_thread(database.is_file):
        plan = plan_import(None, {}, programme)
        sys.stdout.write(import_preview_text(None, programme, plan, path.name, warnings(None, done=False)))
        return 0
    async with open_database(database) as db:
        guild_id = await _guild_in(args, settings, db)
        service = ProgrammeService(db, uow=unit_of_work_factory(db))
        current = await service.get(guild_id)
        programme = carry_over_week_links(current, programme)
        if args.dry_run:
            plan = await service.preview(guild_id, programme)
            sys.stdout.write(import_preview_text(current, programme, plan, path.name, warnings(current, done=False)))
            return 0
        plan = await service.import_programme(guild_id, programme, force=args.force)
    if not plan.changes_anything:
        print(f"Nothing imported: {path.name} is the same as the stored programme of server {guild_id}.")
        return 0
    print(f"Imported {programme.title!r} for server {guild_id}: {plan.summary(done=True)}.")
    for warning in warnings(current, done=True):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def import_preview_text(
    current: ProgrammeRecord | None, programme: Programme, plan: ImportPlan, filename: str, warnings: list[str]
) -> str:
    """The preview /import shows, as plain text."""
    if not plan.changes_anything:
        return f"Nothing to import: {filename} is the same as the stored programme.\n"
    lines = preview_header_lines(programme, plan, filename, warnings, export_hint="'python -m bot export'")
    lines.append("Dry run: nothing was written. Run the command again without --dry-run to import.")
    lines += ["", *preview_lines(current, programme, plan)]
    return "\n".join(plain(line) for line in lines) + "\n"


def programme_as_json(programme: ProgrammeRecord) -> dict[str, Any]:
    def utc(moment: Any) -> str:
        return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))

    return {
        "title": programme.title,
        "timezone": programme.timezone,
        "sessions": [
            {
                "week": s.week,
                "title": s.title,
                "start": utc(s.start),
                "end": utc(s.end),
                "location": s.location,
                "description": s.description,
                "prompts": [p.text for p in s.prompts],
            }
            for s in programme.sessions
        ],
    }


def programme_as_text(programme: ProgrammeRecord) -> str:
    zone = programme.zone
    lines = [programme.title, f"Times in {programme.timezone}, with UTC in brackets.", ""]
    for s in programme.sessions:
        lines.append(f"Week {s.week}: {s.title}")
        lines.append(f"  {when_text(s.start, s.end, zone, dash='-')}, {s.location}")
        if s.meeting_link:
            lines.append(f"  {s.meeting_link}")
        lines += [f"  {p.number}. {p.text}" for p in s.prompts]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def no_programme_text(guild_id: int) -> str:
    return (
        f"no programme has been imported for server {guild_id} yet: import one with "
        "'python -m bot programme import FILE' (data/programme.toml is the 2020 programme)"
    )


async def programme_show(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(_existing_database(args, settings)) as db:
        guild_id = await _guild_in(args, settings, db)
        programme = await ProgrammeService(db).get(guild_id)
    if programme is None:
        raise UserFacingError(no_programme_text(guild_id))
    if args.json:
        print(json.dumps(programme_as_json(programme), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(programme_as_text(programme))
    return 0


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    token = settings.require_for_run()  # every missing setting at once
    if args.guild:  # --guild names the development server, as GUILD_ID does
        settings = dataclasses.replace(settings, guild_id=args.guild)
    from bot.client import run  # imported here: the programme commands need no discord start-up

    return await run(settings, token=token, database_path=_database(args, settings), sync=args.sync)


async def backup(args: argparse.Namespace, settings: Settings) -> int:
    target: Path = args.file
    if await asyncio.to_thread(target.exists):
        raise UserFacingError(f"{target} already exists; choose a new file name for the backup")
    source = _existing_database(args, settings)
    if isinstance(source, str):
        raise UserFacingError("backup copies a SQLite database; back PostgreSQL up with its own tools (pg_dump)")
    async with SqliteDatabase.open(source) as db:  # the online backup API is SQLite's
        await db.backup_to(target)
    print(f"Backed up {source} to {target}")
    return 0


async def export_answers(args: argparse.Namespace, settings: Settings) -> int:
    """Answers to a file, as /export answers does; audited with the operating-system user as the actor."""
    out: Path = args.out
    if await asyncio.to_thread(out.exists):
        raise UserFacingError(f"{out} already exists; choose a new file name for the export")
    async with open_database(_existing_database(args, settings)) as db:
        request = ExportRequest(
            await _guild_in(args, settings, db),
            ExportFormat(args.format),
            week=args.week,
            named=args.named,
            cli_user=os_user(),
        )
        result = await ExportService(db, export_secret=settings.export_secret).export_to_file(request, out)
    scope = "all weeks" if args.week is None else f"week {args.week}"
    identities = "named: with Discord ids (display names come only from Discord)" if args.named else "pseudonymous"
    print(f"Exported {result.rows} answers ({scope}, {args.format}, {identities}) to {out}")
    print(f"Recorded in the export audit as run by {request.cli_user} (/export audit in Discord).")
    return 0


def os_user() -> str:
    """Who ran the command, for the export audit: the login name, else the user id."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (some containers)
        return f"uid {os.getuid()}"


async def write_report(args: argparse.Namespace, settings: Settings) -> int:
    """The HTML report to a file, as /report does; audited with the operating-system user as the actor."""
    out: Path = args.out
    if await asyncio.to_thread(out.exists):
        raise UserFacingError(f"{out} already exists; choose a new file name for the report")
    async with open_database(_existing_database(args, settings)) as db:
        request = ReportRequest(await _guild_in(args, settings, db), week=args.week, cli_user=os_user())
        exports = ExportService(db, export_secret=settings.export_secret)
        report = ReportService(db, exports, StatsService(db), deliberation=DeliberationService(db))
        result = await report.report_to_file(request, out)
    scope = "all weeks" if args.week is None else f"week {args.week}"
    print(f"Wrote the report ({scope}, {result.rows:,} answers shown, pseudonymous) to {out}")
    print(f"Recorded in the export audit as run by {request.cli_user} (/export audit in Discord).")
    return 0


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
        "guild_id": str(schedule.community_id),
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
        f"Reminders for {schedule.title} (server {schedule.community_id})",
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
    async with open_database(_existing_database(args, settings)) as db:
        guild_id = await _guild_in(args, settings, db)
        programme = ProgrammeService(db)
        service = ReminderService(db, programme, ServerSettingsService(db, defaults), community_ids=(guild_id,))
        schedule = await service.schedule(guild_id)
    if schedule.title is None:
        raise UserFacingError(no_programme_text(guild_id))
    if args.json:
        print(json.dumps(schedule_as_json(schedule), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(schedule_as_text(schedule))
    return 0


async def preflight_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.preflight.cli import run_check  # imported here: the other commands need no discord start-up

    guild_id = _guild(args, settings)
    report = await run_check(
        settings, token=settings.require_token(), database_path=_database(args, settings), guild_id=guild_id
    )
    print(f"Checking server {guild_id}:")
    print("\n".join(report.lines()))
    print(report.summary())
    return 0 if report.ready else EXIT_NOT_READY


async def invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.preflight import invite_lines
    from bot.preflight.cli import application_id

    app_id = args.application_id or await application_id(settings, settings.require_token())
    guild_id = args.guild if args.guild else settings.guild_id
    print("\n".join(invite_lines(app_id, guild_id)))
    return 0


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return await run_bot(args, settings)
    if args.command == "programme":
        if args.action == "import":
            return await programme_import(args, settings)
        return await programme_show(args, settings)
    if args.command == "backup":
        return await backup(args, settings)
    if args.command == "export":
        return await export_answers(args, settings)
    if args.command == "report":
        return await write_report(args, settings)
    if args.command == "schedule":
        return await reminder_schedule(args, settings)
    if args.command == "check":
        return await preflight_check(args, settings)
    if args.command == "invite":
        return await invite(args, settings)
    if args.command == deliberation_cli.COMMAND:
        return await deliberation_cli.run(args, settings, database=_database(args, settings), guild_in=_guild_in)
    if args.command == MIGRATE_COMMAND:
        return await migrate_to_postgres(args, settings)
    raise UserFacingError(f"'{args.command}' is not available in this version")


def _settings(args: argparse.Namespace) -> Settings:
    env_file: Path | None = getattr(args, "env_file", None)
    if env_file is None:
        return load_settings(Path(".env"))  # optional: the environment alone may hold every setting
    if not env_file.exists():
        raise SettingsError(f"--env-file {env_file} does not exist: check the path, or leave it out to use .env")
    if env_file.is_dir():
        raise SettingsError(f"--env-file {env_file} is a folder: give the settings file itself")
    return load_settings(env_file)


def main(argv: Sequence[str] | None = None) -> int:
    # Everything the bot writes (database, backups, exports, logs) holds members' answers or ids:
    # readable by the bot's own user only, whatever the shell's umask.
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    debug = False
    try:
        settings = _settings(args)
        debug = settings.log_level == "DEBUG"
        if args.command == "run":
            from bot.log_setup import setup_logging

            setup_logging(settings.log_level, settings.log_file)
        status = asyncio.run(dispatch(args, settings))
        sys.stdout.flush()  # here, so a closed pipe is handled below rather than at exit
        return status
    except UserFacingError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`programme show --json | head`): not an error. Point stdout at devnull so
        # the interpreter's last flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        print(f"error: {unexpected_failure_text(error, debug)}", file=sys.stderr)
        _log_unexpected(error, debug)
        return EXIT_USER_ERROR


def unexpected_failure_text(error: Exception, debug: bool) -> str:
    """One line, with the next step, for a failure no part of the bot turned into a message of its own."""
    if isinstance(error, sqlite3.DatabaseError):
        return (
            f"the database cannot be used ({error}): check that --db or DATABASE_PATH names the bot's database; "
            "if it is damaged, restore a backup ('python -m bot backup' makes one)"
        )
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}; check the path and its permissions"
    summary = " ".join(str(error).split()) or "no details"
    details = "" if debug else " (LOG_LEVEL=DEBUG shows the details)"
    return (
        f"unexpected {type(error).__name__}: {summary}. This is a bug: please report it with the command "
        f"you ran{details}"
    )


def _log_unexpected(error: BaseException, debug: bool) -> None:
    """The traceback: in the log file when there is one (never on the console unless LOG_LEVEL=DEBUG)."""
    if logging.getLogger().handlers:  # only `run` sets logging up; elsewhere Python would print it to stderr
        logging.getLogger("bot").error("stopped by an unexpected error", exc_info=error, extra=FILE_ONLY)
    if debug:
        traceback.print_exception(error)


if __name__ == "__main__":
    sys.exit(main())
