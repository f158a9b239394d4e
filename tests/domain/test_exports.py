"""Export writers: every format written, read back, and compared with what went in."""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape as unescape_ooxml

from bot.domain.exports import (
    NAMED_COLUMNS,
    PSEUDONYMOUS_COLUMNS,
    ExportFormat,
    ExportRow,
    csv_line,
    escape_markdown,
    export_columns,
    format_utc,
    neutralise_formula,
    utc_text,
    write_csv,
    write_export,
    write_json,
    write_markdown,
    write_xlsx,
)
from bot.domain.platform_ids import slack_id_to_int

T0 = datetime(2020, 8, 3, 18, 0, tzinfo=UTC)  # Monday 19:00 BST

FORMULA_PAYLOADS = [
    '=HYPERLINK("http://x")',
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
]
AWKWARD_TEXTS = [
    "plain answer",
    "line one\nline two\n\nafter a blank line",
    "commas, and \"double quotes\" and 'single'",
    "emoji 🙂👨\u200d👩\u200d👧 and flags 🏳️\u200d🌈",
    "RTL: שלום עולם and العربية",
    "# not a heading\n## Week 99: forged\n> not a quote\n- not a list\n1. not numbered\n===",
    "**bold** _it_ `code` [link](http://x) <b>html</b> | table | &amp; ~~s~~ \\ back",
    "trailing backslash \\",
    "_x0041_ looks like an OOXML escape",
    "semi;colon\ttab inside",
    *FORMULA_PAYLOADS,
]


def sample_rows() -> list[ExportRow]:
    rows = []
    for index, text in enumerate(AWKWARD_TEXTS):
        week = 1 + index // 6
        prompt = 1 + (index % 6) // 3
        created = T0 + timedelta(days=7 * (week - 1), minutes=index)
        rows.append(
            ExportRow(
                week=week,
                session_title=f'Week {week}: Hope, "change" & {"=cmd" if week == 2 else "power"}',
                prompt_number=prompt,
                prompt_text=f"What do you think about #{prompt}?\nSay more." if prompt == 1 else "-Why?",
                member=f"member-{index:010d}",
                answer=text,
                source="modal" if index % 2 else "thread",
                created=created,
                updated=created + timedelta(hours=index % 3),
                late=index % 4 == 0,
                discord_id=(2**63 + index) if index % 5 else None,
                display_name=("@Ann (she/her)" if index % 3 else "=Bob") if index % 7 else None,
            )
        )
    return rows


def expected_record(row: ExportRow, *, named: bool, neutralise: bool) -> dict[str, Any]:
    """What a reader should find, written independently of the code under test."""

    def text(value: str) -> str:
        return neutralise_formula(value) if neutralise else value

    record: dict[str, Any] = {
        "week": row.week,
        "session_title": text(row.session_title),
        "prompt_number": row.prompt_number,
        "prompt_text": text(row.prompt_text),
        "member": text(row.member),
        "answer": text(row.answer),
        "source": text(row.source),
        "created": row.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated": row.updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "late": row.late,
    }
    if named:
        record["discord_id"] = "" if row.discord_id is None else str(row.discord_id)
        record["display_name"] = text(row.display_name or "")
    return record


# --- small pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[pytest.param(payload, "'" + payload, id=f"payload-{i}") for i, payload in enumerate(FORMULA_PAYLOADS)],
        pytest.param("\0=1", "'\0=1", id="nul"),
        pytest.param("plain", "plain", id="plain"),
        pytest.param("a=1", "a=1", id="formula-sign-later"),
        pytest.param("", "", id="empty"),
        pytest.param("'already", "'already", id="leading-quote"),
        pytest.param(" =1", " =1", id="leading-space"),
    ],
)
def test_neutralise_formula(value: str, expected: str) -> None:
    assert neutralise_formula(value) == expected


@given(st.datetimes(timezones=st.timezones()))
def test_utc_text_reads_stored_times_as_format_utc_does(moment: datetime) -> None:
    if moment.utcoffset() is None or not 1000 <= moment.astimezone(UTC).year <= 9999:
        return
    stored = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # as bot.storage.codec writes it
    assert utc_text(stored) == format_utc(moment)
    assert utc_text(moment.isoformat()) == format_utc(moment)


def test_format_utc() -> None:
    bst = timezone(timedelta(hours=1))
    assert format_utc(datetime(2020, 8, 3, 19, 0, 0, 999_999, tzinfo=bst)) == "2020-08-03T18:00:00Z"
    with pytest.raises(ValueError):
        format_utc(datetime(2020, 8, 3, 19, 0))


def test_formats_know_their_file_types() -> None:
    assert [(f.value, f.extension) for f in ExportFormat] == [
        ("csv", ".csv"),
        ("json", ".json"),
        ("xlsx", ".xlsx"),
        ("markdown", ".md"),
    ]
    assert ExportFormat.XLSX.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ExportFormat.CSV.mime_type.startswith("text/csv")
    assert ExportFormat("markdown") is ExportFormat.MARKDOWN


def test_columns() -> None:
    assert export_columns(named=False) == PSEUDONYMOUS_COLUMNS
    assert export_columns(named=True) == (*PSEUDONYMOUS_COLUMNS, "discord_id", "display_name")
    assert export_columns(named=True) == NAMED_COLUMNS


# --- CSV ------------------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, Any]]:
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    records: list[dict[str, Any]] = []
    for raw in reader:
        record: dict[str, Any] = dict(raw)
        record["week"] = int(record["week"])
        record["prompt_number"] = int(record["prompt_number"])
        record["late"] = {"true": True, "false": False}[record["late"]]
        records.append(record)
    return records


@pytest.mark.parametrize("named", [False, True])
def test_csv_round_trip(named: bool) -> None:
    rows = sample_rows()
    out = io.BytesIO()
    assert write_csv(iter(rows), out, named=named) == len(rows)
    data = out.getvalue()
    header = data[3:].split(b"\r\n", 1)[0].decode()
    assert header.split(",") == list(export_columns(named=named))
    expected = [expected_record(r, named=named, neutralise=True) for r in rows]
    for record in expected:
        if record.get("discord_id"):
            record["discord_id"] = "'" + record["discord_id"]  # kept as text by spreadsheets (issue 15, point 4)
    assert read_csv(data) == expected


def test_csv_uses_crlf_between_records() -> None:
    row = replace(sample_rows()[0], answer="one line", prompt_text="one line too")
    out = io.BytesIO()
    write_csv([row, row], out, named=False)
    assert out.getvalue().count(b"\r\n") == 3
    assert b"\n" not in out.getvalue().replace(b"\r\n", b"")


def test_csv_formula_payloads_come_back_prefixed() -> None:
    rows = [replace(sample_rows()[0], answer=payload) for payload in FORMULA_PAYLOADS]
    out = io.BytesIO()
    write_csv(rows, out, named=False)
    assert [r["answer"] for r in read_csv(out.getvalue())] == ["'" + p for p in FORMULA_PAYLOADS]


# --- JSON -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("named", [False, True])
def test_json_round_trip(named: bool) -> None:
    rows = sample_rows()
    out = io.BytesIO()
    assert write_json(iter(rows), out, named=named) == len(rows)
    text = out.getvalue().decode("utf-8")
    assert "🙂" in text  # ensure_ascii=False: readable UTF-8, not \\u escapes
    assert json.loads(text) == [expected_record(r, named=named, neutralise=False) for r in rows]


def test_json_empty_is_an_empty_array() -> None:
    out = io.BytesIO()
    assert write_json([], out, named=True) == 0
    assert json.loads(out.getvalue()) == []


def test_json_keeps_big_discord_ids_exact() -> None:
    out = io.BytesIO()
    write_json([replace(sample_rows()[1], discord_id=2**64 - 1)], out, named=True)
    assert json.loads(out.getvalue())[0]["discord_id"] == str(2**64 - 1)


# --- XLSX -----------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> tuple[list[str], list[dict[str, Any]], Any]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Answers"]
    values = list(sheet.iter_rows(values_only=True))
    header = [str(v) for v in values[0]]
    records = []
    for raw in values[1:]:
        # openpyxl does not undo OOXML's _xHHHH_ escapes in inline strings; Excel does.
        cells = [unescape_ooxml(v) if isinstance(v, str) else v for v in raw]
        # openpyxl reads an empty string cell back as None.
        records.append({k: ("" if v is None else v) for k, v in zip(header, cells, strict=True)})
    return header, records, sheet


@pytest.mark.parametrize("named", [False, True])
def test_xlsx_round_trip(named: bool) -> None:
    rows = sample_rows()
    out = io.BytesIO()
    assert write_xlsx(iter(rows), out, named=named) == len(rows)
    header, records, sheet = read_xlsx(out.getvalue())
    assert header == list(export_columns(named=named))
    assert records == [expected_record(r, named=named, neutralise=True) for r in rows]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    answer_column = "F"
    assert sheet[f"{answer_column}2"].alignment.wrap_text


def test_xlsx_text_is_stored_as_text() -> None:
    payloads = [*FORMULA_PAYLOADS, "123", "1e5", "2020-08-03", "http://example.com", "TRUE"]
    rows = [replace(sample_rows()[0], answer=payload) for payload in payloads]
    out = io.BytesIO()
    write_xlsx(rows, out, named=True)
    _, records, sheet = read_xlsx(out.getvalue())
    answers = [sheet.cell(row=i + 2, column=6) for i in range(len(payloads))]
    assert all(cell.data_type == "s" for cell in answers)
    assert [r["answer"] for r in records] == [neutralise_formula(p) for p in payloads]
    assert not sheet.cell(row=2, column=6).hyperlink
    discord_ids = [sheet.cell(row=i + 2, column=11) for i in range(len(payloads))]
    assert all(cell.data_type == "s" for cell in discord_ids)


def test_xlsx_empty_export_has_a_header() -> None:
    out = io.BytesIO()
    assert write_xlsx([], out, named=False) == 0
    header, records, _ = read_xlsx(out.getvalue())
    assert header == list(PSEUDONYMOUS_COLUMNS)
    assert records == []


# --- Markdown -------------------------------------------------------------------------------------

_ATTRIBUTION = re.compile(r"^— (?P<who>.*) \((?P<details>[^()]*)\)$")


def unescape_markdown(text: str) -> str:
    # First the hard line breaks (an odd backslash at a line's end), then the escapes.
    text = "\n".join(line[:-1] if (len(line) - len(line.rstrip("\\"))) % 2 else line for line in text.split("\n"))
    return re.sub(r"\\(.)", r"\1", text)


def read_markdown(text: str) -> tuple[str, list[str], list[dict[str, Any]]]:
    """Headings and answers, from the structure the report promises."""
    lines = text.split("\n")
    assert lines[0].startswith("# ")
    title = unescape_markdown(lines[0][2:])
    headings: list[str] = []
    answers: list[dict[str, Any]] = []
    week = prompt = None
    block: list[str] = []
    for line in [*lines[1:], ""]:
        if line.startswith(">"):
            block.append(line[2:] if line.startswith("> ") else "")
            continue
        if block:
            *body, blank, attribution = block
            assert blank == ""
            match = _ATTRIBUTION.match(attribution)
            assert match, attribution
            answers.append(
                {
                    "week": week,
                    "prompt": prompt,
                    "answer": unescape_markdown("\n".join(body)),
                    "who": unescape_markdown(match["who"]),
                    "details": match["details"],
                }
            )
            block = []
        if line.startswith("#"):
            headings.append(line)
            if match := re.match(r"## Week (\d+): ", line):
                week = int(match[1])
            elif match := re.match(r"### Prompt (\d+): ", line):
                prompt = int(match[1])
    return title, headings, answers


def expected_markdown_answer(row: ExportRow, *, named: bool) -> dict[str, Any]:
    who = row.member
    if named:
        who = f"{row.display_name or '(no name)'}, {row.member}, Discord ID {row.discord_id or 'unknown'}"
    details = [row.source, format_utc(row.created)]
    if row.updated != row.created:
        details.append(f"edited {format_utc(row.updated)}")
    if row.late:
        details.append("late")
    return {
        "week": row.week,
        "prompt": row.prompt_number,
        "answer": row.answer.replace("\r\n", "\n").replace("\r", "\n"),  # any line end is a line break
        "who": who,
        "details": ", ".join(details),
    }


@pytest.mark.parametrize("named", [False, True])
def test_markdown_round_trip(named: bool) -> None:
    rows = sample_rows()
    out = io.BytesIO()
    assert write_markdown(iter(rows), out, named=named, title="Labour Together # 2020") == len(rows)
    title, headings, answers = read_markdown(out.getvalue().decode("utf-8"))
    assert title == "Labour Together # 2020"
    assert answers == [expected_markdown_answer(r, named=named) for r in rows]
    # Only the report makes headings: a member's "# ..." or "## Week 99" stays inside its quote.
    expected_headings = []
    seen: set[tuple[int, int | None]] = set()
    for row in rows:
        if (row.week, None) not in seen:
            seen.add((row.week, None))
            expected_headings.append(("##", row.week))
        if (row.week, row.prompt_number) not in seen:
            seen.add((row.week, row.prompt_number))
            expected_headings.append(("###", row.prompt_number))
    assert [(h.split(" ")[0], int(re.findall(r"\d+", h)[0])) for h in headings] == expected_headings
    assert '## Week 2: Week 2: Hope, "change" & =cmd' in [unescape_markdown(h) for h in headings]
    assert "### Prompt 1: What do you think about \\#1? Say more." in headings  # one line


def test_markdown_empty_report() -> None:
    out = io.BytesIO()
    assert write_markdown([], out, named=False) == 0
    assert out.getvalue().decode() == "# Answers\n\nNo answers yet.\n"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# title", "\\# title"),
        ("- item\n+ item\n  3. item\n4) item", "\\- item\n\\+ item\n  3\\. item\n4\\) item"),
        ("text\n===", "text\n\\==="),
        ("<script>&amp;", "\\<script\\>\\&amp;"),
        ("[a](b) `c` *d* _e_ ~f~ |g|", "\\[a\\](b) \\`c\\` \\*d\\* \\_e\\_ \\~f\\~ \\|g\\|"),
        ("it's fine. really!", "it's fine. really!"),
    ],
)
def test_escape_markdown(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_markdown_never_lets_an_answer_escape_its_quote(answer: str) -> None:
    answer = answer.replace("\r", "")  # answers are cleaned to LF line ends before they are stored
    row = replace(sample_rows()[0], answer=answer)
    out = io.BytesIO()
    write_markdown([row], out, named=False)
    text = out.getvalue().decode("utf-8")
    quoted = [line for line in text.split("\n") if line.startswith(">")]
    assert len([line for line in text.split("\n") if line.startswith("#")]) == 3
    assert len(quoted) == answer.count("\n") + 3
    assert unescape_markdown("\n".join(line[2:] for line in quoted[:-2])) == answer


# --- dispatcher -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_write_export_dispatches(fmt: ExportFormat) -> None:
    direct = {
        ExportFormat.CSV: write_csv,
        ExportFormat.JSON: write_json,
        ExportFormat.XLSX: write_xlsx,
        ExportFormat.MARKDOWN: write_markdown,
    }[fmt]
    via_dispatch, expected = io.BytesIO(), io.BytesIO()
    assert write_export(fmt, sample_rows(), via_dispatch, named=True, title="Answers") == len(sample_rows())
    direct(sample_rows(), expected, named=True)
    if fmt is ExportFormat.XLSX:  # zip timestamps differ; compare contents
        assert read_xlsx(via_dispatch.getvalue())[1] == read_xlsx(expected.getvalue())[1]
    else:
        assert via_dispatch.getvalue() == expected.getvalue()


def test_write_export_refuses_unknown_format() -> None:
    with pytest.raises(ValueError):
        write_export("pdf", [], io.BytesIO(), named=False)  # type: ignore[arg-type]


# --- memory ---------------------------------------------------------------------------------------


class NullOutput:
    """Discards what is written, so only the writer's own memory is measured."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


ANSWER = "Answer: " + 'some words, "quoted" and\nsplit over lines ' * 4


def generated_rows(count: int) -> Iterator[ExportRow]:
    # Each row is a new object (with its own member and id), as rows from a database cursor would be.
    for i in range(count):
        yield ExportRow(
            week=1 + i // 5000,
            session_title="What kind of party do we want to be?",
            prompt_number=1 + i % 3,
            prompt_text="What would you change first, and why?",
            member=f"member-{i:010d}",
            answer=ANSWER,
            source="thread",
            created=T0,
            updated=T0,
            late=i % 9 == 0,
            discord_id=10**17 + i,
            display_name="Member",
        )


def peak_memory(work: Callable[[], object], *, attempts: int = 1) -> int:
    """Peak traced memory of ``work``; the lowest of ``attempts`` runs.

    tracemalloc counts every thread's allocations, so a background thread left by an earlier test can
    inflate one run; a writer that really holds its rows is over the limit on every run.
    """
    peaks = []
    for _ in range(attempts):
        gc.collect()
        tracemalloc.start()
        try:
            work()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return min(peaks)


# Ten times as many rows must not take anywhere near ten times the memory. (Kept modest because
# tracemalloc slows allocation-heavy code several times over; the ratio is what matters.)
SMALL, LARGE = 2_000, 20_000


def test_memory_check_can_tell_a_materialising_writer() -> None:
    # The check below has teeth: holding the rows in a list grows with the row count.
    small = peak_memory(lambda: list(generated_rows(SMALL)))
    large = peak_memory(lambda: list(generated_rows(LARGE)))
    assert large > 5 * small


@pytest.mark.parametrize(
    ("writer", "small", "large"),
    [
        pytest.param(write_csv, SMALL, LARGE, id="csv"),
        pytest.param(write_json, SMALL, LARGE, id="json"),
        pytest.param(write_markdown, SMALL, LARGE, id="markdown"),
        # XLSX costs more per row, so fewer rows; constant_memory keeps it flat all the same.
        pytest.param(write_xlsx, SMALL // 4, LARGE // 4, id="xlsx"),
    ],
)
def test_writers_stream(writer: Callable[..., int], small: int, large: int) -> None:
    def run(count: int) -> Callable[[], object]:
        return lambda: writer(generated_rows(count), NullOutput(), named=True)

    run(10)()  # warm up: first-use caches (regex templates, imports) are not per-row memory
    assert peak_memory(run(large), attempts=2) < 3 * peak_memory(run(small))


# --- the CSV writer against the csv module ------------------------------------------------------------------

_CELL = st.one_of(
    st.integers(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.sampled_from(['"', ",", "\r\n", "\r", "\n", "", " ", "'"]),
)


@given(st.lists(st.lists(_CELL, min_size=2, max_size=12), max_size=20))
@settings(max_examples=300)
def test_csv_lines_are_what_the_csv_module_writes(rows: list[list[int | str]]) -> None:
    expected = io.StringIO(newline="")
    csv.writer(expected, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    assert "".join(csv_line(row) for row in rows) == expected.getvalue()


# --- Markdown line breaks -------------------------------------------------------------------------------------


def test_multi_line_answers_keep_their_line_breaks_when_the_markdown_is_rendered() -> None:
    from markdown_it import MarkdownIt  # a CommonMark renderer, as a reader's viewer would be

    row = replace(sample_rows()[0], answer="First line\nsecond line\\\n\nA new paragraph\r\nwith *stars*\n   \nend")
    out = io.BytesIO()
    write_markdown([row], out, named=False)
    html = MarkdownIt("commonmark").render(out.getvalue().decode())
    assert "<p>First line<br />\nsecond line\\</p>" in html
    assert "<p>A new paragraph<br />\nwith *stars*</p>" in html
    assert "<p>end</p>" in html


def test_a_slack_members_id_is_written_as_slack_writes_it_in_every_format() -> None:
    """Not the negative number the bot stores for it (bot/domain/platform_ids.py), which nobody could look up."""
    slack_member = slack_id_to_int("U0123ABCD")
    row = replace(sample_rows()[1], discord_id=slack_member, display_name="Ann")
    out = io.BytesIO()
    write_csv([row], out, named=True)
    assert read_csv(out.getvalue())[0]["discord_id"] == "U0123ABCD"  # text already: no apostrophe
    out = io.BytesIO()
    write_json([row], out, named=True)
    assert json.loads(out.getvalue())[0]["discord_id"] == "U0123ABCD"
    out = io.BytesIO()
    write_export(ExportFormat.MARKDOWN, [row], out, named=True, title="Answers")
    assert "Ann, member-0000000001, Slack ID U0123ABCD (" in out.getvalue().decode()
