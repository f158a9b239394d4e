"""Discussion threads: what the bot counts about them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThreadCounts:
    """Replies recorded as answers in a thread, and how many members wrote them."""

    contributions: int = 0
    contributors: int = 0
