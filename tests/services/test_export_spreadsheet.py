"""The named CSV opened by a real spreadsheet: Discord ids stay text (issue 15, point 4).

The reader is LibreOffice Calc itself, headless, importing the CSV with the options the README tells
organisers to choose (UTF-8, comma, double quotes) and saving it as XLSX, which openpyxl then reads with
each cell's type. That is the program the issue was seen in, with its own type detection, not a model of
it; Python's csv module or pandas would not do (they keep every digit of a 64-bit integer, so the bug
never shows). A control column of bare digits proves the reader does turn them into a rounded number.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest

from bot.domain.exports import NAMED_COLUMNS, ExportFormat
from bot.services.exports import ExportRequest, ExportService
from bot.storage.engine import Database
from tests.conftest import GUILD_ID
from tests.services.export_fixture import FIXTURE_ANSWERS, MEMBER_IDS, SECRET, FixedNames, populate
from tests.system_programs import require_program

pytestmark = pytest.mark.every_engine  # what members and organisers write, stored on each engine

# LibreOffice's CSV import options: comma (44), double quote (34), UTF-8 (76), from line 1.
CSV_IMPORT = "Text - txt - csv (StarCalc):44,34,76,1"


def open_in_libreoffice(csv_file: Path, workdir: Path) -> list[list[tuple[object, str]]]:
    soffice = require_program("soffice", "libreoffice")
    profile = workdir / "lo-profile"  # a fresh profile: no first-start dialogs, nothing shared between runs
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         f"--infilter={CSV_IMPORT}", "--convert-to", "xlsx", "--outdir", str(workdir), str(csv_file)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    sheet = openpyxl.load_workbook(workdir / (csv_file.stem + ".xlsx")).active
    assert sheet is not None
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


async def test_discord_ids_in_the_named_csv_stay_text_in_libreoffice(db: Database, tmp_path: Path) -> None:
    await populate(db)
    out = tmp_path / "named.csv"
    await ExportService(db, export_secret=SECRET, names=FixedNames()).export_to_file(
        ExportRequest(GUILD_ID, ExportFormat.CSV, named=True), out
    )
    control = tmp_path / "control.csv"
    control.write_bytes(f"\ufeffdiscord_id\r\n{MEMBER_IDS[0]}\r\n".encode())

    rows = open_in_libreoffice(out, tmp_path)
    (control_value, control_type) = open_in_libreoffice(control, tmp_path)[1][0]
    assert control_type == "n" and control_value != MEMBER_IDS[0]  # bare digits: a number, digits lost

    header = [value for value, _ in rows[0]]
    assert header == list(NAMED_COLUMNS)  # the BOM was read as UTF-8, not as stray characters
    id_column, name_column = header.index("discord_id"), header.index("display_name")
    ids = {row[id_column] for row in rows[1:]}
    assert {kind for _, kind in ids} == {"s"}  # every id is a text cell...
    assert {str(value).removeprefix("'") for value, _ in ids} == {str(member) for member in MEMBER_IDS}  # ...exact
    names = {row[name_column][0] for row in rows[1:]}
    assert "عائشة ✊" in names and "'=Bob" in names  # UTF-8 read as UTF-8; a formula stays text
    assert {row[0][1] for row in rows[1:]} == {"n"}  # the week is still a number
    assert len(rows) - 1 == FIXTURE_ANSWERS  # multi-line answers stayed one row each
