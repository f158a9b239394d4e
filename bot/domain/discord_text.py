"""Plain-text facts of Discord's message format, shared by everything that composes messages."""

from __future__ import annotations

from datetime import datetime

MESSAGE_LIMIT = 2000  # characters of content in one message


def timestamp(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp (``<t:UNIX:F>``): every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
