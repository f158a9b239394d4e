"""DATABASE_URL: checking a PostgreSQL URL, and showing it without its password.

Pure string work, shared by the settings (a malformed URL is a settings error) and the engine (which names the
database in its messages). A URL is only ever logged or shown through ``redact_url``.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

POSTGRESQL_SCHEMES = ("postgresql", "postgres")


def is_postgresql_url(value: str) -> bool:
    return value.split("://", 1)[0].lower() in POSTGRESQL_SCHEMES and "://" in value


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (and nothing else changed), safe to log or show."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<a malformed database URL>"
    if password is None and "password=" not in parts.query.lower():
        return url
    netloc = parts.netloc
    if password is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}"
    query = "&".join(
        "password=***" if item.lower().startswith("password=") else item for item in parts.query.split("&")
    )
    return SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment).geturl()


def check_postgresql_url(url: str) -> str:
    """The URL if it is a usable PostgreSQL URL; else ValueError saying what is wrong (without the password)."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when it is not a number in 0..65535
    except ValueError as error:
        raise ValueError(f"DATABASE_URL is not a valid URL ({shown}): {error}") from None
    if parts.scheme.lower() not in POSTGRESQL_SCHEMES:
        raise ValueError(f"DATABASE_URL must start with postgresql:// (got {shown}); for SQLite use DATABASE_PATH")
    if not parts.hostname and "host=" not in parts.query:
        raise ValueError(f"DATABASE_URL names no server: postgresql://USER:PASSWORD@HOST:PORT/DATABASE, got {shown}")
    if port == 0:
        raise ValueError(f"DATABASE_URL has port 0 ({shown})")
    if not parts.path.strip("/"):
        raise ValueError(f"DATABASE_URL names no database: postgresql://USER:PASSWORD@HOST:PORT/DATABASE, got {shown}")
    return url
