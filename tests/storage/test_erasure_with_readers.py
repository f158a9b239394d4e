"""Erasure while an export or backup is reading (issue 12, item 4): the text leaves every file before the
member is told it is gone. The long reader is a real one: ``Database.iterate``, as exports use it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.domain.programme import Programme
from bot.services.programme import ProgrammeService
from bot.storage.database import Database, ReaderRevokedError  # SqliteDatabase: its files, grace and backup
from bot.storage.members import MemberDataRepository
from tests.conftest import GUILD_ID
from tests.services.answer_rows import CREATED, AnswerRow, insert_answers, prompt_ids

pytestmark = pytest.mark.sqlite_only("the SQLite files, its write-ahead log and its backup API")

SECRET = b"QUOKKA-LANTERN-5521"
ALICE, BOB = 500000000000000001, 500000000000000002


def files_holding(path: Path, needle: bytes) -> list[str]:
    files = [path, path.with_name(path.name + "-wal")]
    return [f.name for f in files if f.exists() and needle in f.read_bytes()]


@pytest.fixture
async def answered(db: Database, programme: Programme) -> Database:
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    prompts = await prompt_ids(db, GUILD_ID)
    rows = [AnswerRow(prompts[0], ALICE, f"{SECRET.decode()} my private opinion")]
    rows += [AnswerRow(prompt, BOB, "bob's answer " * 20) for prompt in prompts]  # enough rows to read slowly
    await insert_answers(db, GUILD_ID, rows)
    assert files_holding(db.path, SECRET)
    return db


async def test_erasure_waits_for_an_export_reading_then_leaves_no_trace(answered: Database) -> None:
    reading = answered.iterate("SELECT text FROM answers ORDER BY id", batch=1)
    await reading.__anext__()  # an export has started: its snapshot holds the old pages in the log
    erasure = asyncio.create_task(MemberDataRepository(answered).erase(GUILD_ID, ALICE, at=CREATED))
    await asyncio.sleep(0.3)
    assert not erasure.done()  # the member is not told yet: the text is still in the files
    async for _ in reading:  # the export finishes
        pass
    report = await asyncio.wait_for(erasure, 10)
    assert report.answers == 1
    assert files_holding(answered.path, SECRET) == []


async def test_an_export_that_does_not_finish_in_time_is_stopped_and_the_text_still_goes(
    answered: Database,
) -> None:
    answered.reader_grace = 0.2
    stopped: list[BaseException] = []

    async def slow_export() -> None:
        try:
            async for _ in answered.iterate("SELECT text FROM answers ORDER BY id", batch=1):
                await asyncio.sleep(0.05)
        except ReaderRevokedError as error:
            stopped.append(error)

    export = asyncio.create_task(slow_export())
    await asyncio.sleep(0.1)
    await asyncio.wait_for(MemberDataRepository(answered).erase(GUILD_ID, ALICE, at=CREATED), 10)
    assert files_holding(answered.path, SECRET) == []
    await asyncio.wait_for(export, 5)
    assert stopped and "run the export again" in str(stopped[0])


async def test_erasure_waits_for_a_backup(answered: Database, tmp_path: Path) -> None:
    backup = asyncio.create_task(answered.backup_to(tmp_path / "copy.sqlite3"))
    await asyncio.wait_for(MemberDataRepository(answered).erase(GUILD_ID, ALICE, at=CREATED), 10)
    await backup
    assert files_holding(answered.path, SECRET) == []
