"""What opening, closing, status and the catch-up report back."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from bot.domain.programme import Prompt, SessionRecord
from bot.domain.threads import ThreadCounts
from bot.storage.threads import PromptThread


class Opened(Enum):
    CREATED = "created"
    ALREADY_OPEN = "already open"
    REOPENED = "reopened"
    RECREATED = "made anew (the old thread was deleted)"
    FAILED = "not created"
    NOT_REOPENED = "could not be reopened"


class Closed(Enum):
    CLOSED = "closed and locked"
    ARCHIVED = "closed (archived, not locked)"
    ALREADY_CLOSED = "already closed"
    GONE = "deleted by hand"
    NO_THREAD = "no thread"
    FAILED = "not closed"


@dataclass(frozen=True, slots=True)
class OpenOutcome:
    prompt: Prompt
    result: Opened
    thread_id: int | None
    starter_updated: bool = False  # the starter message now tells what currently happens to replies


@dataclass(frozen=True, slots=True)
class OpenReport:
    session: SessionRecord
    outcomes: tuple[OpenOutcome, ...]
    channel_id: int | None  # where new threads went (None: nothing had to be created)
    collect_replies: bool
    problems: tuple[str, ...] = ()  # why some threads were not created or reopened


@dataclass(frozen=True, slots=True)
class CloseOutcome:
    prompt: Prompt
    result: Closed
    thread_id: int | None
    counts: ThreadCounts = dataclasses.field(default_factory=ThreadCounts)
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CloseReport:
    session: SessionRecord
    outcomes: tuple[CloseOutcome, ...]


@dataclass(frozen=True, slots=True)
class CatchUpReport:
    threads: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unreadable: int = 0  # threads not caught up: the bot may not read them (nothing was removed)
    kept: int = 0  # replies not seen in a history but still on Discord: kept, and the history distrusted

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __add__(self, other: CatchUpReport) -> CatchUpReport:
        return CatchUpReport(
            self.threads + other.threads,
            self.added + other.added,
            self.updated + other.updated,
            self.removed + other.removed,
            self.unreadable + other.unreadable,
            self.kept + other.kept,
        )


@dataclass(frozen=True, slots=True)
class StatusLine:
    prompt: Prompt
    thread: PromptThread | None
    counts: ThreadCounts
