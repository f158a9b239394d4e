"""The erasure records: which members erased their data in a community, and when, kept under a keyed pseudonym.

A member who erases their data (/mydata delete) leaves one row in ``erasures``: the community, ``member_key`` and
the time. Their messages in discussion threads are still on the platform, and the catch-up after every restart
reads them again: a message posted at or before its author's erasure is never recorded again (storage/threads.py,
and members.py for the Interested clicks).

``member_key`` is HMAC-SHA256 of the (community, member) ids under the erasure key
(``bot.domain.pseudonyms.erasure_pseudonym``). The bot recomputes it from the author of each message it reads;
the table alone does not say who erased their data, nor match one member's records across communities.

Why not the export secret: an operator may set or change EXPORT_SECRET (so that new exports no longer match old
ones), and a changed erasure key would silently unmatch every record, undoing every erasure. So the erasure key is
the deployment's own: generated once, kept in ``bot_state`` (backed up and copied with the records it keys), and
never rotated. It protects the records from whoever reads the table, a copy of it or a log of it without
``bot_state``; someone holding the whole database can still test a member id they already know.

The key is created in the transaction that converts the rows migration 0014 carried over (``unkeyed:<id>``), so
its presence records that the conversion was done: once, under the write lock (on PostgreSQL the global lock,
exclusively), so two processes starting together agree on one key. Once rows are keyed, a missing or damaged key
is an error that changes nothing, never replaced: a new key would make every record miss its member.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.errors import SettingsError, UserFacingError
from bot.domain.pseudonyms import (
    MIN_SECRET_BYTES,
    erasure_pseudonym,
    new_secret,
    secret_from_text,
    secret_to_text,
)
from bot.storage.engine import Connection, Database

log = logging.getLogger(__name__)

ERASURE_KEY = "erasure_key"  # its row in bot_state: the key as hex
UNKEYED = "unkeyed:"  # a member_key migration 0014 carried over from the raw id, until the bot converts it

_RESTORE = (
    "Restore bot_state's 'erasure_key' row from a backup of this database. Do not replace it with a new key: the "
    "erased members' old messages in discussion threads would then be recorded again."
)


class ErasureKeyError(UserFacingError):
    """The erasure key cannot be used: what is wrong (``problem``) and how to put it right (``fix``), each a
    sentence, so that ``python -m bot check`` can show them as a finding."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} {fix} Nothing was changed.")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True, slots=True)
class ErasureKeyState:
    """What the start would find (``ErasureRecords.inspect``): whether the key exists yet, and how many erasure
    records migration 0014 carried over are waiting to be keyed when it is created."""

    created: bool
    to_convert: int = 0


class ErasureRecords:
    """The erasure key of one database, read once (it never changes) and kept for the life of this object."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._secret: bytes | None = None

    async def secret(self) -> bytes:
        """The key; the first call creates it, converting migration 0014's rows, if no process has yet. Call it
        outside a transaction (it may write)."""
        if self._secret is None:
            await self.prepare()
        assert self._secret is not None
        return self._secret

    async def member_key(self, community_id: int, user_id: int) -> str:
        return erasure_pseudonym(await self.secret(), community_id, user_id)

    async def member_keys(self, community_id: int, user_ids: Iterable[int]) -> dict[str, int]:
        """Each member's ``member_key`` in the community, mapped back to their id."""
        secret = await self.secret()
        return {erasure_pseudonym(secret, community_id, user_id): user_id for user_id in user_ids}

    async def inspect(self) -> ErasureKeyState:
        """What ``prepare`` would find, only reading: raises the ErasureKeyError the start would stop with, if any
        (for ``python -m bot check``, which changes nothing)."""
        stored = await self._db.fetchval("SELECT value FROM bot_state WHERE key = ?", (ERASURE_KEY,))
        if stored is not None:
            _parsed(stored)
            return ErasureKeyState(created=True)
        rows = await self._db.fetchall("SELECT community_id, member_key FROM erasures")
        # Converted under a throwaway key, never stored: the same checks as the start's conversion, nothing written.
        carried = _carried_over(
            new_secret(), [(int(community_id), str(member_key)) for community_id, member_key in rows]
        )
        return ErasureKeyState(created=False, to_convert=len(carried))

    async def prepare(self) -> int:
        """Read the key, or create it and convert the records migration 0014 carried over; the number of records
        converted (0 unless this call did it). Raises ErasureKeyError, changing nothing, if the key is damaged,
        or missing while records keyed by it exist."""
        if self._secret is not None:
            return 0
        stored = await self._db.fetchval("SELECT value FROM bot_state WHERE key = ?", (ERASURE_KEY,))
        if stored is not None:
            self._secret = _parsed(stored)
            return 0
        # A write transaction of no community: on PostgreSQL every process's writes wait, so one creates the key.
        async with self._db.transaction() as conn:
            stored = await conn.fetchval("SELECT value FROM bot_state WHERE key = ?", (ERASURE_KEY,))
            if stored is not None:
                secret, converted = _parsed(stored), 0
            else:
                secret = new_secret()
                converted = await self._convert(conn, secret)
                await conn.execute(
                    "INSERT INTO bot_state (key, value) VALUES (?, ?)", (ERASURE_KEY, secret_to_text(secret))
                )
        if converted:
            log.info("the erasure records now hold keyed pseudonyms, not member ids (%d converted)", converted)
            # SQLite: secure_delete zeroed the old rows in the file (migration 0014's dropped table's too), and
            # this truncates the write-ahead log, which still holds them. PostgreSQL: TRUNCATE gave the table a new
            # file, and 0014's DROP TABLE removed the old one's.
            if self._db.engine == "sqlite" and not await self._db.try_scrub():
                log.warning("the write-ahead log could not be truncated after the conversion; a later checkpoint will")
        self._secret = secret
        return converted

    async def _convert(self, conn: Connection, secret: bytes) -> int:
        rows = [tuple(row) for row in await conn.fetchall("SELECT community_id, member_key, erased_at FROM erasures")]
        member_keys = _carried_over(
            secret, [(int(community_id), str(member_key)) for community_id, member_key, _ in rows]
        )
        if not rows:
            return 0
        keyed: dict[tuple[int, str], str] = {}
        for (community_id, _, erased_at), member_key in zip(rows, member_keys, strict=True):
            key = (int(community_id), member_key)
            keyed[key] = max(keyed.get(key, erased_at), erased_at)  # fixed-width UTC text: text order is time order
        # Rewritten whole, so that the ids leave the files: on PostgreSQL, TRUNCATE gives the table a new file
        # (the old one goes at commit) where a DELETE would leave dead rows behind; SQLite's secure_delete zeroes.
        await conn.execute("TRUNCATE erasures" if self._db.engine == "postgresql" else "DELETE FROM erasures")
        await conn.executemany(
            "INSERT INTO erasures (community_id, member_key, erased_at) VALUES (?, ?, ?)",
            [(community_id, member_key, erased_at) for (community_id, member_key), erased_at in keyed.items()],
        )
        return len(rows)


def _parsed(stored: object) -> bytes:
    try:
        return secret_from_text(str(stored))
    except SettingsError:
        raise ErasureKeyError(
            f"The erasure key in the database (bot_state's '{ERASURE_KEY}' row) is damaged: it should be "
            f"{MIN_SECRET_BYTES * 2} or more hexadecimal digits.",
            _RESTORE,
        ) from None


def _carried_over(secret: bytes, rows: Iterable[tuple[int, str]]) -> list[str]:
    """The ``member_key`` under ``secret`` of each record migration 0014 carried over (``unkeyed:<id>``), in order.
    Raises ErasureKeyError if a record is keyed already (so its key is missing) or a carried-over one is damaged."""
    rows = list(rows)
    if any(not member_key.startswith(UNKEYED) for _, member_key in rows):
        raise ErasureKeyError("The erasure key is missing from the database, but the erasure records use it.", _RESTORE)
    return [_converted(secret, community_id, member_key) for community_id, member_key in rows]


def _converted(secret: bytes, community_id: int, member_key: str) -> str:
    text = member_key.removeprefix(UNKEYED)
    digits = text.removeprefix("-")
    try:
        # Written by migration 0014 from an INTEGER column: anything else was put there by hand.
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("not an id")
        return erasure_pseudonym(secret, community_id, int(text))
    except ValueError:
        raise ErasureKeyError(
            f"An erasure record the upgrade carried over in community {community_id} is damaged (its member is not a "
            "platform id).",
            "Fix or delete that row of the erasures table, then start the bot again.",
        ) from None
