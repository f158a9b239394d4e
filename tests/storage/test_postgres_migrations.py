"""The PostgreSQL migrations build the same schema as the SQLite ones, after every step 1..N.

Both sets are applied file by file, each in its own transaction (asyncpg directly on PostgreSQL), and after each
file both schemas are read back from the engines' own catalogues and compared: tables, columns in order with type,
NOT NULL and default, primary keys, unique constraints and indexes (partial ones with their predicate), other
indexes, foreign keys with their ON DELETE/ON UPDATE, and the number of CHECK constraints per table.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from tests.conftest import REPO_ROOT

SQLITE_MIGRATIONS = REPO_ROOT / "bot" / "storage" / "migrations"
POSTGRES_MIGRATIONS = SQLITE_MIGRATIONS / "postgresql"

# SQLite's declared type -> PostgreSQL's information_schema data_type, by the translation rules.
TYPE_NAMES = {"INTEGER": "bigint", "TEXT": "text", "REAL": "double precision"}
# pg_constraint.confdeltype/confupdtype -> SQLite's foreign_key_list spelling.
FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None


@dataclass
class Table:
    columns: list[Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    # (columns, partial-index predicate or None): UNIQUE constraints and unique indexes alike.
    unique: set[tuple[tuple[str, ...], str | None]] = field(default_factory=set)
    # Indexes created by name (CREATE [UNIQUE] INDEX): (name, columns, unique, predicate).
    indexes: set[tuple[str, tuple[str, ...], bool, str | None]] = field(default_factory=set)
    # (columns, referenced table, referenced columns, on delete, on update)
    foreign_keys: set[tuple[tuple[str, ...], str, tuple[str, ...], str, str]] = field(default_factory=set)
    checks: int = 0


def normalise_expression(text: str | None) -> str | None:
    """A default or predicate as both engines would print it: no casts, brackets or spacing differences."""
    if text is None:
        return None
    text = re.sub(r"::[a-z ]+", "", text)
    return re.sub(r"[\s()]", "", text)


def strip_sql_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def migration_names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))


# --- SQLite ------------------------------------------------------------------------------------------------


def sqlite_schema(conn: sqlite3.Connection) -> dict[str, Table]:
    schema: dict[str, Table] = {}
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    for name, create_sql in tables:
        table = schema[name] = Table()
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        pk = sorted((row[5], row[1]) for row in info if row[5])
        table.primary_key = tuple(column for _, column in pk)
        for _, column, declared, not_null, default, in_pk in info:
            # PostgreSQL makes key columns NOT NULL; SQLite lets a non-rowid key column hold NULL (a legacy quirk
            # the bot never relies on), so a key column counts as NOT NULL here.
            table.columns.append(Column(column, TYPE_NAMES[declared], bool(not_null or in_pk), default))
        for _, index, unique, origin, partial in conn.execute(f"PRAGMA index_list({name})").fetchall():
            columns = tuple(row[2] for row in conn.execute(f"PRAGMA index_info({index})").fetchall())
            predicate = None
            if partial:
                (index_sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchone()
                predicate = index_sql.split(" WHERE ", 1)[1].rstrip(";")
            if unique and origin != "pk":
                table.unique.add((columns, normalise_expression(predicate)))
            if origin == "c":
                table.indexes.add((index, columns, bool(unique), normalise_expression(predicate)))
        foreign_keys: dict[int, list[tuple[str, str, str, str, str]]] = {}
        for fk_id, _, parent, source, target, on_update, on_delete, _ in conn.execute(
            f"PRAGMA foreign_key_list({name})"
        ).fetchall():
            foreign_keys.setdefault(fk_id, []).append((source, parent, target, on_delete, on_update))
        for parts in foreign_keys.values():
            table.foreign_keys.add(
                (tuple(p[0] for p in parts), parts[0][1], tuple(p[2] for p in parts), parts[0][3], parts[0][4])
            )
        table.checks = len(re.findall(r"\bCHECK\s*\(", strip_sql_comments(create_sql), flags=re.IGNORECASE))
    return schema


# Keys named id that the bot always supplies, so PostgreSQL has no identity for them: a community's id is its
# Discord server's id (or a negative id of its own for another platform, see migration 0010).
SUPPLIED_IDS = {("communities", "id")}


def sqlite_rowid_ids(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(table, "id") for each surrogate key SQLite fills in when an INSERT leaves it out."""
    found = set()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        key = [row for row in conn.execute(f"PRAGMA table_info({name})").fetchall() if row[5]]
        if len(key) == 1 and key[0][1] == "id" and key[0][2] == "INTEGER":
            found.add((name, "id"))
    return found - SUPPLIED_IDS


# --- PostgreSQL --------------------------------------------------------------------------------------------

COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable = 'NO', column_default, is_identity = 'YES'
FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
"""

CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n),
       c.confrelid::regclass::text,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n),
       c.confdeltype::text, c.confupdtype::text
FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
WHERE s.nspname = 'public'
"""

INDEXES = """
SELECT t.relname::text, i.relname::text, x.indisunique, x.indisprimary,
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n),
       pg_get_expr(x.indpred, x.indrelid),
       EXISTS (SELECT 1 FROM pg_constraint c
               WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u'))
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace s ON s.oid = t.relnamespace
WHERE s.nspname = 'public'
"""


async def postgres_schema(conn: asyncpg.Connection) -> tuple[dict[str, Table], set[tuple[str, str]]]:
    schema: dict[str, Table] = {}
    identities = set()
    for table_name, column, data_type, not_null, default, identity in await conn.fetch(COLUMNS):
        schema.setdefault(table_name, Table()).columns.append(Column(column, data_type, not_null, default))
        if identity:
            identities.add((table_name, column))
    for table_name, kind, columns, parent, parent_columns, on_delete, on_update in await conn.fetch(CONSTRAINTS):
        table = schema[table_name]
        if kind == "p":
            table.primary_key = tuple(columns)
        elif kind == "f":
            table.foreign_keys.add(
                (tuple(columns), parent, tuple(parent_columns), FK_ACTIONS[on_delete], FK_ACTIONS[on_update])
            )
        elif kind == "c":
            table.checks += 1
    for table_name, index, unique, primary, columns, predicate, from_constraint in await conn.fetch(INDEXES):
        table = schema[table_name]
        if unique and not primary:
            table.unique.add((tuple(columns), normalise_expression(predicate)))
        if not from_constraint:
            table.indexes.add((index, tuple(columns), unique, normalise_expression(predicate)))
    return schema, identities


def comparable(schema: dict[str, Table], identities: set[tuple[str, str]]) -> dict[str, Table]:
    """Defaults normalised; a key SQLite fills from the rowid and PostgreSQL from an identity has none."""
    result = {}
    for name, table in schema.items():
        columns = []
        for c in table.columns:
            default = None if (name, c.name) in identities else normalise_expression(c.default)
            columns.append(Column(c.name, c.type, c.not_null, default))
        result[name] = Table(columns, table.primary_key, table.unique, table.indexes, table.foreign_keys, table.checks)
    return result


# --- the test ----------------------------------------------------------------------------------------------


def test_both_engines_have_the_same_numbered_migrations() -> None:
    assert migration_names(POSTGRES_MIGRATIONS) == migration_names(SQLITE_MIGRATIONS)
    for name in migration_names(POSTGRES_MIGRATIONS):
        sql = strip_sql_comments((POSTGRES_MIGRATIONS / name).read_text(encoding="utf-8")).upper()
        # The runner wraps each file in its own transaction; a file must not end it early.
        assert not re.search(r"\b(BEGIN|COMMIT|ROLLBACK|PRAGMA|AUTOINCREMENT|STRICT)\b", sql), name


async def test_after_each_migration_the_schemas_are_equivalent(tmp_path: Path, postgres_dsn: str) -> None:
    lite = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    pg = await asyncpg.connect(postgres_dsn)
    try:
        for name in migration_names(SQLITE_MIGRATIONS):
            lite.executescript(f"BEGIN;\n{(SQLITE_MIGRATIONS / name).read_text(encoding='utf-8')}\nCOMMIT;")
            async with pg.transaction():
                await pg.execute((POSTGRES_MIGRATIONS / name).read_text(encoding="utf-8"))

            pg_schema, identities = await postgres_schema(pg)
            assert identities == sqlite_rowid_ids(lite), f"after {name}"
            expected = comparable(sqlite_schema(lite), identities)
            actual = comparable(pg_schema, identities)
            assert sorted(actual) == sorted(expected), f"tables after {name}"
            for table in expected:
                assert actual[table] == expected[table], f"{table} after {name}"
    finally:
        lite.close()
        await pg.close()
