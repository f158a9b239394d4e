"""Migration 0010: a server's data, written under the old guild_id key, is the same community's afterwards."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.storage.engine import Database, open_database
from bot.storage.engine._migrations import migrations

GUILD = 100000000000000001
T = "2020-10-26T19:00:00.000000Z"
END = "2020-10-26T21:00:00.000000Z"


async def _database_at_version_9(path: Path) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as raw:
        for migration in migrations("sqlite"):
            if migration.number > 9:
                break
            await raw.executescript(f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.number};\nCOMMIT;")
        await raw.executescript(
            f"""
            INSERT INTO programmes (guild_id, title, timezone, introduction, imported_at)
                VALUES ({GUILD}, 'Online workshops', 'Europe/London', '', '{T}');
            INSERT INTO sessions (id, guild_id, week, title, starts_at, ends_at, location, description)
                VALUES (1, {GUILD}, 1, 'Week 1', '{T}', '{END}', 'Zoom', '');
            INSERT INTO prompts (id, session_id, position, text) VALUES (1, 1, 1, 'What next?');
            INSERT INTO guild_settings (guild_id, retention_days, updated_at) VALUES ({GUILD}, 30, '{T}');
            INSERT INTO consents (guild_id, user_id, consented_at) VALUES ({GUILD}, 7, '{T}');
            INSERT INTO answers (guild_id, prompt_id, user_id, source, text, created_at, updated_at)
                VALUES ({GUILD}, 1, 7, 'modal', 'Organise locally', '{T}', '{T}');
            """
        )


@pytest.mark.sqlite_only("a SQLite database of an earlier version; PostgreSQL starts at the community schema")
async def test_version_9_data_belongs_to_the_same_community_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await _database_at_version_9(path)
    async with open_database(path) as db:
        answer = await db.fetchone("SELECT community_id, user_id, text FROM answers")
        assert answer is not None and tuple(answer) == (GUILD, 7, "Organise locally")
        settings = await db.fetchone("SELECT community_id, retention_days FROM community_settings")
        assert settings is not None and tuple(settings) == (GUILD, 30)
        session = await db.fetchone("SELECT community_id FROM sessions")
        assert session is not None and session[0] == GUILD
        found = await db.fetchall("SELECT id, platform, external_id, left_at FROM communities")
        communities = [tuple(r) for r in found]
        assert communities == [(GUILD, "discord", str(GUILD), None)]
        assert await db.check_integrity() == []


async def test_a_text_workspace_id_needs_no_schema_change(db: Database) -> None:
    """A later Slack front end: its workspace id is text, mapped to a negative community id of its own."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO communities (id, platform, external_id) VALUES (-1, 'slack', 'T0123ABCD')")
        await conn.execute(
            "INSERT INTO programmes (community_id, title, timezone, introduction, imported_at) "
            "VALUES (-1, 'Slack programme', 'Europe/London', '', ?)",
            (T,),
        )
    row = await db.fetchone(
        "SELECT c.external_id, p.title FROM communities c JOIN programmes p ON p.community_id = c.id "
        "WHERE c.platform = 'slack'"
    )
    assert row is not None and tuple(row) == ("T0123ABCD", "Slack programme")
