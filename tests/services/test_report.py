"""The organisers' report, opened in a real browser (headless Chromium) and printed to PDF."""

from __future__ import annotations

import asyncio
import json
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.errors import NotFoundError
from bot.domain.programme import Programme
from bot.services.exports import ExportService, Packaging
from bot.services.programme import ProgrammeService
from bot.services.report import ReportRequest, ReportService, report_charts
from bot.services.stats import StatsService
from bot.storage.engine import Database
from bot.storage.session_events import SessionEventRepository
from tests.browser import chromium
from tests.conftest import GUILD_ID
from tests.harness import FakeClock
from tests.services.answer_rows import CREATED, AnswerRow, insert_answers, prompt_ids
from tests.services.test_stats import add_deliveries, subscribe
from tests.system_programs import require_program

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

MEMBERS = [300000000000000100 + n for n in range(8)]
LONG = "\n".join(f"Line {n}: " + "a fairly long sentence of an answer " * 3 for n in range(40))[:4000]
HOSTILE = [
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.title='PWNED'\">",
    "<a href=\"javascript:document.title='PWNED'\">click me</a>",
    "{{ 7*7 }} {% if true %}jinja{% endif %} ${7*7}",
    LONG,
    "نحن بحاجة إلى استراتيجية طويلة المدى ✊🏽🌹",
    "</p></li></ol></section><h1>Forged heading</h1>",
]
FEW_TEXT = "Only three of us answered this one"


@pytest.fixture
async def service(db: Database, programme: Programme, clock: FakeClock) -> ReportService:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    week1, week2, week3 = [await prompt_ids(db, GUILD_ID, week) for week in (1, 2, 3)]
    rows = [
        AnswerRow(week1[0], MEMBERS[n], text, created=CREATED + timedelta(minutes=n)) for n, text in enumerate(HOSTILE)
    ]
    rows += [AnswerRow(week2[0], MEMBERS[n], f"{FEW_TEXT} ({n})") for n in range(3)]
    rows += [
        AnswerRow(week3[0], MEMBERS[n], f"Week three, member {n}", source="thread" if n % 2 else "modal",
                  late=n % 3 == 0)
        for n in range(6)
    ]  # fmt: skip
    await insert_answers(db, GUILD_ID, rows)
    # DM reminders: six members reminded for week 1 (one DM failed), two for week 2 (too few to show).
    await add_deliveries(
        db, 1, [("dm", member, "undeliverable" if n == 0 else "sent") for n, member in enumerate(MEMBERS[:6])]
    )
    await add_deliveries(db, 2, [("dm", member, "sent") for member in MEMBERS[:2]] + [("channel", 5, "sent")])
    await subscribe(db, MEMBERS[:6])
    exports = ExportService(db, clock=clock)
    return ReportService(db, exports, StatsService(db), clock=clock)


async def write(service: ReportService, folder: Path, week: int | None = None) -> Path:
    out = folder / "report.html"
    await service.report_to_file(ReportRequest(GUILD_ID, week=week), out)
    return out


CHART_TABLES = """JSON.stringify([...document.querySelectorAll('figure')].map(f => ({
  title: f.querySelector('figcaption').innerText,
  columns: [...f.querySelectorAll('thead th')].map(c => c.innerText),
  rows: [...f.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(c => c.innerText)),
  svg: f.querySelectorAll('svg').length,
})))"""
ANSWER_TEXTS = "JSON.stringify([...document.querySelectorAll('.text')].map(p => p.innerText))"
ACTIVE_ELEMENTS = "document.querySelectorAll('script, img, a, iframe, object, embed, [onerror], [onclick]').length"


async def test_the_report_reads_right_in_a_browser_and_nothing_runs_or_loads(
    service: ReportService, programme: Programme, db: Database, tmp_path: Path
) -> None:
    out = await write(service, tmp_path)
    async with chromium() as browser:
        page = await browser.render(
            out,
            facts={"title": "document.title", "active": ACTIVE_ELEMENTS, "charts": CHART_TABLES,
                   "answers": ANSWER_TEXTS, "h1": "document.querySelectorAll('h1').length"},
            pdf=True,
        )  # fmt: skip

    # Every week and every prompt is there, in the page and in print.
    printed = pdf_text(page.pdf, tmp_path)
    for session in programme.sessions:
        assert f"Week {session.week}: {session.title}" in page.text
        assert flat(f"Week {session.week}: {session.title}") in printed
        for number, prompt in enumerate(session.prompts, start=1):
            assert f"Prompt {number}: {prompt}" in page.text
            assert flat(f"Prompt {number}: {prompt}") in printed

    # Hostile answers are shown literally, with their line breaks, and nothing in them ran or loaded.
    answers = json.loads(page.facts["answers"])
    for text in HOSTILE:
        assert text in answers
    assert flat(HOSTILE[0]) in printed and flat(HOSTILE[3]) in printed
    assert page.facts["title"] == "Labour Together Online Workshops: report"
    assert page.facts["active"] == 0  # no script, image, link or handler made it into the document
    assert page.facts["h1"] == 1
    assert page.exceptions == []
    assert page.requests == [out.resolve().as_uri()]  # the file itself, and not one request more

    # The charts' figures are /stats' figures.
    stats = await StatsService(db).report(GUILD_ID)
    charts = {chart["title"]: chart for chart in json.loads(page.facts["charts"])}
    assert all(chart["svg"] == 1 for chart in charts.values())
    by_week = {f"Week {w.week}": w for w in stats.weeks}
    assert {row[0]: row[1] for row in charts["Answers per week"]["rows"]} == {k: w.answers for k, w in by_week.items()}
    assert {row[0]: row[1] for row in charts["Members who answered, per week"]["rows"]} == {
        k: w.contributors for k, w in by_week.items()
    }
    assert {row[0]: row[1:] for row in charts["DM reminders per week: sent and failed"]["rows"]} == {
        k: [w.dm_reminders_sent, w.dm_reminders_failed] for k, w in by_week.items()
    }
    # Week 2 (three members) is hidden, and week 3 with it, so that the total minus the rest cannot give week 2
    # away (complementary suppression); the answer-kind charts hide exactly the weeks /stats hides.
    assert by_week["Week 3"].answers == "hidden"
    assert charts["Answers through the form and in threads"]["rows"][2] == ["Week 3", "hidden", "hidden"]
    assert charts["Late answers per week"]["rows"][2] == ["Week 3", "hidden"]
    for row in charts["Answers through the form and in threads"]["rows"]:
        shown = by_week[row[0]].answers
        if shown != "hidden":
            assert int(row[1]) + int(row[2]) == int(shown), row
    assert charts["Answers per week"]["rows"][1] == ["Week 2", "hidden"]  # three members: suppressed
    assert charts["DM subscribers reminded, per week"]["rows"][:3] == [
        ["Week 1", "6"],
        ["Week 2", "<5"],
        ["Week 3", "0"],
    ]
    assert charts["DM reminders per week: sent and failed"]["rows"][:2] == [
        ["Week 1", "5", "1"], ["Week 2", "hidden", "hidden"]
    ]  # fmt: skip


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(pdf: bytes, folder: Path) -> str:
    assert pdf.startswith(b"%PDF")
    (folder / "report.pdf").write_bytes(pdf)
    pdftotext = require_program("pdftotext")
    subprocess.run([pdftotext, "-enc", "UTF-8", str(folder / "report.pdf"), str(folder / "report.txt")], check=True)
    return flat((folder / "report.txt").read_text(encoding="utf-8"))


async def test_small_counts_are_suppressed_and_no_member_is_named(service: ReportService, tmp_path: Path) -> None:
    html = (await write(service, tmp_path)).read_text(encoding="utf-8")
    assert FEW_TEXT not in html  # three members answered week 2's first prompt: their answers are left out
    assert "Answers hidden, from &lt;5 members" in html
    for member in MEMBERS:
        assert str(member) not in html
    assert "member-" in html and "poster-" in html


async def test_one_week_and_the_audit(service: ReportService, tmp_path: Path, clock: FakeClock) -> None:
    result = await service.report_to_file(ReportRequest(GUILD_ID, week=3, actor_id=MEMBERS[0]), tmp_path / "w3.html")
    html = (tmp_path / "w3.html").read_text(encoding="utf-8")
    assert result.rows == 6
    assert "Week three, member 5" in html and HOSTILE[5] not in html
    assert "A long-term political strategy" in html  # the overview and the charts still cover every week
    entry = result.audit
    assert (entry.kind, entry.format, entry.identities, entry.week, entry.actor_id, entry.row_count) == (
        "report", "html", "pseudonymous", 3, MEMBERS[0], 6,
    )  # fmt: skip
    assert entry.created_at == clock.now
    assert (tmp_path / "w3.html").stat().st_mode & 0o777 == 0o600


async def test_bad_requests_write_nothing(service: ReportService, db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(NotFoundError, match="no week 13"):
        await service.report_to_file(ReportRequest(GUILD_ID, week=13), folder / "x.html")
    with pytest.raises(NotFoundError, match="No programme has been imported"):
        await service.report_to_file(ReportRequest(GUILD_ID + 1), folder / "x.html")
    assert list(folder.iterdir()) == []
    assert await ExportService(db).repository.audit_count(GUILD_ID) == 0


async def test_a_report_over_the_upload_limit_is_zipped(service: ReportService) -> None:
    async with service.report_for_upload(ReportRequest(GUILD_ID), upload_limit=60_000) as delivery:
        assert delivery.packaging is Packaging.ZIPPED and delivery.file_name == "report-all-weeks-2020-10-20.html"
        (path,) = delivery.files
        with zipfile.ZipFile(path) as archive:
            assert HOSTILE[5] in archive.read(delivery.file_name).decode()
        folder = path.parent
    assert not folder.exists()


async def test_the_stats_chart_is_a_png(service: ReportService) -> None:
    png = await service.participation_png(GUILD_ID)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    await asyncio.sleep(0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(week=st.integers().filter(lambda week: not 1 <= week <= 12))
async def test_any_week_outside_the_programme_is_a_clear_error_and_writes_nothing(
    service: ReportService, db: Database, tmp_path: Path, week: int
) -> None:
    out = tmp_path / "bad" / "report.html"
    out.parent.mkdir(exist_ok=True)
    with pytest.raises(NotFoundError, match=f"There is no week {week} in this programme. Valid weeks: 1, 2, 3"):
        await service.report_to_file(ReportRequest(GUILD_ID, week=week), out)
    assert list(out.parent.iterdir()) == []
    assert await ExportService(db).repository.audit_count(GUILD_ID) == 0


async def test_interested_members_are_charted_as_stats_shows_them_once_sessions_are_events(
    service: ReportService, db: Database, tmp_path: Path, clock: FakeClock
) -> None:
    without = (await write(service, tmp_path)).read_text()
    assert "Interested" not in without  # no week has a Discord event: no chart of it

    events = SessionEventRepository(db)
    await events.save(GUILD_ID, 1, 900000000000000001, "fingerprint-1", clock())
    await events.save(GUILD_ID, 2, 900000000000000002, "fingerprint-2", clock())
    await events.replace_interest(GUILD_ID, 900000000000000001, range(1, 7), clock())
    await events.replace_interest(GUILD_ID, 900000000000000002, range(1, 3), clock())
    stats = await StatsService(db).report(GUILD_ID)
    [chart] = [c for c in report_charts(stats, {}) if "Interested" in c.title]
    [series] = chart.series
    assert series.values[:3] == ("6", "<5", "no event")  # /stats' figures: 1 to 4 members show as <5
    assert [w.interested for w in stats.weeks[:3]] == ["6", "<5", None]
    html = (await write(service, tmp_path)).read_text()
    assert "Members Interested in the week&#39;s Discord event" in html  # Jinja2 escapes the apostrophe
