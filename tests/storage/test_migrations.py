"""The migration runner's rules: each engine's files are numbered 1..N, and the engines have the same numbers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.storage.engine._migrations import Migration, MigrationError, check_numbering, migrations, run_migrations


def test_the_shipped_migrations_keep_the_rules() -> None:
    sqlite = [m.number for m in migrations("sqlite")]
    postgresql = [m.number for m in migrations("postgresql")]
    assert sqlite == list(range(1, len(sqlite) + 1))
    # Until the PostgreSQL engine lands its migrations, its list is empty; from then on, the same numbers.
    assert postgresql in ([], sqlite)
    if postgresql:
        assert [m.name for m in migrations("postgresql")] == [m.name for m in migrations("sqlite")]


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [([1, 2, 3], [1, 2, 3]), ([1, 2], []), ([], [])],
)
def test_numbered_one_to_n_and_the_same_in_both_is_accepted(sqlite: list[int], postgresql: list[int]) -> None:
    check_numbering({"sqlite": sqlite, "postgresql": postgresql})


@pytest.mark.parametrize(
    ("sqlite", "postgresql", "complaint"),
    [
        ([1, 3], [], "sqlite migrations must be numbered 1..N without gaps"),
        ([2, 3], [], "without gaps"),
        ([1, 1, 2], [], "without gaps"),
        ([1, 2], [1, 3], "postgresql migrations must be numbered 1..N"),
        ([1, 2, 3], [1, 2], "same migrations"),
        ([1], [1, 2], "same migrations"),
    ],
)
def test_a_gap_a_repeat_or_a_migration_for_one_engine_only_is_refused(
    sqlite: list[int], postgresql: list[int], complaint: str
) -> None:
    with pytest.raises(MigrationError, match=complaint):
        check_numbering({"sqlite": sqlite, "postgresql": postgresql})


class _Target:
    def __init__(self, version: int) -> None:
        self.version = version
        self.applied: list[str] = []

    async def schema_version(self) -> int:
        return self.version

    async def apply_migration(self, migration: Migration) -> None:
        self.applied.append(migration.name)
        self.version = migration.number


def _known(count: int) -> Sequence[Migration]:
    return [Migration(n, f"{n:04d}_step.sql", "") for n in range(1, count + 1)]


async def test_the_runner_applies_only_what_is_newer_in_order() -> None:
    target = _Target(version=2)
    assert await run_migrations(target, _known(4), where="test") == 4
    assert target.applied == ["0003_step.sql", "0004_step.sql"]
    assert await run_migrations(target, _known(4), where="test") == 4  # again: nothing to do
    assert target.applied == ["0003_step.sql", "0004_step.sql"]


async def test_the_runner_refuses_a_database_from_a_newer_bot() -> None:
    target = _Target(version=5)
    with pytest.raises(Exception, match="newer version of the bot"):
        await run_migrations(target, _known(4), where="test")
    assert target.applied == []
