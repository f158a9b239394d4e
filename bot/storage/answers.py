"""The answers, answer_versions and consents tables.

Only Discord ids are stored with an answer: never a name, nickname or avatar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.answering import Answer, AnswerSource, PromptContext, SaveOutcome
from bot.domain.member_data import AnswerVersion, MemberAnswer
from bot.domain.programme import Prompt
from bot.storage.codec import from_db_time, to_db_time
from bot.storage.engine import Connection, Database, Queries, Row, needs_transaction

# SQLite integers are signed 64-bit: a larger id (from a crafted custom_id) cannot name any row.
MAX_ROW_ID = 2**63 - 1

_ANSWER_COLUMNS = "id, community_id, prompt_id, user_id, source, message_id, text, created_at, updated_at, late"

_PROMPT_COLUMNS = (
    "p.id, p.session_id, p.position, p.text, s.week, s.community_id, s.title, s.ends_at, "
    "(SELECT COUNT(*) FROM prompts q WHERE q.session_id = p.session_id) AS prompt_count"
)

# Everything answering a prompt reads, in one statement (one round trip): the prompt and its session, its server's
# answer window, the member's consent in that server, and their current answer through the form. The prompt is
# chosen by id (_ANSWERING) or by server, week and number (_ANSWERING_IN_WEEK).
_ANSWERING_FROM = (
    f"SELECT {_PROMPT_COLUMNS}, "
    "(SELECT cs.answer_window_minutes FROM community_settings cs WHERE cs.community_id = s.community_id) "
    "AS answer_window_minutes, "
    "(SELECT c.consented_at FROM consents c WHERE c.community_id = s.community_id AND c.user_id = ?) AS consented_at, "
    "a.id AS answer_id, a.text AS answer_text, a.created_at AS answer_created_at, "
    "a.updated_at AS answer_updated_at, a.late AS answer_late "
    "FROM prompts p JOIN sessions s ON s.id = p.session_id "
    "LEFT JOIN answers a ON a.prompt_id = p.id AND a.user_id = ? AND a.source = 'modal' "
)
_ANSWERING = _ANSWERING_FROM + "WHERE p.id = ?"
_ANSWERING_IN_WEEK = _ANSWERING_FROM + "WHERE s.community_id = ? AND s.week = ? AND p.position = ?"


@dataclass(frozen=True, slots=True)
class Answering:
    """What answering a prompt needs to know about it and the member, read at one moment."""

    context: PromptContext
    answer_window: timedelta | None  # the server's setting; None: answers are always on time
    consented_at: datetime | None  # None: this member never answered in the prompt's server
    current: Answer | None  # their current answer to the prompt through the form


def _prompt_context(row: Row) -> PromptContext:
    return PromptContext(
        prompt=Prompt(row["id"], row["session_id"], row["week"], row["position"], row["text"]),
        community_id=row["community_id"],
        session_title=row["title"],
        session_end=from_db_time(row["ends_at"]),
        prompts_in_week=row["prompt_count"],
    )


def _answering(row: Row, user_id: int) -> Answering:
    context = _prompt_context(row)
    window = row["answer_window_minutes"]
    consented_at = row["consented_at"]
    current = None
    if row["answer_id"] is not None:
        current = Answer(
            id=row["answer_id"],
            community_id=context.community_id,
            prompt_id=context.prompt.id,
            user_id=user_id,
            source=AnswerSource.MODAL,
            text=row["answer_text"],
            created_at=from_db_time(row["answer_created_at"]),
            updated_at=from_db_time(row["answer_updated_at"]),
            late=bool(row["answer_late"]),
        )
    return Answering(
        context=context,
        answer_window=timedelta(minutes=window) if window is not None else None,
        consented_at=from_db_time(consented_at) if consented_at is not None else None,
        current=current,
    )


async def answer_versions(db: Queries, answer_id: int) -> list[AnswerVersion]:
    """Earlier texts of an answer (from the form or a thread), oldest first."""
    found = await db.fetchall(
        "SELECT text, recorded_at FROM answer_versions WHERE answer_id = ? ORDER BY recorded_at, id", (answer_id,)
    )
    return [AnswerVersion(row["text"], from_db_time(row["recorded_at"])) for row in found]


def answer_from_row(row: Row) -> Answer:
    return Answer(
        id=row["id"],
        community_id=row["community_id"],
        prompt_id=row["prompt_id"],
        user_id=row["user_id"],
        source=AnswerSource(row["source"]),
        text=row["text"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        late=bool(row["late"]),
        message_id=row["message_id"],
    )


class AnswerRepository:
    """Reads through ``db``; built by a unit of work (``conn`` given), reads and writes in its transaction."""

    def __init__(self, db: Database, conn: Connection | None = None) -> None:
        self._source: Queries = conn if conn is not None else db
        self._conn = conn

    async def prompt_context(self, prompt_id: int) -> PromptContext | None:
        """A prompt with its server, session and week size; None if no such prompt (any more)."""
        if not 0 < prompt_id <= MAX_ROW_ID:
            return None
        row = await self._source.fetchone(
            f"SELECT {_PROMPT_COLUMNS} FROM prompts p JOIN sessions s ON s.id = p.session_id WHERE p.id = ?",
            (prompt_id,),
        )
        return _prompt_context(row) if row is not None else None

    async def answering(self, prompt_id: int, user_id: int) -> Answering | None:
        """The prompt with its server's answer window, and the member's consent and current answer there, in one
        statement; None if no such prompt (any more)."""
        if not 0 < prompt_id <= MAX_ROW_ID:
            return None
        row = await self._source.fetchone(_ANSWERING, (user_id, user_id, prompt_id))
        return _answering(row, user_id) if row is not None else None

    async def answering_in_week(self, community_id: int, week: int, number: int, user_id: int) -> Answering | None:
        """``answering`` for a server's prompt by week and number; None if there is no such prompt."""
        if not (0 < week <= MAX_ROW_ID and 0 < number <= MAX_ROW_ID):
            return None
        row = await self._source.fetchone(_ANSWERING_IN_WEEK, (user_id, user_id, community_id, week, number))
        return _answering(row, user_id) if row is not None else None

    async def prompt_id_in_week(self, community_id: int, week: int, number: int) -> int | None:
        """The id of a server's prompt by week and number, or None."""
        if not (0 < week <= MAX_ROW_ID and 0 < number <= MAX_ROW_ID):
            return None
        found = await self._source.fetchall(
            "SELECT p.id FROM prompts p JOIN sessions s ON s.id = p.session_id "
            "WHERE s.community_id = ? AND s.week = ? AND p.position = ?",
            (community_id, week, number),
        )
        return int(found[0]["id"]) if found else None

    async def current_answer(self, prompt_id: int, user_id: int) -> Answer | None:
        """The member's current answer to a prompt through the form (thread replies are separate)."""
        found = await self._source.fetchall(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE prompt_id = ? AND user_id = ? AND source = 'modal'",
            (prompt_id, user_id),
        )
        return answer_from_row(found[0]) if found else None

    async def save_answer(
        self,
        *,
        community_id: int,
        prompt_id: int,
        user_id: int,
        text: str,
        now: datetime,
        late: bool,
    ) -> tuple[Answer, SaveOutcome]:
        """Store the member's answer to a prompt in the unit of work's transaction.

        A first answer is inserted; a different text replaces the current one, whose text is kept in
        answer_versions with the time it was recorded; the same text again changes nothing.
        """
        current = await self.current_answer(prompt_id, user_id)
        return await self.store_answer(
            current, community_id=community_id, prompt_id=prompt_id, user_id=user_id, text=text, now=now, late=late
        )

    async def store_answer(
        self,
        current: Answer | None,
        *,
        community_id: int,
        prompt_id: int,
        user_id: int,
        text: str,
        now: datetime,
        late: bool,
    ) -> tuple[Answer, SaveOutcome]:
        """``save_answer`` given the member's ``current`` answer, as read in the unit of work's transaction (under
        its community's write lock, so that nothing changed it since)."""
        conn = needs_transaction(self._conn, "store_answer")
        stamp = to_db_time(now)
        if current is None:
            answer_id = await conn.fetchval(
                "INSERT INTO answers (community_id, prompt_id, user_id, source, text, created_at, updated_at, late) "
                "VALUES (?, ?, ?, 'modal', ?, ?, ?, ?) RETURNING id",
                (community_id, prompt_id, user_id, text, stamp, stamp, int(late)),
            )
            answer = Answer(
                id=int(answer_id),
                community_id=community_id,
                prompt_id=prompt_id,
                user_id=user_id,
                source=AnswerSource.MODAL,
                text=text,
                created_at=now,
                updated_at=now,
                late=late,
            )
            return answer, SaveOutcome.CREATED
        if current.text == text:
            return current, SaveOutcome.UNCHANGED
        await conn.execute(
            "INSERT INTO answer_versions (answer_id, text, recorded_at) VALUES (?, ?, ?)",
            (current.id, current.text, to_db_time(current.updated_at)),
        )
        # "late" follows the text the organisers will read: an edit after the window makes the answer late.
        await conn.execute(
            "UPDATE answers SET text = ?, updated_at = ?, late = ? WHERE id = ?",
            (text, stamp, int(late), current.id),
        )
        return Answer(
            id=current.id,
            community_id=current.community_id,
            prompt_id=prompt_id,
            user_id=user_id,
            source=AnswerSource.MODAL,
            text=text,
            created_at=current.created_at,
            updated_at=now,
            late=late,
        ), SaveOutcome.UPDATED

    async def versions(self, answer_id: int) -> list[AnswerVersion]:
        """Earlier texts of an answer, oldest first."""
        return await answer_versions(self._source, answer_id)

    async def member_answers(self, community_id: int, user_id: int) -> list[MemberAnswer]:
        """Every answer of a member in a server (form answers and thread replies), by week and prompt."""
        answer_rows = await self._source.fetchall(
            "SELECT a.id, a.community_id, a.prompt_id, a.user_id, a.source, a.message_id, a.text, a.created_at, "
            "a.updated_at, a.late, s.week, p.position, p.text AS prompt_text "
            "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id "
            "WHERE a.community_id = ? AND a.user_id = ? ORDER BY s.week, p.position, a.created_at, a.id",
            (community_id, user_id),
        )
        version_rows = await self._source.fetchall(
            "SELECT v.answer_id, v.text, v.recorded_at FROM answer_versions v JOIN answers a ON a.id = v.answer_id "
            "WHERE a.community_id = ? AND a.user_id = ? ORDER BY v.recorded_at, v.id",
            (community_id, user_id),
        )
        versions: dict[int, list[AnswerVersion]] = {}
        for row in version_rows:
            versions.setdefault(row["answer_id"], []).append(
                AnswerVersion(row["text"], from_db_time(row["recorded_at"]))
            )
        return [
            MemberAnswer(
                answer=answer_from_row(row),
                week=row["week"],
                prompt_number=row["position"],
                prompt_text=row["prompt_text"],
                versions=tuple(versions.get(row["id"], ())),
            )
            for row in answer_rows
        ]


class ConsentRepository:
    """Reads through ``db``; built by a unit of work (``conn`` given), reads and writes in its transaction."""

    def __init__(self, db: Database, conn: Connection | None = None) -> None:
        self._source: Queries = conn if conn is not None else db
        self._conn = conn

    async def consented_at(self, community_id: int, user_id: int) -> datetime | None:
        found = await self._source.fetchall(
            "SELECT consented_at FROM consents WHERE community_id = ? AND user_id = ?",
            (community_id, user_id),
        )
        return from_db_time(found[0]["consented_at"]) if found else None

    async def record(self, community_id: int, user_id: int, now: datetime) -> bool:
        """Record consent in the unit of work's transaction; True if it was not recorded before."""
        inserted = await needs_transaction(self._conn, "record").execute(
            "INSERT INTO consents (community_id, user_id, consented_at) VALUES (?, ?, ?) "
            "ON CONFLICT (community_id, user_id) DO NOTHING",
            (community_id, user_id, to_db_time(now)),
        )
        return inserted == 1
