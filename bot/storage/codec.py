"""How values cross into SQLite: datetimes as fixed-width ISO-8601 UTC text, so text order is time order."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# An unpadded year ("221-01-04T..."), written by an older version for years before 1000; read, never written.
_SHORT_YEAR = re.compile(r"^([0-9]{1,3})-")


def to_db_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ``, always 27 characters.

    Built by hand rather than with strftime, whose ``%Y`` does not pad years before 1000 on Linux: such a
    value could not be read back, and one stored date then broke every programme command and the start-up.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("only aware datetimes are stored")
    u = moment.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"


def from_db_time(text: str) -> datetime:
    # fromisoformat reads the 'Z' suffix (Python 3.11+) and is many times faster than strptime,
    # which dominated reading 100,000 answers for an export.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        padded = _SHORT_YEAR.sub(lambda match: f"{int(match[1]):04d}-", text)
        if padded == text:
            raise
        return datetime.fromisoformat(padded)


def optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)
