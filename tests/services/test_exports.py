"""Answer exports against a real database: every format read back, formulas, pseudonyms, audit, size."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import re
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
import pytest

from bot.config import Secret
from bot.domain import exports as export_writers
from bot.domain.errors import NotFoundError, SettingsError, UserFacingError
from bot.domain.exports import NAMED_COLUMNS, PSEUDONYMOUS_COLUMNS, ExportFormat, StoredAnswer
from bot.domain.programme import Programme
from bot.domain.pseudonyms import pseudonym, secret_from_text
from bot.services import exports as export_service_module
from bot.services.exports import (
    EXPORT_SECRET_KEY,
    ExportRequest,
    ExportService,
    ExportTooLargeError,
    Packaging,
    package_for_upload,
)
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.harness import FakeClock
from tests.services.answer_rows import CREATED, AnswerRow, insert_answers, prompt_ids

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

ALICE, BOB, CAROL = 300000000000000001, 300000000000000002, 300000000000000003
# No NUL among them: no path stores one (the domain removes it from what members write, and PostgreSQL's text
# cannot hold it); the CSV guard for a leading NUL is checked on its own below.
FORMULAS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tTAB", "\rCR", "\nLF", '=HYPERLINK("http://x","y")']


@pytest.fixture
async def imported(db: Database, programme: Programme) -> Database:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    return db


@pytest.fixture
def service(imported: Database, clock: FakeClock) -> ExportService:
    return ExportService(imported, clock=clock)


async def sample_answers(db: Database) -> list[AnswerRow]:
    week1 = await prompt_ids(db, GUILD_ID, 1)
    week2 = await prompt_ids(db, GUILD_ID, 2)
    rows = [
        AnswerRow(week1[0], ALICE, 'A strategy with "quotes", commas, and\nnew lines; émojis ✊'),
        AnswerRow(week1[0], BOB, "Bob's view", source="thread", created=CREATED + timedelta(minutes=1)),
        AnswerRow(week1[1], ALICE, "Edited later", updated=CREATED + timedelta(days=1), late=True),
        AnswerRow(week2[0], CAROL, "Week two # heading? *bold* | pipe"),
    ]
    await insert_answers(db, GUILD_ID, rows)
    return rows


def expected_records(secret: bytes) -> list[dict[str, object]]:
    member = {uid: pseudonym(secret, GUILD_ID, uid) for uid in (ALICE, CAROL)}
    member[BOB] = pseudonym(secret, GUILD_ID, BOB, public_reply=True)  # Bob's row is a public thread reply
    return [
        {
            "week": 1,
            "session_title": "A long-term political strategy",
            "prompt_number": 1,
            "prompt_text": "What might this political strategy look like?",
            "member": member[ALICE],
            "answer": 'A strategy with "quotes", commas, and\nnew lines; émojis ✊',
            "source": "modal",
            "created": "2020-08-03T20:30:00Z",
            "updated": "2020-08-03T20:30:00Z",
            "late": False,
        },
        {
            "week": 1,
            "session_title": "A long-term political strategy",
            "prompt_number": 1,
            "prompt_text": "What might this political strategy look like?",
            "member": member[BOB],
            "answer": "Bob's view",
            "source": "thread",
            "created": "2020-08-03T20:31:00Z",
            "updated": "2020-08-03T20:31:00Z",
            "late": False,
        },
        {
            "week": 1,
            "session_title": "A long-term political strategy",
            "prompt_number": 2,
            "prompt_text": "How can we bring all our movement in line with it?",
            "member": member[ALICE],
            "answer": "Edited later",
            "source": "modal",
            "created": "2020-08-03T20:30:00Z",
            "updated": "2020-08-04T20:30:00Z",
            "late": True,
        },
        {
            "week": 2,
            "session_title": "A better party culture",
            "prompt_number": 1,
            "prompt_text": "How can we build a better culture?",
            "member": member[CAROL],
            "answer": "Week two # heading? *bold* | pipe",
            "source": "modal",
            "created": "2020-08-03T20:30:00Z",
            "updated": "2020-08-03T20:30:00Z",
            "late": False,
        },
    ]


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_xlsx(path: Path) -> tuple[list[str], list[dict[str, object]], list[list[str]]]:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Answers"]
    rows = list(sheet.iter_rows())
    header = [str(cell.value) for cell in rows[0]]
    records = [dict(zip(header, (_ooxml_text(cell.value) for cell in row), strict=True)) for row in rows[1:]]
    types = [[cell.data_type for cell in row] for row in rows[1:]]
    return header, records, types


def _ooxml_text(value: object) -> object:
    # XLSX keeps control characters as _xHHHH_ escapes, which Excel decodes and openpyxl leaves as they are.
    if isinstance(value, str):
        return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), value)
    return value


def as_text(records: list[dict[str, object]]) -> list[dict[str, str]]:
    def text(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return [{k: text(v) for k, v in record.items()} for record in records]


async def test_csv_reads_back_as_written(service: ExportService, tmp_path: Path) -> None:
    await sample_answers(service.repository._db)  # type: ignore[attr-defined]
    out = tmp_path / "answers.csv"
    result = await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV), out)
    assert result.rows == 4
    rows = read_csv(out)
    assert list(rows[0]) == list(PSEUDONYMOUS_COLUMNS)
    assert rows == as_text(expected_records(await service.secret()))


async def test_json_reads_back_as_written(service: ExportService, imported: Database, tmp_path: Path) -> None:
    await sample_answers(imported)
    out = tmp_path / "answers.json"
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.JSON), out)
    assert json.loads(out.read_text(encoding="utf-8")) == expected_records(await service.secret())


async def test_xlsx_reads_back_as_written(service: ExportService, imported: Database, tmp_path: Path) -> None:
    await sample_answers(imported)
    out = tmp_path / "answers.xlsx"
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.XLSX), out)
    header, records, _ = read_xlsx(out)
    assert header == list(PSEUDONYMOUS_COLUMNS)
    assert records == expected_records(await service.secret())


async def test_markdown_is_a_readable_report(service: ExportService, imported: Database, tmp_path: Path) -> None:
    await sample_answers(imported)
    out = tmp_path / "answers.md"
    result = await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.MARKDOWN), out)
    text = out.read_text(encoding="utf-8")
    secret = await service.secret()
    assert result.rows == 4
    assert text.startswith("# Labour Together Online Workshops: answers\n")
    # Weeks, then prompts, then each answer quoted with who wrote it and when, in that order.
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Labour Together Online Workshops: answers",
        "## Week 1: A long-term political strategy",
        "### Prompt 1: What might this political strategy look like?",
        "### Prompt 2: How can we bring all our movement in line with it?",
        "## Week 2: A better party culture",
        "### Prompt 1: How can we build a better culture?",
    ]
    assert '> A strategy with "quotes", commas, and\\\n> new lines; émojis ✊' in text  # a hard line break
    assert f"> — {pseudonym(secret, GUILD_ID, BOB, public_reply=True)} (thread, 2020-08-03T20:31:00Z)" in text
    assert "(modal, 2020-08-03T20:30:00Z, edited 2020-08-04T20:30:00Z, late)" in text
    assert "> Week two \\# heading? \\*bold\\* \\| pipe" in text
    assert str(ALICE) not in text


async def test_one_week_only(service: ExportService, imported: Database, tmp_path: Path) -> None:
    await sample_answers(imported)
    out = tmp_path / "week2.json"
    result = await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.JSON, week=2), out)
    assert result.rows == 1
    assert [r["week"] for r in json.loads(out.read_text(encoding="utf-8"))] == [2]
    md = tmp_path / "week2.md"
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.MARKDOWN, week=2), md)
    assert md.read_text(encoding="utf-8").startswith(
        "# Labour Together Online Workshops: answers, week 2: A better party culture\n"
    )


async def test_an_unknown_week_or_no_programme_is_a_clear_error(db: Database, tmp_path: Path) -> None:
    service = ExportService(db)
    with pytest.raises(NotFoundError, match="No programme has been imported"):
        await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV), tmp_path / "x.csv")
    await ProgrammeService(db).import_programme(GUILD_ID, _seed(db))
    with pytest.raises(NotFoundError, match=r"no week 13 .* Valid weeks: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"):
        await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV, week=13), tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    assert await service.repository.audit_count(GUILD_ID) == 0


def _seed(db: Database) -> Programme:
    from bot.domain.parsers import parse_programme_toml
    from tests.conftest import PROGRAMME_TOML

    return parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))


async def test_no_answers_gives_headings_only(service: ExportService, tmp_path: Path) -> None:
    out = tmp_path / "empty.csv"
    result = await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV), out)
    assert result.rows == 0
    assert read_csv(out) == []
    assert out.read_text(encoding="utf-8-sig").startswith(",".join(PSEUDONYMOUS_COLUMNS))


# --- formulas -------------------------------------------------------------------------------------------


@pytest.fixture
async def formula_service(db: Database, programme: Programme, clock: FakeClock) -> ExportService:
    # The session title and prompt text are free text too: an imported file could carry a formula.
    first = programme.sessions[0]
    hostile = dataclasses.replace(
        first, title="=cmd|' /C calc'!A0", prompts=("@SUM(1+1)*cmd|' /C calc'!A0", *first.prompts)
    )
    await ProgrammeService(db).import_programme(
        GUILD_ID, dataclasses.replace(programme, sessions=(hostile, *programme.sessions[1:]))
    )
    week1 = await prompt_ids(db, GUILD_ID, 1)
    await insert_answers(db, GUILD_ID, [AnswerRow(week1[0], ALICE + n, payload) for n, payload in enumerate(FORMULAS)])
    return ExportService(db, clock=clock)


def test_a_leading_nul_is_guarded_like_a_formula() -> None:
    assert export_writers.neutralise_formula("\0NUL") == "'\0NUL"


async def test_no_csv_cell_starts_a_formula(formula_service: ExportService, tmp_path: Path) -> None:
    out = tmp_path / "formulas.csv"
    await formula_service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV, week=1), out)
    rows = read_csv(out)
    assert sorted(r["answer"] for r in rows) == sorted("'" + payload for payload in FORMULAS)
    assert {r["session_title"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert {r["prompt_text"] for r in rows} == {"'@SUM(1+1)*cmd|' /C calc'!A0"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "\0")), value


async def test_no_xlsx_cell_is_a_formula(formula_service: ExportService, tmp_path: Path) -> None:
    out = tmp_path / "formulas.xlsx"
    await formula_service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.XLSX, week=1), out)
    _, records, types = read_xlsx(out)
    assert sorted(str(r["answer"]) for r in records) == sorted("'" + payload for payload in FORMULAS)
    assert {r["session_title"] for r in records} == {"'=cmd|' /C calc'!A0"}
    assert all(kind != "f" for row in types for kind in row)  # no formula cells at all
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


async def test_json_keeps_text_exactly(formula_service: ExportService, tmp_path: Path) -> None:
    # JSON is not opened by spreadsheets: the text stays exactly as the member wrote it.
    out = tmp_path / "formulas.json"
    await formula_service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.JSON, week=1), out)
    assert sorted(r["answer"] for r in json.loads(out.read_text(encoding="utf-8"))) == sorted(FORMULAS)


# --- pseudonyms -----------------------------------------------------------------------------------------


async def test_pseudonyms_are_stable_across_exports_and_restarts_and_distinct(
    imported: Database, tmp_path: Path
) -> None:
    await sample_answers(imported)
    first = ExportService(imported)
    await first.export_to_file(ExportRequest(GUILD_ID, ExportFormat.JSON), tmp_path / "one.json")
    # A new service over the same database (a restart, or the command line) uses the kept secret.
    second = ExportService(imported)
    await second.export_to_file(ExportRequest(GUILD_ID, ExportFormat.JSON), tmp_path / "two.json")
    one = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    two = json.loads((tmp_path / "two.json").read_text(encoding="utf-8"))
    assert [r["member"] for r in one] == [r["member"] for r in two]
    alice = {r["member"] for r in one if r["answer"] in ("Edited later",) or r["answer"].startswith("A strategy")}
    assert len(alice) == 1  # the same member has one pseudonym across answers
    assert len({r["member"] for r in one}) == 3  # three members, three pseudonyms
    for record in one:
        # Public thread replies carry a pseudonym that cannot be joined to the member's private answers.
        prefix = "poster" if record["source"] == "thread" else "member"
        assert re.fullmatch(rf"{prefix}-[a-z2-7]{{10}}", record["member"])
        assert str(ALICE) not in record["member"]


async def test_the_generated_secret_is_kept_in_the_database(imported: Database) -> None:
    service = ExportService(imported)
    secret = await service.secret()
    stored = await imported.fetchone("SELECT value FROM bot_state WHERE key = ?", (EXPORT_SECRET_KEY,))
    assert stored is not None and secret_from_text(stored[0]) == secret
    assert len(secret) >= 16
    assert await ExportService(imported).secret() == secret


async def test_export_secret_setting_wins_and_changes_pseudonyms(imported: Database, tmp_path: Path) -> None:
    await sample_answers(imported)
    configured = "ab" * 32
    service = ExportService(imported, export_secret=Secret(configured))
    assert await service.secret() == bytes.fromhex(configured)
    generated = ExportService(imported)
    assert await service.pseudonym_of(GUILD_ID, ALICE) != await generated.pseudonym_of(GUILD_ID, ALICE)
    with pytest.raises(SettingsError, match="EXPORT_SECRET: The pseudonym secret is too short"):
        await ExportService(imported, export_secret=Secret("abcd")).secret()


class Names:
    def __init__(self, names: Mapping[int, str]) -> None:
        self.names = names
        self.asked: list[Sequence[int]] = []

    async def display_names(self, community_id: int, user_ids: Sequence[int]) -> Mapping[int, str]:
        self.asked.append(list(user_ids))
        return {uid: self.names[uid] for uid in user_ids if uid in self.names}


async def test_named_exports_add_discord_id_and_display_name(
    imported: Database, tmp_path: Path, clock: FakeClock
) -> None:
    await sample_answers(imported)
    names = Names({ALICE: "=Alice", BOB: "Bob B"})  # Carol has left the server: no name
    service = ExportService(imported, names=names, clock=clock)
    out = tmp_path / "named.csv"
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV, named=True, actor_id=ALICE), out)
    assert names.asked == [[ALICE, BOB, CAROL]]  # asked once per member, not per answer
    rows = read_csv(out)
    assert list(rows[0]) == list(NAMED_COLUMNS)
    # Ids with a leading apostrophe, so spreadsheets keep them as text (tests/domain/test_exports_spreadsheet.py).
    assert [(r["discord_id"], r["display_name"]) for r in rows] == [
        (f"'{ALICE}", "'=Alice"),
        (f"'{BOB}", "Bob B"),
        (f"'{ALICE}", "'=Alice"),
        (f"'{CAROL}", ""),
    ]
    assert rows[0]["member"] == pseudonym(await service.secret(), GUILD_ID, ALICE)
    out_json = tmp_path / "named.json"
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.JSON, named=True), out_json)
    assert json.loads(out_json.read_text(encoding="utf-8"))[0]["display_name"] == "=Alice"


# --- audit ----------------------------------------------------------------------------------------------


async def test_every_export_is_audited(
    service: ExportService, imported: Database, tmp_path: Path, clock: FakeClock
) -> None:
    await sample_answers(imported)
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV, actor_id=ALICE), tmp_path / "a.csv")
    clock.advance(timedelta(hours=1))
    await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.XLSX, week=1, named=True), tmp_path / "b.xlsx")
    entries, total = await service.audit(GUILD_ID)
    assert total == 2
    newest, oldest = entries
    assert (newest.actor_id, newest.week, newest.format, newest.identities, newest.row_count) == (
        None,
        1,
        "xlsx",
        "named",
        3,
    )
    assert newest.created_at == clock.now
    assert (oldest.actor_id, oldest.week, oldest.format, oldest.identities, oldest.row_count) == (
        ALICE,
        None,
        "csv",
        "pseudonymous",
        4,
    )
    assert oldest.created_at == clock.now - timedelta(hours=1)
    assert (await service.audit(GUILD_ID, limit=1))[0] == [newest]


async def test_a_failed_export_leaves_no_file_and_no_audit_entry(
    service: ExportService, imported: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sample_answers(imported)
    monkeypatch.setattr(export_writers, "XLSX_MAX_ROWS", 2)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(UserFacingError, match="more than a spreadsheet can hold"):
        await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.XLSX), folder / "too-many.xlsx")
    assert list(folder.iterdir()) == []
    assert await service.repository.audit_count(GUILD_ID) == 0
    # The reader is free again: the next export works.
    assert (await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV), tmp_path / "ok.csv")).rows == 4


# --- size -----------------------------------------------------------------------------------------------

BIG = 100_000
ANSWER_TEXT = "An answer of a reasonable length, as members write them. " * 4  # ~230 characters


async def insert_many(db: Database, count: int) -> None:
    prompts = await prompt_ids(db, GUILD_ID)
    await insert_answers(
        db,
        GUILD_ID,
        (
            AnswerRow(prompts[n % len(prompts)], 400000000000000000 + n % 3000, f"{n}: {ANSWER_TEXT}", source="thread")
            for n in range(count)
        ),
    )


@pytest.mark.sqlite_only("a streaming read of 100,000 rows; PostgreSQL's reader streams in the memory test below")
async def test_a_100000_answer_export_is_read_as_it_is_written(
    imported: Database, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await insert_many(imported, BIG)
    service = ExportService(imported, clock=clock)
    read = written = most_in_flight = 0
    stored_answers = service.repository.stored_answers

    @contextlib.contextmanager
    def counted_answers(community_id: int, week: int | None = None) -> Iterator[Iterator[StoredAnswer]]:
        def counting(answers: Iterator[StoredAnswer]) -> Iterator[StoredAnswer]:
            nonlocal read
            for answer in answers:
                read += 1
                yield answer

        with stored_answers(community_id, week) as answers:
            yield counting(answers)

    def counted_writer(rows: Iterable[str], out: BinaryIO, **kwargs: Any) -> int:
        def counting() -> Iterator[str]:
            nonlocal written, most_in_flight
            for row in rows:
                written += 1
                most_in_flight = max(most_in_flight, read - written)
                yield row

        return export_writers.write_csv_lines(counting(), out, **kwargs)

    monkeypatch.setattr(service.repository, "stored_answers", counted_answers)
    monkeypatch.setattr(export_service_module, "write_csv_lines", counted_writer)
    out = tmp_path / "big.csv"
    result = await service.export_to_file(ExportRequest(GUILD_ID, ExportFormat.CSV), out)
    assert result.rows == read == written == BIG
    # Each row was read from the database as the writer took it: none waiting in memory.
    assert most_in_flight == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == list(PSEUDONYMOUS_COLUMNS)
        assert sum(1 for _ in reader) == BIG
    assert (await service.audit(GUILD_ID))[0][0].row_count == BIG


@pytest.mark.parametrize("fmt", [ExportFormat.JSON, ExportFormat.CSV])
async def test_export_memory_does_not_grow_with_the_number_of_answers(
    imported: Database, tmp_path: Path, fmt: ExportFormat
) -> None:
    service = ExportService(imported)
    await service.secret()
    peaks = []
    for count in (2_000, 18_000):  # 2,000 then 20,000 answers in all
        await insert_many(imported, count)
        out = tmp_path / f"{count}{fmt.extension}"
        tracemalloc.start()
        try:
            await service.export_to_file(ExportRequest(GUILD_ID, fmt), out)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert (tmp_path / f"18000{fmt.extension}").stat().st_size > 5_000_000  # ten times the answers...
    assert peaks[1] < 1.5 * peaks[0] + 500_000, peaks  # ...about the same memory
    # PostgreSQL's reader holds a connection of its own on an event loop in a helper thread: about 0.5 MB more,
    # however many answers there are (measured: 2.3 MB against SQLite's 1.8 MB for the CSV of 2,000 answers).
    ceiling = 3_000_000 if imported.engine == "sqlite" else 3_500_000
    assert peaks[1] < ceiling, peaks


# --- fitting Discord's upload limit ---------------------------------------------------------------------


def test_a_file_within_the_limit_goes_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(b"x" * 100)
    upload = package_for_upload(path, 100)
    assert upload.packaging is Packaging.AS_IS and upload.files == (path,)


def test_a_file_over_the_limit_is_zipped(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(b"the same words again " * 1000)
    upload = package_for_upload(path, 2000)
    assert upload.packaging is Packaging.ZIPPED
    (zipped,) = upload.files
    assert zipped.name == "answers.csv.zip" and zipped.stat().st_size <= 2000
    with zipfile.ZipFile(zipped) as archive:
        assert archive.read("answers.csv") == path.read_bytes()


def test_a_zip_still_over_the_limit_is_split_into_parts_that_join_back(tmp_path: Path) -> None:
    path = tmp_path / "answers.xlsx"
    data = bytes(range(256)) * 200 + __import__("os").urandom(20_000)  # does not compress much
    path.write_bytes(data)
    upload = package_for_upload(path, 10_000)
    assert upload.packaging is Packaging.SPLIT
    assert [p.name for p in upload.files][:2] == ["answers.xlsx.zip.001", "answers.xlsx.zip.002"]
    assert all(p.stat().st_size <= 10_000 for p in upload.files)
    joined = b"".join(p.read_bytes() for p in upload.files)
    with zipfile.ZipFile(io.BytesIO(joined)) as archive:
        assert archive.read("answers.xlsx") == data


def test_too_many_parts_is_refused_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "answers.xlsx"
    path.write_bytes(__import__("os").urandom(50_000))
    with pytest.raises(ExportTooLargeError, match="python -m bot export"):
        package_for_upload(path, 1000)


async def test_export_for_upload_cleans_up_after_itself(service: ExportService, imported: Database) -> None:
    await sample_answers(imported)
    request = ExportRequest(GUILD_ID, ExportFormat.MARKDOWN, actor_id=ALICE)
    async with service.export_for_upload(request, upload_limit=10_000_000) as delivery:
        (path,) = delivery.files
        assert path.exists() and delivery.rows == 4 and delivery.packaging is Packaging.AS_IS
        assert path.name == "answers-all-weeks-2020-10-20.md" == delivery.file_name
        assert (path.stat().st_mode & 0o777) == 0o600
        folder = path.parent
    assert not folder.exists()
    assert delivery.audit.actor_id == ALICE


async def test_when_now_is_used_it_is_the_injected_clock(service: ExportService, clock: FakeClock) -> None:
    clock.now = datetime(2021, 1, 2, 3, 4, tzinfo=UTC)
    assert service.file_name(ExportRequest(GUILD_ID, ExportFormat.XLSX, week=3, named=True)) == (
        "answers-week-3-named-2021-01-02.xlsx"
    )
