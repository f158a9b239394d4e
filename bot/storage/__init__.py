"""Storage: the database engine (SQLite or PostgreSQL), migrations and repositories. All SQL lives in this package."""

from bot.storage.engine import Database, DatabaseLockedError, open_database

__all__ = ["Database", "DatabaseLockedError", "open_database"]
