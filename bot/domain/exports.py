"""Export writers: answers as CSV, JSON, XLSX or a Markdown report.

Every writer streams: it takes an iterable of rows (possibly a generator over a large database query)
and a binary file object, writes as it goes, and returns how many rows it wrote. Nothing holds all rows
in memory, so a big export costs about as much memory as a small one.

Members are identified by pseudonym unless the organiser asks for named identities (``named=True``),
which adds the Discord id and display name columns.

CSV and XLSX also take answers as they come out of the database (``StoredAnswer`` tuples, through
``csv_lines`` and ``spreadsheet_rows``): a 100,000-answer export then costs one tuple per row from SQLite to
the writer, with no objects or datetimes in between. ``write_csv`` and ``write_xlsx`` on ``ExportRow`` write
the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import xlsxwriter

from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import external_id


class BinaryOutput(Protocol):
    """A file object opened for binary writing (a file, ``io.BytesIO``, ...)."""

    def write(self, data: bytes, /) -> Any: ...

    def flush(self) -> Any: ...  # the XLSX writer's zipfile flushes when it finishes


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One answer as exported."""

    week: int
    session_title: str
    prompt_number: int
    prompt_text: str
    member: str  # the pseudonym
    answer: str
    source: str  # "modal" or "thread"
    created: datetime  # aware
    updated: datetime  # aware
    late: bool
    discord_id: int | None = None  # only filled in for named exports
    display_name: str | None = None


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"
    MARKDOWN = "markdown"

    @property
    def extension(self) -> str:
        """The file name extension, with its dot."""
        return _EXTENSIONS[self]

    @property
    def mime_type(self) -> str:
        return _MIME_TYPES[self]


_EXTENSIONS = {
    ExportFormat.CSV: ".csv",
    ExportFormat.JSON: ".json",
    ExportFormat.XLSX: ".xlsx",
    ExportFormat.MARKDOWN: ".md",
}
_MIME_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.MARKDOWN: "text/markdown; charset=utf-8",
}

PSEUDONYMOUS_COLUMNS: tuple[str, ...] = (
    "week",
    "session_title",
    "prompt_number",
    "prompt_text",
    "member",
    "answer",
    "source",
    "created",
    "updated",
    "late",
)
NAMED_COLUMNS: tuple[str, ...] = (*PSEUDONYMOUS_COLUMNS, "discord_id", "display_name")


def export_columns(*, named: bool) -> tuple[str, ...]:
    return NAMED_COLUMNS if named else PSEUDONYMOUS_COLUMNS


def format_utc(moment: datetime) -> str:
    """An aware datetime as ISO-8601 UTC to the second, e.g. ``2020-08-03T18:00:00Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("export datetimes must be aware")
    # isoformat, not strftime: this runs twice a row and strftime was a sixth of a CSV export's time.
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:-6] + "Z"  # '+00:00' -> 'Z'


# OWASP CSV injection: spreadsheets treat a cell starting with one of these as a formula (tab, CR and
# LF because some apps strip them first and then see the formula).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def neutralise_formula(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet could read it as a formula."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


# A cell as written: whole numbers, true/false, or text.
Cell = int | bool | str


def _cells(row: ExportRow, *, named: bool) -> tuple[Cell, ...]:
    """The row's values in column order, as written to JSON."""
    cells: tuple[Cell, ...] = (
        row.week,
        row.session_title,
        row.prompt_number,
        row.prompt_text,
        row.member,
        row.answer,
        row.source,
        format_utc(row.created),
        format_utc(row.updated),
        row.late,
    )
    if named:
        cells += (_discord_id_text(row.discord_id), row.display_name or "")
    return cells


def _spreadsheet_cells(row: ExportRow, *, named: bool) -> tuple[Cell, ...]:
    """The row's values in column order with every free-text cell neutralised, for CSV and XLSX."""
    cells: tuple[Cell, ...] = (
        row.week,
        neutralise_formula(row.session_title),
        row.prompt_number,
        neutralise_formula(row.prompt_text),
        neutralise_formula(row.member),
        neutralise_formula(row.answer),
        neutralise_formula(row.source),
        format_utc(row.created),
        format_utc(row.updated),
        row.late,
    )
    if named:
        cells += (_discord_id_text(row.discord_id), neutralise_formula(row.display_name or ""))
    return cells


def _discord_id_text(discord_id: int | None) -> str:
    # As text: Discord ids go beyond what JSON readers (2**53) and Excel (15 digits) keep exact. As the member's
    # platform writes it (external_id): a snowflake's digits, or a Slack user id such as U0123ABCD, never the
    # negative number the bot stores for it.
    if discord_id is None:
        return ""
    return str(discord_id) if discord_id > 0 else external_id(discord_id)  # snowflakes are unsigned 64-bit


def _csv_discord_id(discord_id: int | None) -> str:
    # A CSV cell has no type: spreadsheets read 18-20 digits as a number and keep 15 of them
    # (300000000000000950 became 3.00000000000001E+017). A leading apostrophe, as for formulas, makes
    # both LibreOffice and Excel keep the cell as text; it is not part of the id. A Slack id is text already.
    text = _discord_id_text(discord_id)
    return "'" + text if text.isdigit() else text


def utc_text(iso: str) -> str:
    """ISO-8601 text of an aware time as exported: ``format_utc(datetime.fromisoformat(iso))``.

    The database's own form (``2020-08-03T18:00:00.123456Z``) is cut to the second without parsing: this
    runs twice for every row of an export.
    """
    if len(iso) == 27 and iso[26] == "Z" and iso[19] == "." and iso[10] == "T":
        return iso[:19] + "Z"
    return format_utc(datetime.fromisoformat(iso))


# --- answers straight from the database -----------------------------------------------------------

# An answer as read for export, in this order: week, session title, prompt number, prompt text, member's
# Discord id, answer text, source ("modal" or "thread"), created and updated (ISO-8601 UTC text), late (0/1).
StoredAnswer = tuple[int, str, int, str, int, str, str, str, str, int]

# The member's label for an answer: (Discord id, source) -> pseudonym.
MemberLabel = Callable[[int, str], str]


def spreadsheet_rows(
    answers: Iterable[StoredAnswer],
    member_label: MemberLabel,
    *,
    names: Mapping[int, str] | None,
) -> Iterator[tuple[Cell, ...]]:
    """The cells ``write_xlsx_cells`` takes, exactly as ``write_xlsx`` makes them from ``ExportRow``s.

    ``names`` (display names by Discord id) makes the export named.
    """
    guard = neutralise_formula
    guarded: dict[str, str] = {}  # titles, prompts, sources and labels repeat on every row: guard each once
    late_cells: tuple[Cell, Cell] = (False, True)
    members: dict[tuple[int, str], str] = {}
    named: dict[int, tuple[str, str]] = {}
    for week, title, number, prompt, user_id, text, source, created, updated, late in answers:
        title_cell = guarded.get(title)
        if title_cell is None:
            title_cell = guarded[title] = guard(title)
        prompt_cell = guarded.get(prompt)
        if prompt_cell is None:
            prompt_cell = guarded[prompt] = guard(prompt)
        member_cell = members.get((user_id, source))
        if member_cell is None:
            member_cell = members[(user_id, source)] = guard(member_label(user_id, source))
        source_cell = guarded.get(source)
        if source_cell is None:
            source_cell = guarded[source] = guard(source)
        created_cell = utc_text(created)
        updated_cell = created_cell if updated == created else utc_text(updated)
        cells = (week, title_cell, number, prompt_cell, member_cell, guard(text), source_cell, created_cell,
                 updated_cell, late_cells[late])  # fmt: skip
        if names is None:
            yield cells
            continue
        identity = named.get(user_id)
        if identity is None:
            identity = named[user_id] = (_discord_id_text(user_id), guard(names.get(user_id) or ""))
        yield cells + identity


# --- CSV ------------------------------------------------------------------------------------------

# RFC 4180 as the csv module writes it with QUOTE_MINIMAL and CRLF: a field is quoted when it holds a comma,
# a quote or a line break, and its quotes are doubled. Written here rather than through the csv module, which
# was most of a large export's time (it copies every character of every field one by one); a test checks
# this against the csv module for any text.
_NEEDS_QUOTES = re.compile('[,"\r\n]').search
_CSV_BATCH = 500  # lines encoded and written at a time
_BOM = "\ufeff".encode()


def _csv_field(value: Cell) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES(value) else value
    return str(value)


def csv_line(cells: Iterable[Cell]) -> str:
    """One CSV record with its CRLF."""
    return ",".join([_csv_field(cell) for cell in cells]) + "\r\n"


def write_csv(rows: Iterable[ExportRow], out: BinaryOutput, *, named: bool) -> int:
    """RFC 4180 CSV (CRLF line ends, quotes doubled) in UTF-8 with a BOM so Excel reads it as UTF-8.

    ``late`` is written as ``true``/``false``; a Discord id with a leading apostrophe (``_csv_discord_id``).
    """
    return write_csv_lines((csv_line(_csv_row(row, named)) for row in rows), out, named=named)


def write_csv_lines(lines: Iterable[str], out: BinaryOutput, *, named: bool) -> int:
    """The BOM, the header, then ``lines`` (from ``csv_line`` or ``csv_lines``); returns how many lines."""
    out.write(_BOM + csv_line(export_columns(named=named)).encode())
    batch: list[str] = []
    count = 0
    for line in lines:
        batch.append(line)
        if len(batch) >= _CSV_BATCH:
            out.write("".join(batch).encode())
            count += len(batch)
            batch.clear()
    out.write("".join(batch).encode())
    return count + len(batch)


def csv_lines(
    answers: Iterable[StoredAnswer], member_label: MemberLabel, *, names: Mapping[int, str] | None
) -> Iterator[str]:
    """The CSV lines ``write_csv`` writes for these answers, with the fields that repeat from row to row
    (titles, prompts, pseudonyms, names) guarded and quoted once each."""
    guard = neutralise_formula
    fields: dict[str, str] = {}
    members: dict[tuple[int, str], str] = {}  # one pseudonym (an HMAC) per member and source, not per row
    identities: dict[int, str] = {}
    needs_quotes = _NEEDS_QUOTES
    for week, title, number, prompt, user_id, text, source, created, updated, late in answers:
        title_field = fields.get(title)
        if title_field is None:
            title_field = fields[title] = _csv_field(guard(title))
        prompt_field = fields.get(prompt)
        if prompt_field is None:
            prompt_field = fields[prompt] = _csv_field(guard(prompt))
        member_field = members.get((user_id, source))
        if member_field is None:
            member_field = members[(user_id, source)] = _csv_field(guard(member_label(user_id, source)))
        source_field = fields.get(source)
        if source_field is None:
            source_field = fields[source] = _csv_field(guard(source))
        text = guard(text)
        if needs_quotes(text):
            text = '"' + text.replace('"', '""') + '"'
        created_field = utc_text(created)
        updated_field = created_field if updated == created else utc_text(updated)
        late_field = "true" if late else "false"
        if names is None:
            yield (f"{week},{title_field},{number},{prompt_field},{member_field},{text},{source_field},"
                   f"{created_field},{updated_field},{late_field}\r\n")  # fmt: skip
            continue
        identity = identities.get(user_id)
        if identity is None:
            name = _csv_field(guard(names.get(user_id) or ""))
            identity = identities[user_id] = f"{_csv_field(_csv_discord_id(user_id))},{name}"
        yield (f"{week},{title_field},{number},{prompt_field},{member_field},{text},{source_field},"
               f"{created_field},{updated_field},{late_field},{identity}\r\n")  # fmt: skip


def _csv_row(row: ExportRow, named: bool) -> list[Cell]:
    cells = list(_spreadsheet_cells(row, named=named))
    cells[9] = "true" if row.late else "false"  # the csv module would write True/False
    if named:
        cells[10] = _csv_discord_id(row.discord_id)
    return cells


# --- JSON -----------------------------------------------------------------------------------------


def write_json(rows: Iterable[ExportRow], out: BinaryOutput, *, named: bool) -> int:
    """A JSON array with one object per row, written one row at a time (UTF-8, no BOM).

    Numbers and ``late`` are JSON numbers and booleans; ``discord_id`` is a string (see
    ``_discord_id_text``).
    """
    columns = export_columns(named=named)
    encoder = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps builds one per call
    count = 0
    for row in rows:
        out.write(b"[\n" if count == 0 else b",\n")
        record = dict(zip(columns, _cells(row, named=named), strict=True))
        out.write(encoder.encode(record).encode("utf-8"))
        count += 1
    out.write(b"[]\n" if count == 0 else b"\n]\n")
    return count


# --- XLSX -----------------------------------------------------------------------------------------

# Excel's limit is 1,048,576 rows, one of which is the header.
XLSX_MAX_ROWS = 1_048_575

_XLSX_WIDTHS = {
    "week": 6,
    "session_title": 28,
    "prompt_number": 8,
    "prompt_text": 45,
    "member": 18,
    "answer": 80,
    "source": 8,
    "created": 21,
    "updated": 21,
    "late": 6,
    "discord_id": 21,
    "display_name": 24,
}
_XLSX_WRAPPED = frozenset({"prompt_text", "answer"})


def write_xlsx(rows: Iterable[ExportRow], out: BinaryOutput, *, named: bool) -> int:
    """An Excel workbook with one sheet, "Answers", written row by row.

    Text always goes in as text (``write_string``), never as a formula, number or link guessed from its
    content; it is also neutralised, in case the sheet is later saved as CSV.
    """
    return write_xlsx_cells((_spreadsheet_cells(row, named=named) for row in rows), out, named=named)


# Each column's kind of cell, in export order: whole number, text or true/false.
_XLSX_KINDS = {"week": int, "prompt_number": int, "late": bool}


def write_xlsx_cells(rows: Iterable[Sequence[Cell]], out: BinaryOutput, *, named: bool) -> int:
    """``write_xlsx`` for cells already made (``spreadsheet_rows``)."""
    columns = export_columns(named=named)
    workbook = xlsxwriter.Workbook(
        out,
        {
            # constant_memory flushes each row to a temporary file once the next row starts.
            "constant_memory": True,
            "in_memory": False,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        sheet = workbook.add_worksheet("Answers")
        header = workbook.add_format({"bold": True})
        wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
        top = workbook.add_format({"valign": "top"})
        formats = [wrapped if name in _XLSX_WRAPPED else top for name in columns]
        for index, name in enumerate(columns):
            sheet.set_column(index, index, _XLSX_WIDTHS[name], formats[index])
            sheet.write_string(0, index, name, header)
        sheet.freeze_panes(1, 0)
        # One writer a column, chosen once: the columns' kinds are fixed (see ``_XLSX_KINDS``).
        kinds = {int: sheet.write_number, bool: sheet.write_boolean, str: sheet.write_string}
        plan = [(index, kinds[_XLSX_KINDS.get(name, str)], formats[index]) for index, name in enumerate(columns)]
        count = 0
        for cells in rows:
            if count >= XLSX_MAX_ROWS:
                raise UserFacingError(
                    f"This export has more than {XLSX_MAX_ROWS:,} answers, more than a spreadsheet can "
                    "hold. Please export it as CSV or JSON instead."
                )
            count += 1
            for index, write, cell_format in plan:
                write(count, index, cells[index], cell_format)
        sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    finally:
        # Also on error: close() removes xlsxwriter's temporary files.
        workbook.close()
    return count


# --- Markdown -------------------------------------------------------------------------------------

# Escaped wherever they appear: emphasis, code, links and images, tables, HTML, entities, strikethrough,
# and '>' and '#' so no line can become a quote or heading of its own.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>|~&#])")
# Block markers at the start of a line: list items, setext heading underlines ("===", "---") and
# numbered lists.
_MARKDOWN_LINE_START = re.compile(r"^([ \t]*)([-+=])|^([ \t]*[0-9]+)([.)])", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """``text`` with markdown syntax escaped by backslashes, so it renders exactly as written."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        return f"{match.group(1)}\\{match.group(2)}"
    return f"{match.group(3)}\\{match.group(4)}"


def _one_line(text: str) -> str:
    # Headings must stay on one line: a newline in a title would end the heading.
    return escape_markdown(" ".join(text.split()))


def write_markdown(rows: Iterable[ExportRow], out: BinaryOutput, *, named: bool, title: str = "Answers") -> int:
    """A readable report: weeks, then prompts, then each answer quoted with who wrote it and when.

    Rows should arrive ordered by week, prompt and time; a heading is written whenever the week or
    prompt changes.
    """
    out.write(f"# {_one_line(title)}\n".encode())
    count = 0
    week: int | None = None
    prompt: tuple[int, int] | None = None
    for row in rows:
        lines: list[str] = []
        if row.week != week:
            week, prompt = row.week, None
            lines += ["", f"## Week {row.week}: {_one_line(row.session_title)}"]
        if (row.week, row.prompt_number) != prompt:
            prompt = (row.week, row.prompt_number)
            lines += ["", f"### Prompt {row.prompt_number}: {_one_line(row.prompt_text)}"]
        lines.append("")
        lines += _quoted_lines(row.answer)
        lines += [">", f"> — {_attribution(row, named=named)}"]
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
        count += 1
    if count == 0:
        out.write(b"\nNo answers yet.\n")
    return count


def _quoted_lines(text: str) -> list[str]:
    """The answer as a block quote that keeps its line breaks.

    In Markdown a single newline inside a paragraph is only a space, so each line followed by another
    gets a hard line break (a backslash at its end, CommonMark 6.7); blank lines stay paragraph breaks.
    """
    lines = escape_markdown(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    quoted: list[str] = []
    for index, line in enumerate(lines):
        if not line.strip():
            quoted.append(f"> {line}" if line else ">")
            continue
        continues = index + 1 < len(lines) and lines[index + 1].strip() != ""
        quoted.append(f"> {line}\\" if continues else f"> {line}")
    return quoted


def _attribution(row: ExportRow, *, named: bool) -> str:
    who = escape_markdown(row.member)
    if named:
        name = escape_markdown(" ".join((row.display_name or "").split())) or "(no name)"
        member_id = _discord_id_text(row.discord_id) or "unknown"
        platform = "Discord" if row.discord_id is None or member_id.isdigit() else "Slack"  # as the id is written
        who = f"{name}, {who}, {platform} ID {member_id}"
    details = [escape_markdown(row.source), format_utc(row.created)]
    if row.updated != row.created:
        details.append(f"edited {format_utc(row.updated)}")
    if row.late:
        details.append("late")
    return f"{who} ({', '.join(details)})"


# --- Dispatch -------------------------------------------------------------------------------------


def write_export(
    fmt: ExportFormat,
    rows: Iterable[ExportRow],
    out: BinaryOutput,
    *,
    named: bool,
    title: str = "Answers",
) -> int:
    """Write ``rows`` to ``out`` in ``fmt``; returns the number of rows written.

    ``title`` heads the Markdown report; the other formats have no place for it.
    """
    if fmt == ExportFormat.CSV:
        return write_csv(rows, out, named=named)
    if fmt == ExportFormat.JSON:
        return write_json(rows, out, named=named)
    if fmt == ExportFormat.XLSX:
        return write_xlsx(rows, out, named=named)
    if fmt == ExportFormat.MARKDOWN:
        return write_markdown(rows, out, named=named, title=title)
    raise ValueError(f"unknown export format {fmt!r}")


@dataclass(frozen=True, slots=True)
class ExportAuditEntry:
    """One line of the export audit: who pulled what, when."""

    id: int
    community_id: int
    actor_id: int | None  # None: the command line
    created_at: datetime
    week: int | None  # None: every week
    format: str
    identities: str  # "pseudonymous" or "named"
    row_count: int
    cli_user: str | None = None  # the operating-system user, for an export run from the command line
    kind: str = "answers"  # "answers" (an export) or "report" (the HTML report; format "html")
