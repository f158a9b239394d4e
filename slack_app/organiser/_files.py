"""``/workshop export``, ``report`` and ``stats``: organisers' files, delivered to their DM with the bot through
Slack's upload flow (the file adapter), and participation figures as text with their PNG chart.

``export [FORMAT] [N] [named]``: FORMAT is csv (default), json, xlsx or markdown; N a week. Named exports put
members' Slack ids and names beside their answers, so they need a second press within 10 minutes; the button
carries the whole request in its value (stateless) and is checked again when pressed. ``export audit`` lists
who exported what.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.errors import UserFacingError
from bot.domain.exports import ExportAuditEntry, ExportFormat
from bot.domain.import_preview import plural
from bot.domain.platform_ids import int_to_slack_id, slack_id_to_int
from bot.domain.stats_text import StatsText, stats_footer, stats_lines
from bot.services.exports import ExportRequest
from bot.services.report import ReportRequest
from slack_app._commands import Call, Router, Subcommand, report_error
from slack_app._context import SlackContext, team_of, user_of
from slack_app._render import actions, bot_words, button, escape, from_domain, sections, slack_date, split_text
from slack_app._roles import Role
from slack_app.organiser._text import retention_note
from slack_app.programme import parse_number, require_week

log = logging.getLogger(__name__)

# Slack takes files up to 1 GB; exports past this are zipped or split by the export service, as on Discord.
UPLOAD_LIMIT = 100 * 1024 * 1024
NAMED_TTL = timedelta(minutes=10)
NAMED_ACTION = "export:named"
NAMED_CANCEL = "export:named-cancel"
CHART_FILE = "participation.png"
STATS_FILE = "participation.md"
# A long stats reply is paged as Slack allows: a slash command may answer through its response_url "up to 5 times
# within 30 minutes" (docs.slack.dev/interactivity/implementing-slash-commands, "Sending delayed responses"), each
# message at most 50 blocks (docs.slack.dev/reference/block-kit/blocks) of sections of at most 3,000 characters
# (…/blocks/section-block). A page keeps to 12,000 characters, the cumulative text Slack documents for one message's
# markdown blocks (…/blocks/markdown-block) and past which it refuses section blocks too (msg_blocks_too_long,
# slackapi/bolt-js#2509). Figures that need more pages than the response_url takes go to the DM as a file.
STATS_PAGE_CHARS = 12_000
STATS_PAGES = 5
AUDIT_SHOWN = 20
FORMATS = {fmt.value: fmt for fmt in ExportFormat}


def parse_export(args: list[str]) -> tuple[ExportFormat, int | None, bool]:
    fmt, week, named = ExportFormat.CSV, None, False
    for word in (a.lower() for a in args):
        if word in FORMATS:
            fmt = FORMATS[word]
        elif word == "named":
            named = True
        elif word in ("pseudonymous", "answers"):
            continue
        else:
            week = parse_number(word, what="week", maximum=10_000)
    return fmt, week, named


async def deliver(front: SlackContext, member_id: int, files: tuple[Path, ...], title: str, comment: str) -> None:
    sender = front.files
    for index, path in enumerate(files, start=1):
        part = f" (part {index} of {len(files)})" if len(files) > 1 else ""
        await sender.send_file(member_id, path, title=f"{title}{part}", comment=comment if index == 1 else None)


async def export_answers(front: SlackContext, community_id: int, member_id: int, request_args: Any) -> str:
    fmt, week, named = request_args
    request = ExportRequest(community_id, fmt, week=week, named=named, actor_id=member_id)
    async with front.services.exports.export_for_upload(request, upload_limit=UPLOAD_LIMIT) as delivery:
        scope = "every week" if week is None else f"week {week}"
        who = "with names" if named else "under pseudonyms"
        comment = (
            f"Answers ({scope}, {fmt.value}, {who}): {plural(delivery.rows, 'row')}. Recorded in the export audit."
        )
        await deliver(front, member_id, delivery.files, delivery.file_name, comment)
    return f"The export ({plural(delivery.rows, 'row')}) is in your direct messages with the bot."


def audit_line(entry: ExportAuditEntry) -> str:
    who = "the command line"
    if entry.actor_id is not None:
        try:
            who = f"<@{int_to_slack_id(entry.actor_id)}>"
        except ValueError:
            who = "a Discord member"
    scope = "all weeks" if entry.week is None else f"week {entry.week}"
    identities = "*named*" if entry.identities == "named" else "pseudonymous"
    return f"{slack_date(entry.created_at)} · {who} · {scope} · {escape(entry.format)} · {identities}"


async def export_command(call: Call) -> None:
    if call.args and call.args[0].lower() == "audit":
        entries, total = await call.services.exports.audit(call.community_id, limit=AUDIT_SHOWN)
        if not entries:
            await call.reply("No answers have been exported from this workspace yet.")
            return
        heading = f"The latest {len(entries)} of {total} exports, newest first:"
        await call.reply("\n".join([heading, *map(audit_line, entries)]))
        return
    fmt, week, named = parse_export(call.args)
    if week is not None:
        require_week(await call.services.programme.require(call.community_id), week)
    if named:
        issued = int(call.front.clock().timestamp())
        scope = "every week" if week is None else f"week {week}"
        text = (
            f":warning: A *named* export ({scope}, {fmt.value}) puts each member's Slack id and name next to their "
            "answers, which are political opinions. Only export names if you need them; keep the file safe and "
            "delete it when done. The export is recorded in the audit as named.\n"
            "Press *Export with names* within 10 minutes to go ahead."
        )
        value = f"{week or 0}:{fmt.value}:{issued}"
        buttons = [
            button("Export with names", NAMED_ACTION, value=value, style="danger"),
            button("Cancel", NAMED_CANCEL),
        ]
        await call.reply(text, [*sections(text), *actions(buttons)])
        return
    await call.reply(escape(await export_answers(call.front, call.community_id, call.member_id, (fmt, week, False))))


async def report_command(call: Call) -> None:
    week = parse_number(call.args[0], what="week", maximum=10_000) if call.args else None
    request = ReportRequest(call.community_id, week=week, actor_id=call.member_id)
    async with call.services.report.report_for_upload(request, upload_limit=UPLOAD_LIMIT) as delivery:
        scope = "all weeks" if week is None else f"week {week}"
        comment = (
            f"The programme report ({scope}; {plural(delivery.rows, 'answer')} shown, under pseudonyms): one HTML "
            "file to open in any browser, offline, or print. Recorded in the export audit."
        )
        await deliver(call.front, call.member_id, delivery.files, delivery.file_name, comment)
    await call.reply("The report is in your direct messages with the bot.")


def stats_text(report: StatsText, title: str) -> str:
    """The domain's figures (bot.domain.stats_text) rendered for Slack, under a heading."""
    body = from_domain("\n".join(stats_lines(report)))
    return f"{stats_heading(title)}\n{body}\n{escape(stats_footer(report.threshold))}"


def stats_heading(title: str) -> str:
    return f"*Participation: {escape(title)}*"


def stats_pages(text: str, title: str) -> list[str]:
    """``text`` as the messages of a paged reply, each under ``STATS_PAGE_CHARS``, cut between lines; every page
    after the first says whose figures it continues."""
    pieces = split_text(text, STATS_PAGE_CHARS - len(stats_heading(title)) - 40)
    count = len(pieces)
    return [
        piece if number == 1 else f"{stats_heading(title)} (continued, {number} of {count})\n{piece}"
        for number, piece in enumerate(pieces, start=1)
    ]


def stats_document(report: StatsText, title: str) -> bytes:
    """Every figure as one Markdown file, for a programme whose figures outgrow a command's replies."""
    lines = [f"# Participation: {title}", "", *stats_lines(report), "", stats_footer(report.threshold), ""]
    return "\n".join(lines).encode()


async def stats_command(call: Call) -> None:
    programme = await call.services.programme.require(call.community_id)
    report = await call.services.stats.report(call.community_id)
    chart = await call.services.report.participation_png(call.community_id)
    retention = retention_note(await call.services.retention.schedule(call.community_id))
    lead = f"{from_domain(bot_words(retention))}\n" if retention else ""
    pages = stats_pages(lead + stats_text(report, programme.title), programme.title)
    files = [(CHART_FILE, chart, "Answers per week", "The figures are in the text reply.")]
    if len(pages) > STATS_PAGES:  # more than the command's replies can carry: every figure as a file
        weeks = len(report.weeks)
        files = [
            (STATS_FILE, stats_document(report, programme.title), "Participation figures", f"All {weeks} weeks."),
            (CHART_FILE, chart, "Answers per week", f"The figures are in {STATS_FILE}."),
        ]
        summary = from_domain(stats_lines(report)[0])
        pages = [
            f"{lead}{stats_heading(programme.title)}\n{summary}\nThe figures of all {weeks} weeks are more than a "
            f"reply can show: they are in your direct messages with the bot as {STATS_FILE}, with the chart."
        ]
    else:
        pages[-1] += "\nThe chart is in your direct messages with the bot."
    await send_files(call, files)
    for page in pages:
        await call.reply(page)


async def send_files(call: Call, files: list[tuple[str, bytes, str, str]]) -> None:
    """Each (name, content, title, comment) to the member's DM with the bot."""
    with tempfile.TemporaryDirectory(prefix="workshop-stats-") as folder:
        for name, content, title, comment in files:
            path = Path(folder) / name
            await asyncio.to_thread(path.write_bytes, content)
            await deliver(call.front, call.member_id, (path,), title, comment)


async def named_pressed(front: SlackContext, body: dict[str, Any], respond: AsyncRespond) -> None:
    community_id = front.community_of(team_of(body))
    user_id = user_of(body)
    if await front.roles.role_of(community_id, user_id) < Role.ORGANISER:
        raise UserFacingError("Only organisers can export answers.")
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    try:
        week_text, fmt_text, issued_text = value.split(":")
        week, fmt, issued = int(week_text) or None, ExportFormat(fmt_text), int(issued_text)
    except ValueError:
        raise UserFacingError("This button is damaged: run `/workshop export` again.") from None
    if front.clock() - datetime.fromtimestamp(issued, tz=UTC) > NAMED_TTL:
        await respond(text="This confirmation has expired; nothing was exported.", replace_original=True)
        return
    await respond(text="Confirmed: preparing the named export…", replace_original=True)
    text = await export_answers(front, community_id, slack_id_to_int(user_id), (fmt, week, True))
    await respond(text=escape(text), replace_original=True)


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    router.add(
        Subcommand(
            "export", "[csv|json|xlsx|markdown] [N] [named] | audit", "export answers", export_command, Role.ORGANISER
        )
    )
    router.add(Subcommand("report", "[N]", "the programme report as one HTML file", report_command, Role.ORGANISER))
    router.add(Subcommand("stats", "", "participation per week, small counts hidden", stats_command, Role.ORGANISER))

    @app.action(NAMED_ACTION)
    async def named(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            await named_pressed(front, body, respond)
        except Exception as error:
            await report_error(respond, error, what="a named export")

    @app.action(NAMED_CANCEL)
    async def cancel(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="Named export cancelled; nothing was exported.", replace_original=True)
