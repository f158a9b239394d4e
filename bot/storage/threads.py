"""Prompt threads, and the answers members give by replying in them.

``prompt_threads`` holds one row per prompt whose discussion thread (or forum post) is open or was closed.
A reply in such a thread is a row of ``answers`` with ``source = 'thread'`` and the reply's ``message_id``:
each message is its own contribution, so one member can have several per prompt. An edit keeps the text
it replaces in ``answer_versions`` (with the time that text was recorded); a deletion removes the row and,
by cascade, its versions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal

from bot.domain.member_data import AnswerVersion
from bot.domain.pseudonyms import erasure_pseudonym
from bot.domain.threads import ThreadCounts
from bot.storage.answers import answer_versions
from bot.storage.codec import from_db_time, optional_time, to_db_time
from bot.storage.engine import Connection, Database, Row, placeholders
from bot.storage.erasures import ErasureRecords

ThreadState = Literal["open", "closed"]


@dataclass(frozen=True, slots=True)
class PromptThread:
    """The thread opened for one prompt."""

    prompt_id: int
    community_id: int
    parent_channel_id: int  # the text or forum channel the thread is in
    thread_id: int
    starter_channel_id: int | None  # where the starter message is (the parent, or the thread for a forum post)
    starter_message_id: int | None
    state: ThreadState
    collect_replies: bool  # what the starter message promised: replies are recorded as answers
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """What a message in a prompt thread would be recorded against."""

    community_id: int
    prompt_id: int
    thread_id: int
    state: ThreadState
    collect_replies: bool
    session_end: datetime
    answer_window: timedelta | None = None  # the server's; None: answers are always on time

    @property
    def collecting(self) -> bool:
        return self.state == "open" and self.collect_replies


@dataclass(frozen=True, slots=True)
class Contribution:
    """One reply in a prompt thread, as stored."""

    id: int
    community_id: int
    prompt_id: int
    user_id: int
    message_id: int
    text: str
    created_at: datetime
    updated_at: datetime
    late: bool


class EditOutcome(Enum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    MISSING = "missing"  # no contribution for that message


_THREAD_COLUMNS = (
    "t.prompt_id, t.community_id, t.parent_channel_id, t.thread_id, t.starter_channel_id, t.starter_message_id, "
    "t.state, t.collect_replies, t.opened_at, t.closed_at"
)


def _thread(row: Row) -> PromptThread:
    return PromptThread(
        prompt_id=row["prompt_id"],
        community_id=row["community_id"],
        parent_channel_id=row["parent_channel_id"],
        thread_id=row["thread_id"],
        starter_channel_id=row["starter_channel_id"],
        starter_message_id=row["starter_message_id"],
        state=row["state"],
        collect_replies=bool(row["collect_replies"]),
        opened_at=from_db_time(row["opened_at"]),
        closed_at=optional_time(row["closed_at"]),
    )


def _contribution(row: Row) -> Contribution:
    return Contribution(
        id=row["id"],
        community_id=row["community_id"],
        prompt_id=row["prompt_id"],
        user_id=row["user_id"],
        message_id=row["message_id"],
        text=row["text"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        late=bool(row["late"]),
    )


class ThreadRepository:
    """The prompt_threads table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def for_prompts(self, prompt_ids: Sequence[int]) -> dict[int, PromptThread]:
        """The threads of these prompts, by prompt id (prompts without one are absent)."""
        if not prompt_ids:
            return {}
        rows = await self._db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM prompt_threads t WHERE t.prompt_id IN ({placeholders(prompt_ids)})",
            tuple(prompt_ids),
        )
        return {row["prompt_id"]: _thread(row) for row in rows}

    async def for_week(self, community_id: int, week: int) -> list[PromptThread]:
        """The threads of one week's prompts, in prompt order."""
        rows = await self._db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM prompt_threads t JOIN prompts p ON p.id = t.prompt_id "
            "JOIN sessions s ON s.id = p.session_id WHERE s.community_id = ? AND s.week = ? ORDER BY p.position",
            (community_id, week),
        )
        return [_thread(row) for row in rows]

    async def for_community(self, community_id: int) -> list[PromptThread]:
        rows = await self._db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM prompt_threads t WHERE t.community_id = ? "
            "ORDER BY t.opened_at, t.prompt_id",
            (community_id,),
        )
        return [_thread(row) for row in rows]

    async def by_thread_id(self, thread_id: int) -> PromptThread | None:
        row = await self._db.fetchone(
            f"SELECT {_THREAD_COLUMNS} FROM prompt_threads t WHERE t.thread_id = ?", (thread_id,)
        )
        return _thread(row) if row else None

    async def reply_target(self, thread_id: int) -> ReplyTarget | None:
        """The prompt a message in ``thread_id`` belongs to, or None if it is not a prompt thread."""
        row = await self._db.fetchone(
            # The answer window comes along: one query per reply instead of two.
            "SELECT t.community_id, t.prompt_id, t.thread_id, t.state, t.collect_replies, s.ends_at, "
            "g.answer_window_minutes FROM prompt_threads t JOIN prompts p ON p.id = t.prompt_id "
            "JOIN sessions s ON s.id = p.session_id LEFT JOIN community_settings g ON g.community_id = t.community_id "
            "WHERE t.thread_id = ?",
            (thread_id,),
        )
        if row is None:
            return None
        return ReplyTarget(
            community_id=row["community_id"],
            prompt_id=row["prompt_id"],
            thread_id=row["thread_id"],
            state=row["state"],
            collect_replies=bool(row["collect_replies"]),
            session_end=from_db_time(row["ends_at"]),
            answer_window=(
                timedelta(minutes=row["answer_window_minutes"]) if row["answer_window_minutes"] is not None else None
            ),
        )

    async def save(self, thread: PromptThread) -> None:
        """Store the thread of a prompt, replacing the one it had (a thread deleted by hand and made anew)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO prompt_threads (prompt_id, community_id, parent_channel_id, thread_id, "
                "starter_channel_id, "
                "starter_message_id, state, collect_replies, opened_at, closed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (prompt_id) DO UPDATE SET "
                "community_id = excluded.community_id, parent_channel_id = excluded.parent_channel_id, "
                "thread_id = excluded.thread_id, starter_channel_id = excluded.starter_channel_id, "
                "starter_message_id = excluded.starter_message_id, state = excluded.state, "
                "collect_replies = excluded.collect_replies, opened_at = excluded.opened_at, "
                "closed_at = excluded.closed_at",
                (
                    thread.prompt_id,
                    thread.community_id,
                    thread.parent_channel_id,
                    thread.thread_id,
                    thread.starter_channel_id,
                    thread.starter_message_id,
                    thread.state,
                    int(thread.collect_replies),
                    to_db_time(thread.opened_at),
                    to_db_time(thread.closed_at) if thread.closed_at else None,
                ),
            )

    async def reopen(self, prompt_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE prompt_threads SET state = 'open', closed_at = NULL WHERE prompt_id = ?", (prompt_id,)
            )

    async def close(self, prompt_id: int, at: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE prompt_threads SET state = 'closed', closed_at = ? WHERE prompt_id = ?",
                (to_db_time(at), prompt_id),
            )

    async def set_collect_replies(self, prompt_id: int, collect: bool) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE prompt_threads SET collect_replies = ? WHERE prompt_id = ?", (int(collect), prompt_id)
            )

    async def forget(self, thread_id: int) -> bool:
        """Drop the row of a thread that no longer exists on Discord. Its contributions stay answers."""
        async with self._db.transaction() as conn:
            return await conn.execute("DELETE FROM prompt_threads WHERE thread_id = ?", (thread_id,)) > 0

    async def counts(self, prompt_ids: Sequence[int]) -> dict[int, ThreadCounts]:
        """Contributions made in threads, and how many members made them, per prompt."""
        if not prompt_ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT prompt_id, COUNT(*) AS contributions, COUNT(DISTINCT user_id) AS contributors FROM answers "
            f"WHERE source = 'thread' AND prompt_id IN ({placeholders(prompt_ids)}) GROUP BY prompt_id",
            tuple(prompt_ids),
        )
        found = {row["prompt_id"]: ThreadCounts(row["contributions"], row["contributors"]) for row in rows}
        return {prompt_id: found.get(prompt_id, ThreadCounts()) for prompt_id in prompt_ids}


# (community_id, prompt_id, user_id, message_id, text, stamp, late, posted) of a reply waiting to be written;
# stamp is the answer's time, posted when the member posted the message (earlier for an edit recorded late).
_Reply = tuple[int, int, int, int, str, str, int, str]
GROUP_COMMIT_LIMIT = 500  # replies written in one transaction at most


class ContributionRepository:
    """Thread replies in the answers table (``source = 'thread'``), with their versions and the consent row.

    Replies are written with group commit: replies that arrive while a write is under way share the next
    transaction, so a busy thread costs one commit (and one fsync) per batch rather than per message. Each
    caller still returns only once its own reply is committed.

    A message posted at or before its author erased their data (``erasures``, found by the author's pseudonym: see
    storage/erasures.py), or at or before retention deleted the server's answers (``retention_cutoffs``), is never
    recorded: it is still on the platform, and the catch-up after every restart reads it again. Checked in the
    writing transaction, so an erasure committed while a catch-up was reading the thread still wins.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._erasures = ErasureRecords(db)
        self._waiting: list[tuple[_Reply, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(
        self,
        *,
        community_id: int,
        prompt_id: int,
        user_id: int,
        message_id: int,
        text: str,
        at: datetime,
        late: bool,
        posted_at: datetime | None = None,
    ) -> bool:
        """Record a reply (and the member's consent, if not yet recorded) as an answer written ``at``.

        ``posted_at`` is when the member posted the message (``at`` unless not given). False if the message
        was already recorded, or was posted before its author's erasure or the server's retention deletion.
        """
        stamp, posted = to_db_time(at), to_db_time(posted_at or at)
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(((community_id, prompt_id, user_id, message_id, text, stamp, int(late), posted), done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), name="thread-replies-group-commit")
        return await asyncio.shield(done)  # a cancelled caller must not cancel the others' write

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:GROUP_COMMIT_LIMIT], self._waiting[GROUP_COMMIT_LIMIT:]
            try:
                results = await self._write([reply for reply, _ in batch])
            except Exception:
                # One bad reply (its prompt deleted a moment ago, say) must not sink the others: one by one.
                for reply, done in batch:
                    try:
                        outcome = (await self._write([reply]))[0]
                    except Exception as error:
                        done.set_exception(error)
                    else:
                        done.set_result(outcome)
                continue
            for (_, done), outcome in zip(batch, results, strict=True):
                done.set_result(outcome)

    async def _write(self, replies: list[_Reply]) -> list[bool]:
        ids = [reply[3] for reply in replies]
        communities = {reply[0] for reply in replies}
        secret = await self._erasures.secret()  # before the transaction: the first use may write
        # One community's replies (the usual batch) run beside other communities' writes; a mixed batch locks all.
        async with self._db.transaction(communities.pop() if len(communities) == 1 else None) as conn:
            known = {
                row[0]
                for row in await conn.fetchall(
                    f"SELECT message_id FROM answers WHERE message_id IN ({placeholders(ids)})", ids
                )
            }
            deleted = await self._deleted_since_posted(conn, replies, secret)
            fresh: list[_Reply] = []
            outcomes = []
            for reply in replies:
                is_new = reply[3] not in known and reply[3] not in deleted
                known.add(reply[3])
                outcomes.append(is_new)
                if is_new:
                    fresh.append(reply)
            await conn.executemany(
                "INSERT INTO answers (community_id, prompt_id, user_id, source, message_id, text, created_at, "
                "updated_at, late) VALUES (?, ?, ?, 'thread', ?, ?, ?, ?, ?)",
                [(g, p, u, m, text, stamp, stamp, late) for g, p, u, m, text, stamp, late, _ in fresh],
            )
            # The starter message told them replies are collected; replying is their informed choice.
            await conn.executemany(
                "INSERT INTO consents (community_id, user_id, consented_at) VALUES (?, ?, ?) "
                "ON CONFLICT (community_id, user_id) DO NOTHING",
                [(g, u, stamp) for g, _, u, _, _, stamp, _, _ in fresh],
            )
        return outcomes

    @staticmethod
    async def _deleted_since_posted(conn: Connection, replies: list[_Reply], secret: bytes) -> set[int]:
        """The ids of the messages among ``replies`` posted at or before their author erased their data, or
        at or before retention deleted their server's answers: not to be recorded again."""
        guilds = sorted({reply[0] for reply in replies})
        # An erasure record names its member by their pseudonym in the community (storage/erasures.py).
        member_keys = {(g, u): erasure_pseudonym(secret, g, u) for g, _, u, *_ in replies}
        keys = sorted(set(member_keys.values()))
        # One trip: a member's erasure, or (member_key NULL) a deletion that covered everyone in the server.
        deleted_at: dict[tuple[int, str | None], str] = {
            (row[0], row[1]): row[2]
            for row in await conn.fetchall(
                "SELECT community_id, member_key, erased_at FROM erasures "
                f"WHERE community_id IN ({placeholders(guilds)}) AND member_key IN ({placeholders(keys)}) "
                "UNION ALL SELECT community_id, NULL, deleted_at FROM retention_cutoffs "
                f"WHERE community_id IN ({placeholders(guilds)})",
                [*guilds, *keys, *guilds],
            )
        }
        deleted = set()
        for community_id, _, user_id, message_id, *_, posted in replies:
            for key in ((community_id, member_keys[community_id, user_id]), (community_id, None)):
                since = deleted_at.get(key)
                if since is not None and posted <= since:  # fixed-width UTC text: text order is time order
                    deleted.add(message_id)
        return deleted

    async def edit(self, message_id: int, text: str, at: datetime, *, late: bool) -> EditOutcome:
        """Replace the text of a recorded reply, keeping the old text (with when it was recorded) as a version.

        ``late`` follows the text the organisers will read, as for answers given in the form.
        """
        async with self._db.transaction() as conn:
            row = await conn.fetchone(
                "SELECT id, text, updated_at FROM answers WHERE message_id = ? AND source = 'thread'", (message_id,)
            )
            if row is None:
                return EditOutcome.MISSING
            if row["text"] == text:
                return EditOutcome.UNCHANGED
            await conn.execute(
                "INSERT INTO answer_versions (answer_id, text, recorded_at) VALUES (?, ?, ?)",
                (row["id"], row["text"], row["updated_at"]),
            )
            await conn.execute(
                "UPDATE answers SET text = ?, updated_at = ?, late = ? WHERE id = ?",
                (text, to_db_time(at), int(late), row["id"]),
            )
        return EditOutcome.UPDATED

    async def remove(self, message_ids: Iterable[int]) -> int:
        """Delete the replies of these messages (and their versions); returns how many there were."""
        ids = list(message_ids)
        if not ids:
            return 0
        async with self._db.transaction() as conn:
            return await conn.execute(
                f"DELETE FROM answers WHERE source = 'thread' AND message_id IN ({placeholders(ids)})", tuple(ids)
            )

    async def get(self, message_id: int) -> Contribution | None:
        row = await self._db.fetchone(
            "SELECT id, community_id, prompt_id, user_id, message_id, text, created_at, updated_at, late FROM answers "
            "WHERE message_id = ? AND source = 'thread'",
            (message_id,),
        )
        return _contribution(row) if row else None

    async def for_prompt(self, prompt_id: int) -> list[Contribution]:
        rows = await self._db.fetchall(
            "SELECT id, community_id, prompt_id, user_id, message_id, text, created_at, updated_at, late FROM answers "
            "WHERE prompt_id = ? AND source = 'thread' ORDER BY created_at, id",
            (prompt_id,),
        )
        return [_contribution(row) for row in rows]

    async def for_thread(self, prompt_id: int, thread_id: int) -> list[Contribution]:
        """The replies to a prompt posted in the thread ``thread_id``: its messages' ids come after its own."""
        rows = await self._db.fetchall(
            "SELECT id, community_id, prompt_id, user_id, message_id, text, created_at, updated_at, late FROM answers "
            "WHERE prompt_id = ? AND source = 'thread' AND message_id > ? ORDER BY message_id",
            (prompt_id, thread_id),
        )
        return [_contribution(row) for row in rows]

    async def versions(self, answer_id: int) -> list[AnswerVersion]:
        """Earlier texts of a reply, oldest first."""
        return await answer_versions(self._db, answer_id)
