"""Thread-reply ingestion: members' replies in prompt threads recorded per second, against raw aiosqlite
inserts of the same rows with the same durability settings (WAL, synchronous=FULL, one commit a row)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import aiosqlite

from benchmarks.common import GUILD_ID, Figure, bot_process, median
from bot.storage.engine import open_database
from tests.fakediscord import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[1]
MEMBERS = 50


async def recorded(database: Path) -> int:
    async with (
        aiosqlite.connect(database) as conn,
        conn.execute("SELECT COUNT(*) FROM answers WHERE source = 'thread'") as cursor,
    ):
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def bot_rate(fake: FakeDiscord, database: Path, messages: int, names: list[str]) -> float:
    opened = await fake.slash("owner", "threads open", week=3)
    await opened.final(timeout=30)
    threads = fake.threads_in("general")
    before = await recorded(database)
    started = time.perf_counter()
    for n in range(messages):
        await fake.post_message(threads[n % len(threads)], names[n % len(names)], f"Reply {n}: local parties should")
    # The bot is another process: polling its database is the only way to see the last row land.
    while await recorded(database) < before + messages:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return messages / (time.perf_counter() - started)


async def raw_rate(folder: Path, messages: int, attempt: int) -> float:
    """The floor: the same rows, inserted one transaction each, straight through aiosqlite."""
    path = folder / f"raw-{attempt}.sqlite3"
    async with open_database(path):  # the same schema and pragmas
        pass
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "secure_delete=ON"):
            await conn.execute(f"PRAGMA {pragma}")
        await conn.execute(
            "INSERT INTO programmes VALUES (?, 'P', 'Europe/London', '', '2030-01-01T00:00:00.000000Z')", (GUILD_ID,)
        )
        await conn.execute(
            "INSERT INTO sessions (community_id, week, title, starts_at, ends_at, location, description) VALUES "
            "(?, 3, 'T', '2030-01-01T00:00:00.000000Z', '2030-01-01T02:00:00.000000Z', 'Zoom', '')",
            (GUILD_ID,),
        )
        await conn.execute("INSERT INTO prompts (session_id, position, text) VALUES (1, 1, 'Q?')")
        stamp = "2030-01-01T01:00:00.000000Z"
        started = time.perf_counter()
        for n in range(messages):
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(
                "INSERT INTO answers (community_id, prompt_id, user_id, source, message_id, text, created_at, "
                "updated_at) "
                "VALUES (?, 1, ?, 'thread', ?, ?, ?, ?)",
                (GUILD_ID, 10**17 + n % MEMBERS, 10**18 + n, f"Reply {n}: local parties should", stamp, stamp),
            )
            await conn.execute("COMMIT")
        return messages / (time.perf_counter() - started)


async def run(*, quick: bool) -> list[Figure]:
    messages = 300 if quick else 2000
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        database = workdir / "bot.sqlite3"
        async with FakeDiscord() as fake:
            names = [f"member{n:02}" for n in range(MEMBERS)]
            for name in names:
                fake.add_member(name)
            async with bot_process(fake, workdir, database, MESSAGE_CONTENT_INTENT="true"):
                await fake.wait_until_ready(timeout=60)
                await fake.wait_for_commands(timeout=60)
                bot_rates = [await bot_rate(fake, database, messages, names) for _ in range(repeats)]
        raw_rates = [await raw_rate(workdir, messages, attempt) for attempt in range(repeats)]
    return [
        Figure("thread-reply ingestion", "messages recorded per second (median)", f"{messages:,} replies",
               median(bot_rates), median(raw_rates), "msg/s", "ratio >= 0.5", "raw aiosqlite inserts")
    ]  # fmt: skip
