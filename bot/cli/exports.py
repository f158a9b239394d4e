"""``export`` and ``report``: files for organisers, each recorded in the export audit with the operating-system
user who ran the command."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.cli._common import Parents, community_in, existing_database, os_user, week
from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.domain.exports import ExportFormat
from bot.services.deliberation import DeliberationService
from bot.services.exports import ExportRequest, ExportService
from bot.services.report import ReportRequest, ReportService
from bot.services.stats import StatsService
from bot.storage.engine import open_database


def add_commands(commands: argparse._SubParsersAction[Any], parents: Parents) -> None:
    export = commands.add_parser("export", parents=[parents.common, parents.community], help="export answers to a file")
    export.add_argument("--week", type=week, metavar="N", help="only this week's answers (default: every week)")
    export.add_argument("--format", required=True, choices=["csv", "json", "xlsx", "markdown"], help="the file format")
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (must not exist)")
    export.add_argument("--named", action="store_true", help="include platform ids (not pseudonyms)")
    export.set_defaults(handler=export_answers)

    report = commands.add_parser(
        "report", parents=[parents.common, parents.community], help="the organisers' report as one HTML file"
    )
    report.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the HTML file to write (must not exist)"
    )
    report.add_argument("--week", type=week, metavar="N", help="only this week's answers (the charts cover every week)")
    report.set_defaults(handler=write_report)


async def export_answers(args: argparse.Namespace, settings: Settings) -> int:
    """Answers to a file, as /export answers does; audited with the operating-system user as the actor."""
    out: Path = args.out
    if await asyncio.to_thread(out.exists):
        raise UserFacingError(f"{out} already exists; choose a new file name for the export")
    async with open_database(existing_database(args, settings)) as db:
        request = ExportRequest(
            await community_in(args, settings, db),
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


async def write_report(args: argparse.Namespace, settings: Settings) -> int:
    """The HTML report to a file, as /report does; audited with the operating-system user as the actor."""
    out: Path = args.out
    if await asyncio.to_thread(out.exists):
        raise UserFacingError(f"{out} already exists; choose a new file name for the report")
    async with open_database(existing_database(args, settings)) as db:
        request = ReportRequest(await community_in(args, settings, db), week=args.week, cli_user=os_user())
        exports = ExportService(db, export_secret=settings.export_secret)
        report = ReportService(db, exports, StatsService(db), deliberation=DeliberationService(db))
        result = await report.report_to_file(request, out)
    scope = "all weeks" if args.week is None else f"week {args.week}"
    print(f"Wrote the report ({scope}, {result.rows:,} answers shown, pseudonymous) to {out}")
    print(f"Recorded in the export audit as run by {request.cli_user} (/export audit in Discord).")
    return 0
