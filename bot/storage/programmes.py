"""The programme tables: programmes, sessions, prompts."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from bot.domain.importing import ImportPlan, session_differs
from bot.domain.programme import Programme, ProgrammeRecord, Prompt, Session, SessionRecord
from bot.storage.codec import from_db_time, to_db_time
from bot.storage.engine import (
    Connection,
    Database,
    Queries,
    Row,
    community_filters,
    needs_transaction,
    own_or_joined_transaction,
    placeholders,
)


class ProgrammeRepository:
    """Reads through ``db``; built by a unit of work (``conn`` given), reads and writes in its transaction."""

    def __init__(self, db: Database, conn: Connection | None = None) -> None:
        self._database = db
        self._source: Queries = conn if conn is not None else db
        self._conn = conn

    async def load(self, community_id: int) -> ProgrammeRecord | None:
        """The stored programme, or None."""
        head = await self._source.fetchall(
            "SELECT title, timezone, introduction FROM programmes WHERE community_id = ?", (community_id,)
        )
        if not head:
            return None
        session_rows = await self._source.fetchall(
            "SELECT id, week, title, starts_at, ends_at, location, description, meeting_link, revision "
            "FROM sessions WHERE community_id = ? ORDER BY starts_at, week",
            (community_id,),
        )
        prompt_rows = await self._source.fetchall(
            "SELECT p.id, p.session_id, p.position, p.text FROM prompts p "
            "JOIN sessions s ON s.id = p.session_id WHERE s.community_id = ? ORDER BY p.session_id, p.position",
            (community_id,),
        )
        return _programme_record(community_id, head[0], session_rows, prompt_rows)

    async def load_many(self, community_ids: Sequence[int]) -> dict[int, ProgrammeRecord]:
        """The stored programmes of several communities (those that have one), in three queries for them all."""
        if not community_ids:
            return {}
        marks = placeholders(community_ids)
        heads = await self._source.fetchall(
            f"SELECT community_id, title, timezone, introduction FROM programmes WHERE community_id IN ({marks})",
            tuple(community_ids),
        )
        session_rows = await self._source.fetchall(
            "SELECT id, community_id, week, title, starts_at, ends_at, location, description, meeting_link, revision "
            f"FROM sessions WHERE community_id IN ({marks}) ORDER BY community_id, starts_at, week",
            tuple(community_ids),
        )
        prompt_rows = await self._source.fetchall(
            "SELECT p.id, p.session_id, p.position, p.text FROM prompts p JOIN sessions s ON s.id = p.session_id "
            f"WHERE s.community_id IN ({marks}) ORDER BY p.session_id, p.position",
            tuple(community_ids),
        )
        sessions_of: dict[int, list[Row]] = {}
        for row in session_rows:
            sessions_of.setdefault(row["community_id"], []).append(row)
        community_of = {row["id"]: row["community_id"] for row in session_rows}
        prompts_of: dict[int, list[Row]] = {}
        for row in prompt_rows:
            prompts_of.setdefault(community_of[row["session_id"]], []).append(row)
        return {
            head["community_id"]: _programme_record(
                head["community_id"],
                head,
                sessions_of.get(head["community_id"], []),
                prompts_of.get(head["community_id"], []),
            )
            for head in heads
        }

    async def version(self, community_id: int) -> int | None:
        """A number that changes whenever the stored programme does (None: no programme); one small query.

        Every change leaves a mark: an update bumps its session's revision, a new session gets a new id
        (AUTOINCREMENT ids are never reused), a removal lowers the count, a new title or time zone is in the
        programmes row. Also sees imports made by the command line while the bot runs.
        """
        rows = await self._source.fetchall(
            "SELECT p.title, p.timezone, p.introduction, p.imported_at, COUNT(s.id) AS n, "
            "COALESCE(SUM(s.id), 0) AS ids, COALESCE(SUM(s.revision), 0) AS revisions "
            "FROM programmes p LEFT JOIN sessions s ON s.community_id = p.community_id WHERE p.community_id = ? "
            # Every column shown is grouped by: PostgreSQL refuses a bare column that is not.
            "GROUP BY p.community_id, p.title, p.timezone, p.introduction, p.imported_at",
            (community_id,),
        )
        # int(): PostgreSQL's SUM of a bigint is a numeric; the same number must give the same version.
        if not rows:
            return None
        values = tuple(rows[0])
        return hash((*values[:4], *(int(n) for n in values[4:])))

    async def fingerprints(self, community_ids: Sequence[int] | None = None) -> dict[int, str]:
        """For every community with a programme (or the ones named), a digest that changes whenever its stored
        programme does, the same in every process and across restarts; one query for all of them.

        The marks are ``version``'s: titles and time zone, the import time, and the sessions' count, ids and
        revisions.
        """
        rows: list[Row] = []
        for where, params in community_filters(community_ids, column="p.community_id"):
            rows += await self._source.fetchall(
                "SELECT p.community_id, p.title, p.timezone, p.introduction, p.imported_at, COUNT(s.id) AS n, "
                "COALESCE(SUM(s.id), 0) AS ids, COALESCE(SUM(s.revision), 0) AS revisions "
                f"FROM programmes p LEFT JOIN sessions s ON s.community_id = p.community_id{where} "
                "GROUP BY p.community_id, p.title, p.timezone, p.introduction, p.imported_at",
                params,
            )
        fingerprints: dict[int, str] = {}
        for row in rows:
            values = tuple(row)
            # int(): PostgreSQL's SUM of a bigint is a numeric; the same programme must give the same digest.
            marks = repr((*values[1:5], *(int(n) for n in values[5:])))
            fingerprints[values[0]] = hashlib.sha256(marks.encode()).hexdigest()
        return fingerprints

    async def answer_counts(self, community_id: int) -> dict[int, int]:
        rows = await self._source.fetchall(
            "SELECT a.prompt_id, COUNT(*) AS n FROM answers a WHERE a.community_id = ? GROUP BY a.prompt_id",
            (community_id,),
        )
        return {row["prompt_id"]: row["n"] for row in rows}

    async def set_week_meeting_link(self, community_id: int, week: int, link: str | None) -> bool:
        """Set (or with None clear) one week's meeting link; False if the server has no such week.

        The revision goes up, as for any change to a session, so calendar apps pick up the new link.
        """
        async with own_or_joined_transaction(self._database, self._conn) as conn:
            changed = await conn.execute(
                "UPDATE sessions SET meeting_link = ?, revision = revision + 1 WHERE community_id = ? AND week = ?",
                (link, community_id, week),
            )
            return changed == 1

    async def apply(
        self,
        community_id: int,
        current: ProgrammeRecord | None,
        programme: Programme,
        plan: ImportPlan,
        now: datetime,
    ) -> None:
        """Write ``programme`` over ``current`` in the unit of work's transaction, touching only what changed."""
        conn = needs_transaction(self._conn, "apply")
        if plan.programme_details_changed:
            await conn.execute(
                "INSERT INTO programmes (community_id, title, timezone, introduction, imported_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET title = excluded.title, "
                "timezone = excluded.timezone, introduction = excluded.introduction, "
                "imported_at = excluded.imported_at",
                (community_id, programme.title, programme.timezone, programme.introduction, to_db_time(now)),
            )
        stored = {s.week: s for s in current.sessions} if current else {}
        for session in programme.sessions:
            old = stored.get(session.week)
            if old is None:
                await self._insert_session(conn, community_id, session)
            elif session_differs(old, session):
                await self._update_session(conn, old, session)
        new_weeks = {s.week for s in programme.sessions}
        for week, old in stored.items():
            if week not in new_weeks:
                await conn.execute("DELETE FROM sessions WHERE id = ?", (old.id,))

    async def _insert_session(self, conn: Connection, community_id: int, session: Session) -> None:
        session_id = await conn.fetchval(
            "INSERT INTO sessions (community_id, week, title, starts_at, ends_at, location, description, "
            "meeting_link) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                community_id,
                session.week,
                session.title,
                to_db_time(session.start),
                to_db_time(session.end),
                session.location,
                session.description,
                session.meeting_link,
            ),
        )
        await conn.executemany(
            "INSERT INTO prompts (session_id, position, text) VALUES (?, ?, ?)",
            [(session_id, n, text) for n, text in enumerate(session.prompts, start=1)],
        )

    async def _update_session(self, conn: Connection, old: SessionRecord, session: Session) -> None:
        await conn.execute(
            "UPDATE sessions SET title = ?, starts_at = ?, ends_at = ?, location = ?, description = ?, "
            "meeting_link = ?, revision = revision + 1 WHERE id = ?",
            (
                session.title,
                to_db_time(session.start),
                to_db_time(session.end),
                session.location,
                session.description,
                session.meeting_link,
                old.id,
            ),
        )
        keep = {p.text: p for p in old.prompts}
        new_texts = set(session.prompts)
        for prompt in old.prompts:
            if prompt.text not in new_texts:
                await conn.execute("DELETE FROM prompts WHERE id = ?", (prompt.id,))
        # Positions are unique per session: park kept prompts on negative positions before renumbering.
        await conn.execute("UPDATE prompts SET position = -position WHERE session_id = ?", (old.id,))
        for number, text in enumerate(session.prompts, start=1):
            if text in keep:
                await conn.execute("UPDATE prompts SET position = ? WHERE id = ?", (number, keep[text].id))
            else:
                await conn.execute(
                    "INSERT INTO prompts (session_id, position, text) VALUES (?, ?, ?)",
                    (old.id, number, text),
                )


def _programme_record(
    community_id: int, head: Row, session_rows: Sequence[Row], prompt_rows: Sequence[Row]
) -> ProgrammeRecord:
    """A stored programme from its rows: its programmes row, its sessions (in order) and their prompts (in order)."""
    weeks = {row["id"]: row["week"] for row in session_rows}
    prompts: dict[int, list[Prompt]] = {}
    for row in prompt_rows:
        prompts.setdefault(row["session_id"], []).append(
            Prompt(
                id=row["id"],
                session_id=row["session_id"],
                week=weeks[row["session_id"]],
                number=row["position"],
                text=row["text"],
            )
        )
    sessions = tuple(
        SessionRecord(
            id=row["id"],
            community_id=community_id,
            week=row["week"],
            title=row["title"],
            start=from_db_time(row["starts_at"]),
            end=from_db_time(row["ends_at"]),
            location=row["location"],
            description=row["description"],
            meeting_link=row["meeting_link"],
            prompts=tuple(prompts.get(row["id"], ())),
            revision=row["revision"],
        )
        for row in session_rows
    )
    return ProgrammeRecord(
        community_id=community_id,
        title=head["title"],
        timezone=head["timezone"],
        introduction=head["introduction"],
        sessions=sessions,
    )
