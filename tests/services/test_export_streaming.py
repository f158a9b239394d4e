"""The streaming exporter writes what the exporter before it wrote: the same bytes for CSV, the same cells for
XLSX (tests/services/golden/ was recorded with the old code; see tests/services/export_fixture.py).

The one intended difference: in the named CSV, Discord ids carry a leading apostrophe so spreadsheets keep
them as text (issue 15, point 4).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from bot.domain.exports import ExportFormat
from bot.services.exports import ExportRequest, ExportService
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.services.export_fixture import GOLDEN, MEMBER_IDS, SECRET, FixedNames, golden_name, populate

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine


@pytest.fixture
async def service(db: Database) -> ExportService:
    await populate(db)
    return ExportService(db, export_secret=SECRET, names=FixedNames())


async def export(service: ExportService, fmt: ExportFormat, named: bool, folder: Path) -> Path:
    out = folder / golden_name(fmt, named=named)
    await service.export_to_file(ExportRequest(GUILD_ID, fmt, named=named), out)
    return out


async def test_the_pseudonymous_csv_is_byte_for_byte_what_it_was(service: ExportService, tmp_path: Path) -> None:
    out = await export(service, ExportFormat.CSV, False, tmp_path)
    assert out.read_bytes() == (GOLDEN / "answers.csv").read_bytes()


async def test_the_named_csv_is_what_it_was_but_for_the_ids_kept_as_text(
    service: ExportService, tmp_path: Path
) -> None:
    written = (await export(service, ExportFormat.CSV, True, tmp_path)).read_bytes()
    rows = list(csv.DictReader(io.StringIO(written.decode("utf-8-sig"), newline="")))
    assert {row["discord_id"] for row in rows} == {f"'{member}" for member in MEMBER_IDS}
    without_marks = written
    for member in MEMBER_IDS:
        without_marks = without_marks.replace(f",'{member},".encode(), f",{member},".encode())
    assert without_marks == (GOLDEN / "answers-named.csv").read_bytes()


def cells(path: Path) -> list[list[tuple[object, str]]]:
    sheet = openpyxl.load_workbook(path)["Answers"]
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


def layout(path: Path) -> tuple[object, ...]:
    sheet = openpyxl.load_workbook(path)["Answers"]
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    styles = [[(c.font.b, c.alignment.wrap_text, c.alignment.vertical) for c in row] for row in sheet.iter_rows()]
    return sheet.freeze_panes, sheet.auto_filter.ref, widths, styles


@pytest.mark.parametrize("named", [False, True], ids=["pseudonymous", "named"])
async def test_the_xlsx_has_the_cells_and_layout_it_had(service: ExportService, tmp_path: Path, named: bool) -> None:
    out = await export(service, ExportFormat.XLSX, named, tmp_path)
    golden = GOLDEN / golden_name(ExportFormat.XLSX, named=named)
    assert cells(out) == cells(golden)
    assert layout(out) == layout(golden)
