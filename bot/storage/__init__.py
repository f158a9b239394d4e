"""SQLite storage: the connection, migrations and repositories. All SQL lives in this package."""

from bot.storage.database import Database, DatabaseLockedError

__all__ = ["Database", "DatabaseLockedError"]
