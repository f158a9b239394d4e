"""The preflight check's erasure key finding, on each engine: it says what the bot's start would do with the key
(bot/storage/erasures.py: use it, create it, or stop with a clear error) and only reads the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.preflight import Finding, Status
from bot.preflight.database import erasure_key_finding
from bot.storage.codec import to_db_time
from bot.storage.engine import Database
from bot.storage.erasures import ERASURE_KEY, UNKEYED, ErasureKeyError, ErasureRecords
from bot.storage.members import MemberDataRepository
from bot.storage.state import StateRepository
from tests.conftest import GUILD_ID

ERASED, ALSO_ERASED = 200000000000000002, 200000000000000003
ERASED_AT = datetime(2020, 10, 20, 12, 0, tzinfo=UTC)
RESTORE = "Restore bot_state's 'erasure_key' row from a backup of this database"


async def every_row(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, and the schema's version: what "the check changed nothing" compares."""
    if db.engine == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    tables = sorted(str(name) for (name,) in await db.fetchall(query))
    rows = {
        table: sorted(tuple(map(repr, row)) for row in await db.fetchall(f"SELECT * FROM {table}")) for table in tables
    }
    rows["(schema version)"] = [(await db.schema_version(),)]
    return rows


async def checked(db: Database) -> Finding:
    """The finding, asserting the database is the same after it as before."""
    before = await every_row(db)
    finding = await erasure_key_finding(db)
    assert await every_row(db) == before
    return finding


async def carried_over(db: Database, *rows: tuple[int, str]) -> None:
    """Erasure records as migration 0014 carried them over from a version-13 database (``unkeyed:<id>``)."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO erasures (community_id, member_key, erased_at) VALUES (?, ?, ?)",
            [(community_id, member_key, to_db_time(ERASED_AT)) for community_id, member_key in rows],
        )


async def test_a_database_the_bot_never_started_on_has_no_key_yet_and_the_check_creates_none(db: Database) -> None:
    finding = await checked(db)
    assert finding == Finding(Status.OK, "erasure key", "not created yet: the bot creates it on its first start."), (
        finding.line()
    )
    assert await StateRepository(db).get(ERASURE_KEY) is None


async def test_a_key_in_use_is_present_and_valid(db: Database) -> None:
    await MemberDataRepository(db).erase(GUILD_ID, ERASED, at=ERASED_AT)  # creates the key, as the start does
    finding = await checked(db)
    assert finding.line() == "✓ erasure key: present and valid."


async def test_records_an_upgrade_carried_over_are_counted_and_left_for_the_start_to_key(db: Database) -> None:
    await carried_over(db, (GUILD_ID, f"{UNKEYED}{ERASED}"), (GUILD_ID, f"{UNKEYED}{ALSO_ERASED}"))
    finding = await checked(db)
    assert finding.line() == (
        "✓ erasure key: not created yet: the bot creates it on its first start, and then keys the 2 erasure records "
        "the upgrade carried over."
    )
    assert await ErasureRecords(db).prepare() == 2  # what the check foretold
    assert (await checked(db)).line() == "✓ erasure key: present and valid."


@pytest.mark.parametrize("damaged", ["", "not hexadecimal", "ab" * 15, "abc" * 11])
async def test_a_damaged_key_is_a_problem_with_the_fix_and_the_check_changes_nothing(
    db: Database, damaged: str
) -> None:
    await MemberDataRepository(db).erase(GUILD_ID, ERASED, at=ERASED_AT)
    await StateRepository(db).set(ERASURE_KEY, damaged)
    finding = await checked(db)
    assert finding.status is Status.PROBLEM
    assert finding.text == (
        "The erasure key in the database (bot_state's 'erasure_key' row) is damaged: it should be 32 or more "
        "hexadecimal digits. The bot does not start until it is put right."
    )
    assert finding.fix is not None and finding.fix.startswith(RESTORE)
    assert "Do not replace it with a new key" in finding.fix
    assert await StateRepository(db).get(ERASURE_KEY) == damaged  # never replaced


async def test_a_missing_key_while_records_use_it_is_a_problem_and_no_key_is_created(db: Database) -> None:
    await MemberDataRepository(db).erase(GUILD_ID, ERASED, at=ERASED_AT)
    await StateRepository(db).delete(ERASURE_KEY)
    finding = await checked(db)
    assert finding.status is Status.PROBLEM
    assert finding.text.startswith("The erasure key is missing from the database, but the erasure records use it.")
    assert finding.fix is not None and finding.fix.startswith(RESTORE)
    assert await StateRepository(db).get(ERASURE_KEY) is None


async def test_a_damaged_carried_over_record_is_a_problem_naming_its_community(db: Database) -> None:
    await carried_over(db, (GUILD_ID, f"{UNKEYED}{ERASED}"), (GUILD_ID, f"{UNKEYED}12ab"))
    finding = await checked(db)
    assert finding.status is Status.PROBLEM
    assert f"carried over in community {GUILD_ID} is damaged" in finding.text
    assert finding.fix == "Fix or delete that row of the erasures table, then start the bot again."


# Any key text either engine can hold (no NUL, no lone surrogate), hex-like ones often; none stored at all; and
# carried-over or keyed records, some damaged.
KEYS = (
    st.none()
    | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
    | st.text("0123456789abcdef", min_size=30, max_size=40)
)
MEMBER_KEYS = st.sampled_from([f"{UNKEYED}{ERASED}", f"{UNKEYED}-5", f"{UNKEYED}12ab", f"{UNKEYED}", "ab" * 32])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=KEYS, member_keys=st.lists(MEMBER_KEYS, max_size=3, unique=True))
async def test_the_check_says_exactly_what_the_start_would_do(
    db: Database, stored: str | None, member_keys: list[str]
) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM bot_state")
        await conn.execute("DELETE FROM erasures")
        if stored is not None:
            await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, ?)", (ERASURE_KEY, stored))
    await carried_over(db, *((GUILD_ID, member_key) for member_key in member_keys))

    finding = await checked(db)

    try:
        converted = await ErasureRecords(db).prepare()  # the start's first step
    except ErasureKeyError as error:
        assert finding.status is Status.PROBLEM, finding.line()
        assert finding.text.startswith(error.problem) and finding.fix == error.fix
    else:
        assert finding.status is Status.OK, finding.line()
        if stored is None:
            assert finding.text.startswith("not created yet") and converted == len(member_keys)
        else:
            assert finding.text == "present and valid." and converted == 0
