"""The organisers' report: one self-contained HTML file, built in a worker thread and audited like an export.

What it shows is /stats' figures (the same StatsService, so the same suppression), charts of them, and the
answers under pseudonyms. Names and Discord ids never enter it: answers are labelled through the export
pseudonyms, and nothing else about a member is read.

How a big report stays small: the figures are a few grouped queries; the answers are one query stepped by
the worker thread while Jinja2 renders (``bot.domain.report.model.answer_sections``), as an export does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.domain.clock import Clock, system_clock
from bot.domain.deliberation.display import shown_results
from bot.domain.deliberation.opinion_map import map_svg
from bot.domain.errors import NotFoundError
from bot.domain.exports import ExportAuditEntry, MemberLabel
from bot.domain.programme import ProgrammeRecord
from bot.domain.report.charts import Chart, chart_png, weekly_chart
from bot.domain.report.model import (
    DeliberationReport,
    PromptCounts,
    ReportModel,
    SessionLine,
    answer_sections,
    local_time_text,
)
from bot.domain.stats import HIDDEN
from bot.services.deliberation import DeliberationService
from bot.services.exports import (
    ExportDelivery,
    ExportResult,
    ExportService,
    MemberLabels,
    deliver_for_upload,
    write_atomically,
)
from bot.services.stats import StatsReport, StatsService
from bot.storage.engine import Database
from bot.storage.programmes import ProgrammeRepository
from bot.storage.report import ReportRepository, WeekAnswerKinds

log = logging.getLogger(__name__)

REPORT_FORMAT = "html"


@dataclass(frozen=True, slots=True)
class ReportRequest:
    community_id: int
    week: int | None = None  # None: every week's answers (the overview and charts always cover every week)
    actor_id: int | None = None  # who asked; None: the command line
    cli_user: str | None = None  # the operating-system user who ran the command line


class ReportService:
    def __init__(
        self,
        db: Database,
        exports: ExportService,
        stats: StatsService,
        *,
        clock: Clock = system_clock,
        deliberation: DeliberationService | None = None,
    ) -> None:
        self._deliberation = deliberation
        self._exports = exports
        self._stats = stats
        self._programmes = ProgrammeRepository(db)
        self._repository = ReportRepository(db)
        self._clock = clock

    def file_name(self, request: ReportRequest) -> str:
        scope = "all-weeks" if request.week is None else f"week-{request.week}"
        return f"report-{scope}-{self._clock():%Y-%m-%d}.html"

    async def report_to_file(self, request: ReportRequest, out: Path) -> ExportResult:
        """Write the report to ``out`` (all or nothing) and record it in the export audit."""
        answers = await self._write(request, out)
        return ExportResult(out, answers, await self._record(request, answers))

    @asynccontextmanager
    async def report_for_upload(self, request: ReportRequest, *, upload_limit: int) -> AsyncIterator[ExportDelivery]:
        """The report packaged as exports are (zipped, then split, above ``upload_limit``), then audited."""

        async def write(path: Path) -> int:
            return await self._write(request, path)

        async def record(answers: int) -> ExportAuditEntry:
            return await self._record(request, answers)

        async with deliver_for_upload(self.file_name(request), write, record, upload_limit) as delivery:
            yield delivery

    # --- the participation chart (also /stats' image) -------------------------------------------------

    async def participation_png(self, community_id: int) -> bytes:
        """/stats' answers and members per week as a PNG, drawn in a worker thread."""
        chart = participation_chart(await self._stats.report(community_id))
        return await asyncio.to_thread(chart_png, chart)

    # --- building ---------------------------------------------------------------------------------------

    async def _write(self, request: ReportRequest, out: Path) -> int:
        programme = await self._programmes.load(request.community_id)
        if programme is None:
            raise NotFoundError("No programme has been imported for this server, so there is nothing to report.")
        if request.week is not None and programme.session_for_week(request.week) is None:
            weeks = ", ".join(str(w) for w in programme.weeks)
            raise NotFoundError(f"There is no week {request.week} in this programme. Valid weeks: {weeks}.")
        stats = await self._stats.report(request.community_id)
        kinds = await self._repository.answer_kinds(request.community_id)
        counts = {
            (f.week, f.number): PromptCounts(f.answers, f.contributors)
            for f in await self._repository.prompt_figures(request.community_id, request.week)
        }
        model = ReportModel(
            title=programme.title,
            generated=f"{self._clock():%Y-%m-%d %H:%M}",
            timezone=programme.timezone,
            scope=_scope(programme, request.week),
            threshold=stats.threshold,
            totals=_totals(programme, stats),
            sessions=_session_lines(programme, stats),
            charts=report_charts(stats, kinds),
            weeks=iter(()),
            deliberations=await self._deliberations(request, stats.threshold),
        )
        labels = MemberLabels(await self._exports.secret(), request.community_id)
        return await write_atomically(
            out, lambda partial: self._write_file(request, model, programme, labels, counts, partial), what="report"
        )

    def _write_file(
        self,
        request: ReportRequest,
        model: ReportModel,
        programme: ProgrammeRecord,
        labels: MemberLabel,
        counts: Mapping[tuple[int, int], PromptCounts],
        path: Path,
    ) -> int:
        """In the worker thread: the answer query, the charts and the template, written as they render."""
        # Jinja2 loads here, on the first report, not with every command-line export or bot start.
        from bot.domain.report.html import write_report

        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # members' answers: 0600
        with (
            open(descriptor, "wb") as out,
            self._exports.repository.stored_answers(request.community_id, request.week) as answers,
        ):
            sections = answer_sections(programme, answers, labels, counts, week=request.week, threshold=model.threshold)
            shown = write_report(dataclasses.replace(model, weeks=sections), out)
            out.flush()
            os.fsync(out.fileno())
        return shown

    async def _deliberations(self, request: ReportRequest, threshold: int) -> tuple[DeliberationReport, ...]:
        """Each conversation (of the week asked for), analysed and mapped off the event loop."""
        if self._deliberation is None:
            return ()
        found = []
        for conversation in await self._deliberation.conversations(request.community_id):
            if request.week is not None and conversation.week != request.week:
                continue
            results = await self._deliberation.results(conversation.id)
            shown = shown_results(
                results.analysis, {i: s.text for i, s in results.statements.items()}, threshold=threshold
            )
            svg = await asyncio.to_thread(map_svg, results.analysis, shown) if results.analysis.grouped else None
            found.append(
                DeliberationReport(
                    conversation.name, conversation.week, conversation.prompt, conversation.state.value, shown, svg
                )
            )
        return tuple(found)

    async def _record(self, request: ReportRequest, answers: int) -> ExportAuditEntry:
        entry = await self._exports.repository.record(
            community_id=request.community_id,
            actor_id=request.actor_id,
            created_at=self._clock(),
            week=request.week,
            format=REPORT_FORMAT,
            identities="pseudonymous",
            row_count=answers,
            cli_user=request.cli_user,
            kind="report",
        )
        log.info(
            "report %s for community %s by %s: week %s, %d answers shown",
            entry.id,
            request.community_id,
            f"the command line ({request.cli_user or 'unknown user'})"
            if request.actor_id is None
            else f"user {request.actor_id}",
            "all" if request.week is None else request.week,
            answers,
        )
        return entry


def _requester(request: ReportRequest) -> str:
    if request.actor_id is None:
        return f"the command line ({request.cli_user or 'unknown user'})"
    return f"user {request.actor_id}"


def _scope(programme: ProgrammeRecord, week: int | None) -> str:
    if week is None:
        return "all weeks"
    session = programme.session_for_week(week)
    return f"week {week}" + (f", {session.title}" if session else "")


def _totals(programme: ProgrammeRecord, stats: StatsReport) -> tuple[tuple[str, str], ...]:
    return (
        ("Sessions", str(len(programme.sessions))),
        ("Prompts", str(sum(len(s.prompts) for s in programme.sessions))),
        ("Answers", stats.answers),
        ("Members who answered", stats.contributors),
        ("Members subscribed to DM reminders (now)", stats.dm_subscribers),
    )


def _session_lines(programme: ProgrammeRecord, stats: StatsReport) -> tuple[SessionLine, ...]:
    figures = {week.week: week for week in stats.weeks}
    lines = []
    for session in sorted(programme.sessions, key=lambda s: s.week):
        week = figures.get(session.week)
        lines.append(
            SessionLine(
                week=session.week,
                title=session.title,
                when=local_time_text(session.start, programme),
                prompts=len(session.prompts),
                answers=week.answers if week else "0",
                contributors=week.contributors if week else "0",
            )
        )
    return tuple(lines)


def participation_chart(stats: StatsReport) -> Chart:
    """Answers per week, as /stats shows them."""
    weeks = [w.week for w in stats.weeks]
    return weekly_chart("Answers per week", "answers", weeks, Answers=[w.answers for w in stats.weeks])


def report_charts(stats: StatsReport, kinds: Mapping[int, WeekAnswerKinds]) -> tuple[Chart, ...]:
    """The report's charts. Answers, members, DM reminders and Interested are /stats' own figures; late answers
    and form against thread are answer counts, hidden when the week's answer count is (fewer than the threshold
    of members answered)."""
    weeks = [w.week for w in stats.weeks]

    def kind(week: int, answers: str, name: str) -> str:
        return HIDDEN if answers == HIDDEN else str(getattr(kinds.get(week, WeekAnswerKinds()), name))

    return (
        participation_chart(stats),
        weekly_chart("Members who answered, per week", "members", weeks,
                     Members=[w.contributors for w in stats.weeks]),
        weekly_chart("Late answers per week", "answers", weeks,
                     Late=[kind(w.week, w.answers, "late") for w in stats.weeks]),
        weekly_chart("Answers through the form and in threads", "answers", weeks,
                     Form=[kind(w.week, w.answers, "form") for w in stats.weeks],
                     Thread=[kind(w.week, w.answers, "thread") for w in stats.weeks]),
        weekly_chart("DM subscribers reminded, per week", "members", weeks,
                     Members=[w.dm_recipients for w in stats.weeks]),
        weekly_chart("DM reminders per week: sent and failed", "reminders", weeks,
                     Sent=[w.dm_reminders_sent for w in stats.weeks],
                     Failed=[w.dm_reminders_failed for w in stats.weeks]),
        *_interest_charts(stats),
    )  # fmt: skip


def _interest_charts(stats: StatsReport) -> tuple[Chart, ...]:
    """Members Interested in each week's Discord event, as /stats shows them; none while no week has an event."""
    if all(w.interested is None for w in stats.weeks):
        return ()
    weeks = [w.week for w in stats.weeks]
    return (
        weekly_chart("Members Interested in the week's Discord event", "members", weeks,
                     Interested=[w.interested if w.interested is not None else "no event" for w in stats.weeks]),
    )  # fmt: skip
