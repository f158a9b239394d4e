"""Answers written straight into the database, for tests of what reads them (exports, stats, retention)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.codec import to_db_time
from bot.storage.engine import Database

CREATED = datetime(2020, 8, 3, 20, 30, tzinfo=UTC)
_MESSAGE_IDS = itertools.count(700000000000000000)  # thread answers need distinct message ids


@dataclass(frozen=True)
class AnswerRow:
    prompt_id: int
    user_id: int
    text: str
    source: str = "modal"
    created: datetime = CREATED
    updated: datetime | None = None
    late: bool = False
    message_id: int | None = None  # filled in for thread answers when not given


async def prompt_ids(db: Database, community_id: int, week: int | None = None) -> list[int]:
    """Prompt ids by week and position."""
    sql = "SELECT p.id FROM prompts p JOIN sessions s ON s.id = p.session_id WHERE s.community_id = ?"
    params: tuple[int, ...] = (community_id,)
    if week is not None:
        sql += " AND s.week = ?"
        params += (week,)
    return [row[0] for row in await db.fetchall(sql + " ORDER BY s.week, p.position", params)]


async def insert_answers(db: Database, community_id: int, answers: Iterable[AnswerRow]) -> None:
    """All in one transaction with executemany: 100,000 rows take well under a second."""

    def values() -> Iterable[tuple[object, ...]]:
        for answer in answers:
            message_id = answer.message_id
            if answer.source == "thread" and message_id is None:
                message_id = next(_MESSAGE_IDS)
            yield (
                community_id,
                answer.prompt_id,
                answer.user_id,
                answer.source,
                message_id,
                answer.text,
                to_db_time(answer.created),
                to_db_time(answer.updated or answer.created),
                int(answer.late),
            )

    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO answers (community_id, prompt_id, user_id, source, message_id, text, created_at, updated_at, "
            "late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values(),
        )
