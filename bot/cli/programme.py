"""``programme import`` and ``programme show``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli._common import Parents, community_in, community_label, database, existing_database, iso_date
from bot.config import Settings
from bot.domain.errors import UserFacingError
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
from bot.services.programme import ProgrammeService
from bot.storage.engine import open_database
from bot.storage.unit_of_work import unit_of_work_factory


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    programme = commands.add_parser("programme", help="import or show the programme")
    programme_commands = programme.add_subparsers(dest="action", required=True, metavar="ACTION")
    importer = programme_commands.add_parser(
        "import",
        parents=[parents.common, parents.community],
        help="import a programme file (.toml or the published listing)",
    )
    importer.add_argument("file", type=Path, help="the programme: a .toml file or the published listing as text")
    importer.add_argument(
        "--start",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="re-date the programme so its first session is on this day (keeps gaps and local times)",
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="show what the import would change, as /import does; write nothing"
    )
    importer.add_argument("--force", action="store_true", help="allow deleting answers to prompts the file drops")
    importer.set_defaults(handler=programme_import)
    show = programme_commands.add_parser(
        "show", parents=[parents.common, parents.community], help="show the stored programme"
    )
    show.add_argument("--json", action="store_true", help="machine-readable output (times in UTC)")
    show.set_defaults(handler=programme_show)


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

    target = database(args, settings)
    # a preview creates nothing
    if args.dry_run and isinstance(target, Path) and not await asyncio.to_thread(target.is_file):
        plan = plan_import(None, {}, programme)
        sys.stdout.write(import_preview_text(None, programme, plan, path.name, warnings(None, done=False)))
        return 0
    async with open_database(target) as db:
        community_id = await community_in(args, settings, db)
        service = ProgrammeService(db, uow=unit_of_work_factory(db))
        current = await service.get(community_id)
        programme = carry_over_week_links(current, programme)
        if args.dry_run:
            plan = await service.preview(community_id, programme)
            sys.stdout.write(import_preview_text(current, programme, plan, path.name, warnings(current, done=False)))
            return 0
        plan = await service.import_programme(community_id, programme, force=args.force)
    where = community_label(community_id)
    if not plan.changes_anything:
        print(f"Nothing imported: {path.name} is the same as the stored programme of {where}.")
        return 0
    print(f"Imported {programme.title!r} for {where}: {plan.summary(done=True)}.")
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


def no_programme_text(community_id: int) -> str:
    return (
        f"no programme has been imported for {community_label(community_id)} yet: import one with "
        "'python -m bot programme import FILE' (data/programme.toml is the 2020 programme)"
    )


async def programme_show(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(existing_database(args, settings)) as db:
        community_id = await community_in(args, settings, db)
        programme = await ProgrammeService(db).get(community_id)
    if programme is None:
        raise UserFacingError(no_programme_text(community_id))
    if args.json:
        print(json.dumps(programme_as_json(programme), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(programme_as_text(programme))
    return 0
