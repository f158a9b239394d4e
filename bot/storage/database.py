"""Old home of the SQLite database, kept so that imports from before ``bot.storage.engine`` keep working.

New code imports from ``bot.storage.engine``: the ``Database`` protocol and ``open_database``.
"""

from __future__ import annotations

from bot.storage.engine._api import (
    DatabaseLockedError,
    DatabaseUnavailableError,
    Params,
    ReaderRevokedError,
    ScrubIncompleteError,
    placeholders,
)
from bot.storage.engine._sqlite import BUSY_TIMEOUT_MS, READER_GRACE_SECONDS, checkpoint_truncate
from bot.storage.engine._sqlite import SqliteDatabase as Database

__all__ = [
    "BUSY_TIMEOUT_MS",
    "READER_GRACE_SECONDS",
    "Database",
    "DatabaseLockedError",
    "DatabaseUnavailableError",
    "Params",
    "ReaderRevokedError",
    "ScrubIncompleteError",
    "checkpoint_truncate",
    "placeholders",
]
