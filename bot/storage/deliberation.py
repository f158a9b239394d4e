"""The conversations, deliberation_participants, statements and deliberation_votes tables (migration 0012/0014).

A member appears only as ``user_id`` in deliberation_participants; votes and statements name the participant row,
so erasing the row erases the member's votes and statements with it (ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.deliberation import Vote, VoteCast
from bot.domain.deliberation.conversation import (
    Conversation,
    ConversationState,
    Moderation,
    Statement,
    StatementOrigin,
)
from bot.domain.deliberation.member_data import MemberStatement, MemberVote, deliberation_section
from bot.domain.member_data import DataSection
from bot.storage.codec import from_db_time, to_db_time
from bot.storage.engine import Connection, Database, Queries, Row

MAX_ROW_ID = 2**63 - 1
_CONVERSATION = "id, community_id, number, week, prompt, state, auto_accept, channel_id, post_id, created_at"
_STATEMENT = "id, conversation_id, text, origin, moderation, created_at"


def _conversation(row: Row) -> Conversation:
    return Conversation(
        row["id"],
        row["community_id"],
        row["number"],
        row["week"],
        row["prompt"],
        ConversationState(row["state"]),
        bool(row["auto_accept"]),
        row["channel_id"],
        row["post_id"],
        from_db_time(row["created_at"]),
    )


def _statement(row: Row) -> Statement:
    return Statement(
        row["id"],
        row["conversation_id"],
        row["text"],
        StatementOrigin(row["origin"]),
        Moderation(row["moderation"]),
        from_db_time(row["created_at"]),
    )


@dataclass(frozen=True, slots=True)
class StoredVote:
    participant: int  # the participant row, never a member id
    statement: int
    vote: Vote
    voted_at: datetime


@dataclass(frozen=True, slots=True)
class ExportParticipant:
    id: int  # the participant row
    polis_id: int | None


@dataclass(frozen=True, slots=True)
class ExportStatement:
    id: int
    author: int | None  # the participant row
    text: str
    moderation: Moderation
    polis_id: int | None
    created_at: datetime


class DeliberationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- conversations ----------------------------------------------------------------------------------

    async def create(
        self,
        community_id: int,
        *,
        week: int | None,
        prompt: str,
        auto_accept: bool,
        origin: str,
        now: datetime,
        conn: Connection | None = None,
    ) -> Conversation:
        async def insert(c: Connection) -> Conversation:
            number = await c.fetchval(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM conversations WHERE community_id = ?", (community_id,)
            )
            row = await c.fetchone(
                "INSERT INTO conversations (community_id, number, week, prompt, auto_accept, origin, created_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_CONVERSATION}",
                (community_id, number, week, prompt, int(auto_accept), origin, to_db_time(now)),
            )
            assert row is not None
            return _conversation(row)

        if conn is not None:
            return await insert(conn)
        async with self._db.transaction() as own:
            return await insert(own)

    async def get(self, conversation_id: int) -> Conversation | None:
        if not 0 < conversation_id <= MAX_ROW_ID:
            return None
        row = await self._db.fetchone(f"SELECT {_CONVERSATION} FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(row) if row else None

    async def by_number(self, community_id: int, number: int) -> Conversation | None:
        if not 0 < number <= MAX_ROW_ID:
            return None
        row = await self._db.fetchone(
            f"SELECT {_CONVERSATION} FROM conversations WHERE community_id = ? AND number = ?", (community_id, number)
        )
        return _conversation(row) if row else None

    async def in_community(self, community_id: int) -> list[Conversation]:
        rows = await self._db.fetchall(
            f"SELECT {_CONVERSATION} FROM conversations WHERE community_id = ? ORDER BY number", (community_id,)
        )
        return [_conversation(row) for row in rows]

    async def set_post(self, conversation_id: int, channel_id: int, post_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE conversations SET channel_id = ?, post_id = ? WHERE id = ?",
                (channel_id, post_id, conversation_id),
            )

    async def set_state(self, conversation_id: int, state: ConversationState, now: datetime) -> None:
        closed_at = to_db_time(now) if state is ConversationState.CLOSED else None
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE conversations SET state = ?, closed_at = ? WHERE id = ?",
                (state.value, closed_at, conversation_id),
            )

    @staticmethod
    async def set_state_in(conn: Connection, conversation_id: int, now: datetime) -> None:
        """Close the conversation inside the caller's transaction (an import is closed from the start)."""
        await conn.execute(
            "UPDATE conversations SET state = 'closed', closed_at = ? WHERE id = ?", (to_db_time(now), conversation_id)
        )

    async def groups_state(self, conversation_id: int) -> str | None:
        value = await self._db.fetchval("SELECT groups_state FROM conversations WHERE id = ?", (conversation_id,))
        return str(value) if value is not None else None

    async def save_groups_state(self, conversation_id: int, state: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE conversations SET groups_state = ? WHERE id = ?", (state, conversation_id))

    # -- participants -----------------------------------------------------------------------------------

    async def participant(self, conversation_id: int, user_id: int) -> int | None:
        value = await self._db.fetchval(
            "SELECT id FROM deliberation_participants WHERE conversation_id = ? AND user_id = ? "
            "AND consented_at IS NOT NULL",
            (conversation_id, user_id),
        )
        return int(value) if value is not None else None

    async def has_consented(self, community_id: int, user_id: int) -> bool:
        """Whether the member agreed to have their votes kept, in any conversation of the community."""
        value = await self._db.fetchval(
            "SELECT 1 FROM deliberation_participants p JOIN conversations c ON c.id = p.conversation_id "
            "WHERE c.community_id = ? AND p.user_id = ? AND p.consented_at IS NOT NULL LIMIT 1",
            (community_id, user_id),
        )
        return value is not None

    @staticmethod
    async def ensure_participant(conn: Connection, conversation_id: int, user_id: int, now: datetime) -> int:
        await conn.execute(
            "INSERT INTO deliberation_participants (conversation_id, user_id, consented_at) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id, user_id) DO NOTHING",
            (conversation_id, user_id, to_db_time(now)),
        )
        return int(
            await conn.fetchval(
                "SELECT id FROM deliberation_participants WHERE conversation_id = ? AND user_id = ?",
                (conversation_id, user_id),
            )
        )

    # -- statements -------------------------------------------------------------------------------------

    @staticmethod
    async def add_statement(
        conn: Connection,
        conversation_id: int,
        *,
        author: int | None,
        text: str,
        origin: StatementOrigin,
        moderation: Moderation,
        now: datetime,
        polis_id: int | None = None,
    ) -> Statement:
        row = await conn.fetchone(
            "INSERT INTO statements (conversation_id, author_id, text, origin, moderation, polis_id, created_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_STATEMENT}",
            (conversation_id, author, text, origin.value, moderation.value, polis_id, to_db_time(now)),
        )
        assert row is not None
        return _statement(row)

    async def add_statements(
        self, conversation_id: int, texts: Sequence[str], origin: StatementOrigin, now: datetime
    ) -> list[Statement]:
        async with self._db.transaction() as conn:
            return [
                await self.add_statement(
                    conn, conversation_id, author=None, text=t, origin=origin, moderation=Moderation.ACCEPTED, now=now
                )
                for t in texts
            ]

    async def statement(self, statement_id: int) -> Statement | None:
        if not 0 < statement_id <= MAX_ROW_ID:
            return None
        row = await self._db.fetchone(f"SELECT {_STATEMENT} FROM statements WHERE id = ?", (statement_id,))
        return _statement(row) if row else None

    async def statements(self, conversation_id: int, *, moderation: Moderation | None = None) -> list[Statement]:
        where = "conversation_id = ?"
        params: list[object] = [conversation_id]
        if moderation is not None:
            where += " AND moderation = ?"
            params.append(moderation.value)
        rows = await self._db.fetchall(f"SELECT {_STATEMENT} FROM statements WHERE {where} ORDER BY id", tuple(params))
        return [_statement(row) for row in rows]

    async def moderate(self, statement_id: int, moderation: Moderation) -> bool:
        async with self._db.transaction() as conn:
            return (
                await conn.execute(
                    "UPDATE statements SET moderation = ? WHERE id = ?", (moderation.value, statement_id)
                )
                == 1
            )

    async def next_statement(self, conversation_id: int, user_id: int) -> Statement | None:
        """An accepted statement the member has not voted on: the one with the fewest votes, then the oldest,
        so that new statements are voted on early. (A member's own statements carry their agree vote.)"""
        row = await self._db.fetchone(
            f"SELECT {', '.join('s.' + c for c in _STATEMENT.split(', '))} FROM statements s "
            "WHERE s.conversation_id = ? AND s.moderation = 'accepted' AND NOT EXISTS ("
            "SELECT 1 FROM deliberation_votes v JOIN deliberation_participants p ON p.id = v.participant_id "
            "WHERE v.statement_id = s.id AND p.user_id = ? AND p.conversation_id = s.conversation_id) "
            "ORDER BY (SELECT COUNT(*) FROM deliberation_votes w WHERE w.statement_id = s.id), s.id LIMIT 1",
            (conversation_id, user_id),
        )
        return _statement(row) if row else None

    # -- votes ------------------------------------------------------------------------------------------

    @staticmethod
    async def record_vote(conn: Connection, participant: int, statement: int, vote: Vote, now: datetime) -> None:
        await conn.execute(
            "INSERT INTO deliberation_votes (participant_id, statement_id, vote, voted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (participant_id, statement_id) "
            "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
            (participant, statement, int(vote), to_db_time(now)),
        )

    async def votes(self, conversation_id: int) -> list[StoredVote]:
        rows = await self._db.fetchall(
            "SELECT v.participant_id, v.statement_id, v.vote, v.voted_at FROM deliberation_votes v "
            "JOIN statements s ON s.id = v.statement_id WHERE s.conversation_id = ? "
            "ORDER BY v.voted_at, v.participant_id",
            (conversation_id,),
        )
        return [StoredVote(r[0], r[1], Vote(r[2]), from_db_time(r[3])) for r in rows]

    async def vote_casts(self, conversation_id: int) -> list[VoteCast]:
        return [VoteCast(v.participant, v.statement, v.vote) for v in await self.votes(conversation_id)]

    # -- Pol.is export and import -----------------------------------------------------------------------

    async def export_participants(self, conversation_id: int) -> list[ExportParticipant]:
        rows = await self._db.fetchall(
            "SELECT id, polis_id FROM deliberation_participants WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [ExportParticipant(r[0], r[1]) for r in rows]

    async def export_statements(self, conversation_id: int) -> list[ExportStatement]:
        rows = await self._db.fetchall(
            "SELECT id, author_id, text, moderation, polis_id, created_at FROM statements WHERE conversation_id = ? "
            "ORDER BY id",
            (conversation_id,),
        )
        return [ExportStatement(r[0], r[1], r[2], Moderation(r[3]), r[4], from_db_time(r[5])) for r in rows]

    @staticmethod
    async def import_participant(conn: Connection, conversation_id: int, polis_id: int) -> int:
        return int(
            await conn.fetchval(
                "INSERT INTO deliberation_participants (conversation_id, polis_id) VALUES (?, ?) RETURNING id",
                (conversation_id, polis_id),
            )
        )

    async def import_votes(self, conn: Connection, rows: Sequence[tuple[int, int, int, str]]) -> None:
        await conn.executemany(
            "INSERT INTO deliberation_votes (participant_id, statement_id, vote, voted_at) VALUES (?, ?, ?, ?)", rows
        )

    # -- a member's own data ----------------------------------------------------------------------------

    async def member_votes(self, community_id: int, user_id: int, source: Queries | None = None) -> list[MemberVote]:
        rows = await (source or self._db).fetchall(
            "SELECT c.number, c.prompt, s.text, v.vote, v.voted_at FROM deliberation_votes v "
            "JOIN deliberation_participants p ON p.id = v.participant_id JOIN statements s ON s.id = v.statement_id "
            "JOIN conversations c ON c.id = p.conversation_id WHERE c.community_id = ? AND p.user_id = ? "
            "ORDER BY c.number, v.voted_at",
            (community_id, user_id),
        )
        return [MemberVote(f"conversation {r[0]}", r[1], r[2], Vote(r[3]), from_db_time(r[4])) for r in rows]

    async def member_statements(
        self, community_id: int, user_id: int, source: Queries | None = None
    ) -> list[MemberStatement]:
        rows = await (source or self._db).fetchall(
            "SELECT c.number, s.text, s.moderation, s.created_at FROM statements s "
            "JOIN deliberation_participants p ON p.id = s.author_id JOIN conversations c ON c.id = s.conversation_id "
            "WHERE c.community_id = ? AND p.user_id = ? ORDER BY c.number, s.id",
            (community_id, user_id),
        )
        return [MemberStatement(f"conversation {r[0]}", r[1], Moderation(r[2]), from_db_time(r[3])) for r in rows]

    async def erase_member(self, community_id: int, user_id: int, conn: Connection | None = None) -> tuple[int, int]:
        """Delete the member's votes and statements in the community (their participant rows go, and with them
        everything that names them). Returns (votes, statements) deleted."""

        async def erase(c: Connection) -> tuple[int, int]:
            mine = (
                "SELECT p.id FROM deliberation_participants p JOIN conversations c ON c.id = p.conversation_id "
                "WHERE c.community_id = ? AND p.user_id = ?"
            )
            votes = int(
                await c.fetchval(
                    f"SELECT COUNT(*) FROM deliberation_votes WHERE participant_id IN ({mine})", (community_id, user_id)
                )
            )
            statements = await c.execute(f"DELETE FROM statements WHERE author_id IN ({mine})", (community_id, user_id))
            await c.execute(f"DELETE FROM deliberation_participants WHERE id IN ({mine})", (community_id, user_id))
            return votes, statements

        if conn is not None:
            return await erase(conn)
        async with self._db.transaction() as own:
            return await erase(own)


class DeliberationMemberData:
    """Deliberation's part of /mydata (see bot.storage.members): the member's votes and statements."""

    def __init__(self, db: Database) -> None:
        self._repository = DeliberationRepository(db)

    async def section(self, conn: Connection, community_id: int, user_id: int) -> DataSection | None:
        return deliberation_section(
            await self._repository.member_votes(community_id, user_id, conn),
            await self._repository.member_statements(community_id, user_id, conn),
        )

    async def erase(self, conn: Connection, community_id: int, user_id: int) -> None:
        await self._repository.erase_member(community_id, user_id, conn)
