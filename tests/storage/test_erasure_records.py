"""The erasure records hold a keyed pseudonym, never a member id (migration 0014, storage/erasures.py), on each
engine: after an upgrade from version 13, after a restart, with two processes starting together, and with a
damaged or missing key (an error that changes nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.programme import Programme
from bot.services.programme import ProgrammeService
from bot.storage.codec import to_db_time
from bot.storage.communities import CommunityRepository
from bot.storage.copy import copy_sqlite_to_postgres
from bot.storage.engine import Database, open_database
from bot.storage.engine._migrations import migrations
from bot.storage.erasures import ERASURE_KEY, ErasureKeyError, ErasureRecords
from bot.storage.members import MemberDataRepository
from bot.storage.state import StateRepository
from bot.storage.threads import ContributionRepository
from tests.conftest import ENGINES, GUILD_ID
from tests.postgres import PostgresServer

OTHER_GUILD = 100000000000000009
# Ids found nowhere else in the database, so that a search of its files for them finds only the erasure records.
ERASED, ALSO_ERASED, STAYED = 200000000000000002, 200000000000000003, 200000000000000004
ERASED_AT = datetime(2020, 10, 20, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
V13_ROWS = [
    (GUILD_ID, ERASED, to_db_time(ERASED_AT)),
    (GUILD_ID, ALSO_ERASED, to_db_time(ERASED_AT - MINUTE)),
    (OTHER_GUILD, ERASED, to_db_time(ERASED_AT + MINUTE)),  # the same member elsewhere: a record of its own
]


@pytest.fixture(params=ENGINES)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database of each engine: the SQLite file's path, or the PostgreSQL database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "bot.sqlite3")
    return str(request.getfixturevalue("postgres_dsn"))


async def at_version_13(target: str) -> None:
    """Migrations 1..13 applied as that version of the bot did, and members' erasures recorded by their ids."""
    known = [m for m in migrations("postgresql" if target.startswith("postgresql") else "sqlite") if m.number <= 13]
    if target.startswith("postgresql"):
        raw = await asyncpg.connect(target)
        try:
            await raw.execute("CREATE TABLE schema_version (version BIGINT NOT NULL, only_row BOOLEAN PRIMARY KEY "
                              "DEFAULT TRUE CHECK (only_row))")  # fmt: skip
            for migration in known:
                async with raw.transaction():
                    await raw.execute(migration.sql)
            await raw.execute("INSERT INTO schema_version (version) VALUES (13)")
            await raw.executemany(
                "INSERT INTO erasures (community_id, user_id, erased_at) VALUES ($1, $2, $3)", V13_ROWS
            )
        finally:
            await raw.close()
        return
    async with aiosqlite.connect(target, isolation_level=None) as lite:
        for migration in known:
            await lite.executescript(f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.number};\nCOMMIT;")
        await lite.executemany("INSERT INTO erasures (community_id, user_id, erased_at) VALUES (?, ?, ?)", V13_ROWS)


async def erasure_rows(db: Database) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in await db.fetchall("SELECT * FROM erasures"))


async def expected_rows(db: Database) -> list[tuple[object, ...]]:
    records = ErasureRecords(db)
    return sorted([(c, await records.member_key(c, u), at) for c, u, at in V13_ROWS])


def assert_no_member_id(rows: list[tuple[object, ...]], *user_ids: int) -> None:
    for row in rows:
        assert not any(str(user_id) in str(value) for value in row for user_id in user_ids), row


async def reply(db: Database, message_id: int, user_id: int, posted: datetime, *, community_id: int = GUILD_ID) -> bool:
    """A thread message read by the catch-up: True if it was recorded."""
    prompt_id = (await ProgrammeService(db).require(community_id)).sessions[0].prompts[0].id
    return await ContributionRepository(db).add(
        community_id=community_id, prompt_id=prompt_id, user_id=user_id, message_id=message_id, text="my view",
        at=posted, late=False,
    )  # fmt: skip


async def test_an_upgrade_from_version_13_keeps_every_erasure_under_a_pseudonym_and_no_id(
    target: str, programme: Programme
) -> None:
    await at_version_13(target)
    async with open_database(target) as db:
        assert await db.schema_version() == 14
        carried = await erasure_rows(db)
        assert [row[1] for row in carried] == [f"unkeyed:{u}" for _, u, _ in sorted(V13_ROWS)]
        assert await ErasureRecords(db).prepare() == 3  # what the core's start does first
        rows = await erasure_rows(db)
        assert rows == await expected_rows(db)
        assert_no_member_id(rows, ERASED, ALSO_ERASED)
        assert len({row[1] for row in rows}) == 3  # one member, two communities: two unrelated keys
        assert await ErasureRecords(db).prepare() == 0  # done once: the key's row records it

    # The restart: the erased members' old messages, still in the thread, are not recorded; later ones are.
    async with open_database(target) as db:
        assert await erasure_rows(db) == rows
        await ProgrammeService(db).import_programme(GUILD_ID, programme)
        assert not await reply(db, 1, ERASED, ERASED_AT - MINUTE)
        assert not await reply(db, 2, ERASED, ERASED_AT)
        assert not await reply(db, 3, ALSO_ERASED, ERASED_AT - 2 * MINUTE)
        assert await reply(db, 4, STAYED, ERASED_AT - MINUTE)
        assert await reply(db, 5, ERASED, ERASED_AT + MINUTE)
        authors = await db.fetchall("SELECT message_id, user_id FROM answers ORDER BY message_id")
        assert [tuple(r) for r in authors] == [(4, STAYED), (5, ERASED)]
        erased = await MemberDataRepository(db).erased_among(GUILD_ID, [ERASED, ALSO_ERASED, STAYED])
        assert erased == {ERASED, ALSO_ERASED}


async def test_an_erased_members_old_thread_message_is_not_recorded_after_a_restart(
    target: str, programme: Programme
) -> None:
    async with open_database(target) as db:
        await ProgrammeService(db).import_programme(GUILD_ID, programme)
        assert await reply(db, 1, ERASED, ERASED_AT - 2 * MINUTE)
        report = await MemberDataRepository(db).erase(GUILD_ID, ERASED, at=ERASED_AT)
        assert report.answers == 1
        rows = await erasure_rows(db)
        assert rows == [(GUILD_ID, await ErasureRecords(db).member_key(GUILD_ID, ERASED), to_db_time(ERASED_AT))]
        assert_no_member_id(rows, ERASED)

    async with open_database(target) as db:  # a new process: nothing of the last one's is remembered
        assert not await reply(db, 1, ERASED, ERASED_AT - 2 * MINUTE)  # recorded once, then erased
        assert not await reply(db, 2, ERASED, ERASED_AT - MINUTE)  # posted while the bot was down
        assert await reply(db, 3, ERASED, ERASED_AT + MINUTE)  # after the erasure: a new contribution
        recorded = await db.fetchall("SELECT message_id FROM answers WHERE user_id = ?", (ERASED,))
        assert [row[0] for row in recorded] == [3]


async def test_two_processes_starting_together_convert_the_records_once_under_one_key(target: str) -> None:
    await at_version_13(target)
    async with open_database(target):
        pass  # the upgrade itself, so that the two below race for the conversion alone
    async with AsyncExitStack() as stack:
        first, second = [await stack.enter_async_context(open_database(target)) for _ in range(2)]
        records = ErasureRecords(first), ErasureRecords(second)
        converted = await asyncio.gather(*(r.prepare() for r in records))
        assert sorted(converted) == [0, 3]
        assert await records[0].secret() == await records[1].secret()
        assert await erasure_rows(first) == await expected_rows(second)
        keys = await first.fetchall("SELECT value FROM bot_state WHERE key = ?", (ERASURE_KEY,))
        assert len(keys) == 1


@pytest.mark.sqlite_only("the files of a SQLite database; PostgreSQL's TRUNCATE gives the table a new file")
async def test_after_the_upgrade_no_file_of_the_database_holds_the_erased_members_ids(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await at_version_13(str(path))
    assert ERASED.to_bytes(8, "big") in path.read_bytes()  # the search below would find it
    async with open_database(path) as db:
        assert await ErasureRecords(db).prepare() == 3
    files = [p for p in tmp_path.iterdir() if p.name.startswith("bot.sqlite3")]
    for user_id in (ERASED, ALSO_ERASED):
        for encoded in (str(user_id).encode(), user_id.to_bytes(8, "big")):
            assert not [p.name for p in files if encoded in p.read_bytes()], user_id


async def test_after_the_upgrade_no_file_of_the_postgresql_database_holds_the_erased_members_ids(
    postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    """The database's own folder (the write-ahead log is PostgreSQL's: docs/postgresql-erasure.md). bigint is stored
    in the machine's byte order, so both orders are looked for, and the text 0014 carried over."""
    await at_version_13(postgres_dsn)

    def holding(folder: Path, user_id: int) -> list[str]:
        encodings = (str(user_id).encode(), user_id.to_bytes(8, "big"), user_id.to_bytes(8, "little"))
        return sorted(p.name for p in folder.iterdir() if p.is_file() and any(e in p.read_bytes() for e in encodings))

    async with open_database(postgres_dsn) as db:
        oid = await db.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
        folder = postgres_server.data_dir / "base" / str(oid)
        await db.fetchval("CHECKPOINT")
        assert holding(folder, ERASED), "the search finds the carried-over ids before the conversion"
        assert await ErasureRecords(db).prepare() == 3
        await db.fetchval("CHECKPOINT")
        for user_id in (ERASED, ALSO_ERASED):
            assert holding(folder, user_id) == [], user_id


# --- a damaged or missing key: an error that changes nothing ----------------------------------------------------


async def snapshot(db: Database) -> tuple[list[tuple[object, ...]], ...]:
    tables = ("erasures", "bot_state", "answers", "consents")
    return tuple([sorted(tuple(row) for row in await db.fetchall(f"SELECT * FROM {table}")) for table in tables])


async def refused_and_unchanged(db: Database, match: str, *attempts: Callable[[], Awaitable[object]]) -> None:
    before = await snapshot(db)
    for attempt in (lambda: ErasureRecords(db).prepare(), *attempts):
        with pytest.raises(ErasureKeyError, match=match) as refused:
            await attempt()
        assert "Nothing was changed." in str(refused.value)
        assert await snapshot(db) == before


@pytest.fixture
async def erased(db: Database, programme: Programme) -> Database:
    """A member's erasure recorded, and another member's reply."""
    await ProgrammeService(db).import_programme(GUILD_ID, programme)
    await MemberDataRepository(db).erase(GUILD_ID, ERASED, at=ERASED_AT)
    assert await reply(db, 1, STAYED, ERASED_AT)
    return db


@pytest.mark.parametrize(
    "damaged",
    ["", "not hexadecimal", "ab" * 15, "abc" * 11, "Ωmega" * 10],  # empty, not hex, too short, odd, not ASCII
)
async def test_a_damaged_key_is_refused_clearly_and_changes_nothing(erased: Database, damaged: str) -> None:
    db = erased
    await StateRepository(db).set(ERASURE_KEY, damaged)
    await refused_and_unchanged(
        db,
        "The erasure key in the database .* is damaged.*Restore bot_state's 'erasure_key' row from a backup",
        lambda: MemberDataRepository(db).erase(GUILD_ID, STAYED, at=ERASED_AT),
        lambda: reply(db, 2, ERASED, ERASED_AT - MINUTE),
        lambda: reply(db, 3, STAYED, ERASED_AT),
        lambda: MemberDataRepository(db).erased_among(GUILD_ID, [ERASED]),
    )


async def test_a_missing_key_is_never_replaced_while_records_use_it(erased: Database) -> None:
    db = erased
    await StateRepository(db).delete(ERASURE_KEY)
    await refused_and_unchanged(
        db,
        "The erasure key is missing from the database, but the erasure records use it",
        lambda: reply(db, 2, ERASED, ERASED_AT - MINUTE),
        lambda: MemberDataRepository(db).erase(GUILD_ID, STAYED, at=ERASED_AT),
    )


async def test_a_damaged_carried_over_record_is_refused_and_nothing_is_converted(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO erasures (community_id, member_key, erased_at) VALUES (?, ?, ?)",
            [(GUILD_ID, f"unkeyed:{ERASED}", to_db_time(ERASED_AT)), (GUILD_ID, "unkeyed:12ab", to_db_time(ERASED_AT))],
        )
    await refused_and_unchanged(db, "An erasure record the upgrade carried over in community .* is damaged")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Any text either engine can hold (no NUL, no lone surrogate), hex-like ones often.
@given(
    stored=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80)
    | st.text("0123456789abcdefABCDEF \n")
)
async def test_any_stored_key_is_either_a_usable_key_or_refused_without_a_change(db: Database, stored: str) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM bot_state")
        await conn.execute("DELETE FROM erasures")
        await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, ?)", (ERASURE_KEY, stored))
    try:
        usable = len(bytes.fromhex(stored.strip())) >= 16  # hex (spaces between bytes allowed), 16 bytes or more
    except ValueError:
        usable = False
    if usable:
        assert await ErasureRecords(db).secret() == bytes.fromhex(stored.strip())
        assert await snapshot(db) == ([], [(ERASURE_KEY, stored)], [], [])
    else:
        await refused_and_unchanged(db, "damaged")


# --- a copy into PostgreSQL -------------------------------------------------------------------------------------


async def test_a_copy_of_a_version_13_database_takes_the_keyed_records_and_their_key(
    tmp_path: Path, postgres_dsn: str, programme: Programme
) -> None:
    source = tmp_path / "bot.sqlite3"
    await at_version_13(str(source))
    await copy_sqlite_to_postgres(source, postgres_dsn)
    async with open_database(source) as lite, open_database(postgres_dsn) as pg:
        rows = await erasure_rows(pg)
        assert rows == await erasure_rows(lite) == await expected_rows(lite)
        assert_no_member_id(rows, ERASED, ALSO_ERASED)
        assert await ErasureRecords(pg).secret() == await ErasureRecords(lite).secret()
        await ProgrammeService(pg).import_programme(GUILD_ID, programme)
        assert not await reply(pg, 1, ERASED, ERASED_AT - MINUTE)
        assert await reply(pg, 2, ERASED, ERASED_AT + MINUTE)


async def test_a_copy_from_a_database_whose_key_is_damaged_is_refused_and_copies_nothing(
    tmp_path: Path, postgres_dsn: str
) -> None:
    source = tmp_path / "bot.sqlite3"
    async with open_database(source) as lite:
        await MemberDataRepository(lite).erase(GUILD_ID, ERASED, at=ERASED_AT)
        await StateRepository(lite).set(ERASURE_KEY, "0123")
    with pytest.raises(ErasureKeyError, match="damaged"):
        await copy_sqlite_to_postgres(source, postgres_dsn)
    async with open_database(postgres_dsn) as pg:
        assert await pg.fetchall("SELECT * FROM bot_state") == [] and await erasure_rows(pg) == []


# --- the other readers: retention and the purge go by community and time, never by member ----------------------


async def test_the_purge_of_a_departed_community_takes_its_erasure_records_and_no_other(db: Database) -> None:
    members = MemberDataRepository(db)
    for community_id in (GUILD_ID, OTHER_GUILD):
        await members.erase(community_id, ERASED, at=ERASED_AT)
    communities = CommunityRepository(db)
    await communities.record_present(GUILD_ID, ERASED_AT, joined=True)
    await communities.record_left(GUILD_ID, ERASED_AT)
    assert await communities.purge(GUILD_ID, left_before=ERASED_AT)
    rows = await erasure_rows(db)
    assert rows == [(OTHER_GUILD, await ErasureRecords(db).member_key(OTHER_GUILD, ERASED), to_db_time(ERASED_AT))]
    assert await members.erased_among(OTHER_GUILD, [ERASED, STAYED]) == {ERASED}
    assert await members.erased_among(GUILD_ID, [ERASED, STAYED]) == set()
