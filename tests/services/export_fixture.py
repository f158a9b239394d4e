"""A fixed, awkward set of answers whose CSV and XLSX exports were recorded with the exporter as it was before
the streaming rewrite (commit 3205009; tests/services/golden/, written by ``python -m tests.services.export_fixture``
at that commit). Do not re-record them with today's code: the test would then compare the code with itself.

The answers cover what the writers treat specially: formula triggers, quotes, commas, CR/LF and lone CR,
Arabic, emoji, NUL-free control characters, edits (updated != created), late answers, both sources, the
same member on form and thread (two pseudonyms), and ids beyond 2**53.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import sys
from datetime import timedelta
from pathlib import Path

from bot.config import Secret
from bot.domain.exports import ExportFormat
from bot.domain.parsers import parse_programme_toml
from bot.services.exports import ExportRequest, ExportService
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database, open_database
from tests.conftest import GUILD_ID, PROGRAMME_TOML
from tests.services.answer_rows import CREATED, AnswerRow, insert_answers, prompt_ids

GOLDEN = Path(__file__).parent / "golden"
SECRET = Secret("5e" * 32)
MEMBER_IDS = (300000000000000950, 300000000000000001, 9007199254740993, 1152921504606846977, 41771983423143937)
FIXTURE_ANSWERS = 240
DISPLAY_NAMES = {300000000000000950: "Alice", 300000000000000001: "=Bob", 9007199254740993: "عائشة ✊"}
PIECES = (
    "plain words",
    "=1+1",
    "+SUM(A1:A2)",
    "-2",
    "@cmd",
    "\ttab",
    "\rcr",
    "\nlf",
    'quotes "here", commas, and; semicolons',
    "line one\r\nline two\nline three\rline four",
    "مرحبا بالعالم",
    "emoji ✊🏽🌹 and 👩‍👩‍👧",
    "<script>alert(1)</script>",
    "  leading and trailing spaces  ",
    "0123",
    "1e5",
    "TRUE",
    "'already quoted",
    "x" * 300,
)


def fixture_answers(prompts: list[int]) -> list[AnswerRow]:
    rng = random.Random(16)
    rows: list[AnswerRow] = []
    modal_seen: set[tuple[int, int]] = set()
    for n in range(FIXTURE_ANSWERS):
        prompt = prompts[rng.randrange(len(prompts))]
        member = MEMBER_IDS[rng.randrange(len(MEMBER_IDS))]
        source = "thread" if rng.random() < 0.4 or (prompt, member) in modal_seen else "modal"
        if source == "modal":
            modal_seen.add((prompt, member))
        text = " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            text = rng.choice(PIECES[1:8]) + text  # starts with a formula trigger
        created = CREATED + timedelta(minutes=n, seconds=rng.randrange(60), microseconds=rng.randrange(10**6))
        updated = created + timedelta(hours=rng.randrange(50)) if rng.random() < 0.3 else None
        rows.append(AnswerRow(prompt, member, text, source=source, created=created, updated=updated,
                              late=rng.random() < 0.2))  # fmt: skip
    return rows


async def populate(db: Database) -> None:
    programme = parse_programme_toml(PROGRAMME_TOML.read_text(encoding="utf-8"))
    first = programme.sessions[0]
    # Free text from an imported file could carry a formula too.
    hostile = dataclasses.replace(first, title="=cmd|' /C calc'!A0", prompts=("@SUM(1+1)", *first.prompts))
    programme = dataclasses.replace(programme, sessions=(hostile, *programme.sessions[1:]))
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    await insert_answers(db, GUILD_ID, fixture_answers(await prompt_ids(db, GUILD_ID)))


class FixedNames:
    async def display_names(self, community_id: int, user_ids: object) -> dict[int, str]:
        return dict(DISPLAY_NAMES)


def golden_name(fmt: ExportFormat, *, named: bool) -> str:
    return f"answers{'-named' if named else ''}{fmt.extension}"


async def record(folder: Path) -> None:
    """Write today's exports of the fixture to ``folder`` (run once, with the exporter being replaced)."""
    async with open_database(folder / "fixture.sqlite3") as db:
        await populate(db)
        service = ExportService(db, export_secret=SECRET, names=FixedNames())
        for fmt in (ExportFormat.CSV, ExportFormat.XLSX):
            for named in (False, True):
                request = ExportRequest(GUILD_ID, fmt, named=named)
                await service.export_to_file(request, folder / golden_name(fmt, named=named))
    (folder / "fixture.sqlite3").unlink()


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN))
