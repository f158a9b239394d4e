"""migrate-to-postgres: a SQLite database the real services filled is copied into PostgreSQL, checked row for row;
and the copy refuses, changing nothing, when it cannot be done right."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.domain.errors import UserFacingError
from bot.domain.programme import Programme
from bot.domain.server_settings import ServerDefaults
from bot.services.answers import AnswerService
from bot.services.programme import ProgrammeService
from bot.services.server_settings import ServerSettingsService
from bot.storage import copy as copying
from bot.storage.copy import CopyRefusedError, copy_sqlite_to_postgres
from bot.storage.engine import Database, DatabaseUnavailableError, open_database
from bot.storage.reminders import ReminderRepository
from bot.storage.session_events import SessionEventRepository
from bot.storage.threads import PromptThread, ThreadRepository
from tests.conftest import GUILD_ID, REPO_ROOT
from tests.harness import FakeClock
from tests.postgres import PostgresServer

NOW = datetime(2020, 8, 17, 19, 30, tzinfo=UTC)
MEMBERS = [500 + n for n in range(12)]
OTHER_GUILD = 100000000000000777


async def populate(db: Database, programme: Programme) -> None:
    """Every kind of row the bot writes, through the services and repositories the bot uses."""
    clock = FakeClock(NOW)
    programmes = ProgrammeService(db, clock=clock)
    settings = ServerSettingsService(db, ServerDefaults(), clock=clock)
    answers = AnswerService(db, clock=clock)
    for guild in (GUILD_ID, OTHER_GUILD):
        await programmes.import_programme(guild, programme)
    await settings.update(
        GUILD_ID, reminder_channel_id=900, reminder_offsets=(timedelta(hours=2),), retention=timedelta(days=365)
    )
    record = await programmes.require(GUILD_ID)
    prompts = [p for s in record.sessions for p in s.prompts]
    for n, member in enumerate(MEMBERS):
        for prompt in prompts[n % 5 : n % 5 + 3]:
            await answers.submit(prompt.id, member, f"Member {n}'s view: it's \"complicated\" ? – ✊ {prompt.id}",
                                 community_id=GUILD_ID)  # fmt: skip
        clock.advance(timedelta(minutes=3))
        await answers.submit(prompts[n % 5].id, member, f"Member {n} thought again", community_id=GUILD_ID)
    await answers.erase_member(GUILD_ID, MEMBERS[-1])
    reminders = ReminderRepository(db)
    for member in MEMBERS[:6]:
        await reminders.subscribe(GUILD_ID, member, NOW)
    await reminders.unsubscribe(GUILD_ID, MEMBERS[0], NOW + timedelta(hours=1))
    threads = ThreadRepository(db)
    for n, prompt in enumerate(prompts[:3]):
        await threads.save(
            PromptThread(prompt_id=prompt.id, community_id=GUILD_ID, parent_channel_id=900, thread_id=7000 + n,
                         starter_channel_id=900, starter_message_id=7000 + n, state="open", collect_replies=True,
                         opened_at=NOW, closed_at=None)
        )  # fmt: skip
    events = SessionEventRepository(db)
    await events.save(GUILD_ID, 1, 8001, "fingerprint-1", NOW)
    for member in MEMBERS[:4]:
        await events.mark(GUILD_ID, 8001, member, NOW)
    await events.set_opted_out(GUILD_ID, MEMBERS[1], True, NOW)


@pytest.fixture
async def sqlite_path(tmp_path: Path, programme: Programme) -> Path:
    path = tmp_path / "bot.sqlite3"
    async with open_database(path) as db:
        await populate(db, programme)
    return path


async def every_table(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted in Python (so neither engine's collation matters)."""
    if db.engine == "sqlite":
        listed = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        listed = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version'"
    names = [r[0] for r in await db.fetchall(listed)]
    return {name: sorted((tuple(r) for r in await db.fetchall(f"SELECT * FROM {name}")), key=repr) for name in names}


async def test_the_copy_holds_every_row_and_the_bot_carries_on_there(sqlite_path: Path, postgres_dsn: str) -> None:
    report = await copy_sqlite_to_postgres(sqlite_path, postgres_dsn)

    async with open_database(sqlite_path) as lite, open_database(postgres_dsn) as pg:
        source, target = await every_table(lite), await every_table(pg)
        assert target == source
        assert {t.name: t.rows for t in report.tables} == {name: len(rows) for name, rows in source.items()}
        assert report.rows > 100 and all(source[name] for name in ("answers", "answer_versions", "erasures",
                                                                    "prompt_threads", "event_interest"))  # fmt: skip
        # Foreign-key order: a table comes after those it refers to.
        order = [t.name for t in report.tables]
        assert order.index("programmes") < order.index("sessions") < order.index("prompts") < order.index("answers")
        # The bot reads the same, and its next insert gets a new id (the identities moved past the copied ids).
        assert await ProgrammeService(pg).get(GUILD_ID) == await ProgrammeService(lite).get(GUILD_ID)
        clock = FakeClock(NOW + timedelta(days=1))
        answers = AnswerService(pg, clock=clock)
        assert await answers.member_data(GUILD_ID, MEMBERS[2]) == await AnswerService(lite).member_data(
            GUILD_ID, MEMBERS[2]
        )
        record = await ProgrammeService(pg).require(GUILD_ID)
        saved = await answers.submit(record.sessions[-1].prompts[0].id, 999, "after the move", community_id=GUILD_ID)
        assert saved.answer.id > max(row[0] for row in source["answers"])


async def test_a_target_that_is_not_empty_is_refused_and_left_alone(sqlite_path: Path, postgres_dsn: str) -> None:
    await copy_sqlite_to_postgres(sqlite_path, postgres_dsn)
    async with open_database(postgres_dsn) as pg:
        before = await every_table(pg)
    with pytest.raises(CopyRefusedError, match="is not empty"):
        await copy_sqlite_to_postgres(sqlite_path, postgres_dsn)
    async with open_database(postgres_dsn) as pg:
        assert await every_table(pg) == before


async def test_a_difference_rolls_everything_back_and_names_the_table(
    sqlite_path: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = copying._copy_table

    async def copy_but_change_one_answer(sqlite: Any, raw: asyncpg.Connection, table: Any) -> int:
        copied = await original(sqlite, raw, table)
        if table.name == "answer_versions":
            last = await raw.fetchval("SELECT max(id) FROM answer_versions")
            await raw.execute("UPDATE answer_versions SET text = 'not what they wrote' WHERE id = $1", last)
        return copied

    monkeypatch.setattr(copying, "_copy_table", copy_but_change_one_answer)
    with pytest.raises(CopyRefusedError, match="table answer_versions differs") as refused:
        await copy_sqlite_to_postgres(sqlite_path, postgres_dsn)
    assert "not what they wrote" not in str(refused.value)  # no member's words in the message
    async with open_database(postgres_dsn) as pg:
        assert not any((await every_table(pg)).values()), "nothing was left half-copied"


async def test_an_unreachable_server_is_refused_without_showing_the_password(
    sqlite_path: Path, postgres_server: PostgresServer
) -> None:
    url = f"postgresql://bot:s3cret@127.0.0.1:{postgres_server.port + 1}/bot"
    with pytest.raises(DatabaseUnavailableError, match="cannot be reached") as refused:
        await copy_sqlite_to_postgres(sqlite_path, url)
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize("url", ["postgresql://bot:s3cret@db:port/bot", "sqlite:///bot.sqlite3", "postgresql://db"])
async def test_a_bad_url_is_refused(sqlite_path: Path, url: str) -> None:
    with pytest.raises(CopyRefusedError, match="DATABASE_URL") as refused:
        await copy_sqlite_to_postgres(sqlite_path, url)
    assert "s3cret" not in str(refused.value)


async def test_a_missing_source_is_refused(tmp_path: Path, postgres_dsn: str) -> None:
    with pytest.raises(UserFacingError, match="no SQLite database"):
        await copy_sqlite_to_postgres(tmp_path / "nothing.sqlite3", postgres_dsn)


async def run_command(*arguments: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *arguments, cwd=REPO_ROOT, env=clean,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_prints_a_summary_and_refuses_a_second_run(
    sqlite_path: Path, postgres_dsn: str, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_PATH={sqlite_path}\nDATABASE_URL={postgres_dsn}\n", encoding="utf-8")
    status, out, err = await run_command("migrate-to-postgres", "--env-file", str(env_file))
    assert status == 0, err
    assert "checked row for row" in out and "answers" in out and "total" in out
    status, out, err = await run_command(
        "migrate-to-postgres", "--from", str(sqlite_path), "--to", postgres_dsn, "--env-file", str(env_file)
    )
    assert status == 1 and err.startswith("error: ") and "is not empty" in err
