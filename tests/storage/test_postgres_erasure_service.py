"""/mydata delete on PostgreSQL keeps SQLite's promise: after the real service erases a member, what they wrote is
in no file of the database (the engine's scrub rewrote the tables; docs/postgresql-erasure.md).

The test reads the cluster's files directly: it runs as root or as the server's own user, so it may.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path

from bot.domain.programme import Programme
from bot.services.answers import AnswerService
from bot.services.programme import ProgrammeService
from bot.storage.engine import Database, open_database
from bot.storage.programmes import ProgrammeRepository
from bot.storage.retention import RetentionRepository
from tests.conftest import GUILD_ID
from tests.harness import FakeClock
from tests.postgres import PostgresServer

ERASED, OTHERS = 200000000000000002, 300000000000000000


async def database_folder(db: Database, server: PostgresServer) -> Path:
    oid = await db.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
    return server.data_dir / "base" / str(oid)


def files_holding(folder: Path, marker: bytes) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and marker in p.read_bytes())


async def test_an_erased_members_words_are_in_no_file_of_the_database(
    postgres_server: PostgresServer, postgres_dsn: str, programme: Programme
) -> None:
    clock = FakeClock()
    marker = "erased-" + os.urandom(8).hex()
    async with open_database(postgres_dsn) as db:
        await ProgrammeService(db).import_programme(GUILD_ID, programme)
        record = await ProgrammeRepository(db).load(GUILD_ID)
        assert record is not None
        prompts = [p for s in record.sessions for p in s.prompts][:3]
        answers = AnswerService(db, clock=clock)
        for n in range(30):
            await answers.submit(prompts[0].id, OTHERS + n, f"someone else's answer {n}", community_id=GUILD_ID)
        await answers.submit(prompts[0].id, ERASED, f"{marker} my first thought", community_id=GUILD_ID)
        await answers.submit(prompts[0].id, ERASED, f"{marker} on reflection", community_id=GUILD_ID)  # a version
        # Long and incompressible: stored out of line, in the TOAST table.
        long_text = f"{marker} " + base64.b64encode(os.urandom(2500)).decode()
        await answers.submit(prompts[1].id, ERASED, long_text[:3900], community_id=GUILD_ID)
        await db.fetchval("CHECKPOINT")  # the rows are in the files now: the test looks in the right place
        folder = await database_folder(db, postgres_server)
        assert files_holding(folder, marker.encode()), "the marker is in the files before the erasure"

        report = await answers.erase_member(GUILD_ID, ERASED)

        assert report.answers == 2 and report.versions == 1
        assert files_holding(folder, marker.encode()) == []
        assert await db.fetchval("SELECT count(*) FROM answers") == 30, "everyone else's answers are kept"


async def test_answers_deleted_by_retention_are_in_no_file_of_the_database(
    postgres_server: PostgresServer, postgres_dsn: str, programme: Programme
) -> None:
    clock = FakeClock()
    marker = "retained-" + os.urandom(8).hex()
    async with open_database(postgres_dsn) as db:
        await ProgrammeService(db).import_programme(GUILD_ID, programme)
        record = await ProgrammeRepository(db).load(GUILD_ID)
        assert record is not None
        prompt = record.sessions[0].prompts[0]
        answers = AnswerService(db, clock=clock)
        for n in range(10):
            await answers.submit(prompt.id, OTHERS + n, f"{marker} answer {n}", community_id=GUILD_ID)
        await db.fetchval("CHECKPOINT")
        folder = await database_folder(db, postgres_server)
        assert files_holding(folder, marker.encode())

        deletion = await RetentionRepository(db).delete_answers(GUILD_ID, created_before=clock.now + timedelta(days=1))

        assert deletion.answers == 10
        assert files_holding(folder, marker.encode()) == []
