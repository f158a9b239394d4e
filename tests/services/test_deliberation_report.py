"""The report's Deliberation section: the opinion map as SVG, groups with their sizes (none under 5 shown apart),
representative, consensus and divisive statements, counts under /stats' rule, and no voter or author named.

Real data: the London youth-policing Pol.is conversation (see tests/polis_data.py for its attribution: CC BY 4.0,
The Computational Democracy Project)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from bot.domain.deliberation import Vote
from bot.domain.programme import Programme
from bot.services.deliberation import DeliberationService, import_polis, read_export
from bot.services.exports import ExportService
from bot.services.programme import ProgrammeService
from bot.services.report import ReportRequest, ReportService
from bot.services.stats import StatsService
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.harness import FakeClock
from tests.polis_data import polis_data


async def report_html(db: Database, programme: Programme, clock: FakeClock, tmp_path: Path) -> str:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    service = ReportService(
        db,
        ExportService(db, clock=clock),
        StatsService(db),
        clock=clock,
        deliberation=DeliberationService(db, clock=clock),
    )
    out = tmp_path / "report.html"
    await service.report_to_file(ReportRequest(GUILD_ID), out)
    return out.read_text(encoding="utf-8")


def section(page: str) -> str:
    start = page.index('<section id="deliberation">')
    return page[start : page.index('<section id="answers">')]


async def test_the_report_shows_groups_map_and_statements_without_names(
    db: Database, programme: Programme, clock: FakeClock, tmp_path: Path
) -> None:
    folder = polis_data() / "london.youth.policing"
    exported = await read_export((folder / "comments.csv").read_text(), (folder / "votes.csv").read_text())
    await import_polis(DeliberationService(db, clock=clock), GUILD_ID, exported, (folder / "summary.csv").read_text())

    part = section(await report_html(db, programme, clock, tmp_path))

    assert "Conversation 1 (closed): What is the best way to engage more young people" in html.unescape(part)
    assert part.count("<svg") == 1 and "Opinion map" in part
    sizes = [int(n) for n in re.findall(r"<h4>Group [A-E]: (\d+) members</h4>", part)]
    assert sizes and all(size >= 5 for size in sizes)
    assert "Common ground" in part or "Where the groups divide" in part
    assert "Votes on each statement" in part
    # Imported authors and voters have Pol.is ids only; none of them appears as a name or id.
    assert "author" not in part.lower() and "participant" not in part.lower()


async def test_a_small_conversation_shows_counts_under_the_stats_rule_and_no_groups(
    db: Database, programme: Programme, clock: FakeClock, tmp_path: Path
) -> None:
    service = DeliberationService(db, clock=clock)
    conversation = await service.open(GUILD_ID, week=5, prompt="Small <b>group</b>", seeds="Only <i>seed</i>")
    seed = await service.next_statement(conversation.id, 1)
    assert seed is not None
    for member in range(1, 4):
        await service.vote(conversation.id, member, seed.id, Vote.AGREE, consent=True)

    part = section(await report_html(db, programme, clock, tmp_path))

    assert "&lt;b&gt;group&lt;/b&gt;" in part and "<b>" not in part  # member text is escaped
    assert "&lt;5 members voted" in part
    assert "No opinion groups" in part and "<svg" not in part
    assert '<td dir="auto">Only &lt;i&gt;seed&lt;/i&gt;</td><td class="n">&lt;5</td><td class="n">0</td>' in part
