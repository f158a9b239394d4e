"""Participation figures with small counts suppressed.

When only a handful of members took part, a count (together with who was in the room) can tell
people who answered. Counts from 1 up to the threshold are shown as "<5" instead. Zero is shown as
it is: "nobody answered" says nothing about any one member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 5
HIDDEN = "hidden"


def display_count(contributors: int, *, threshold: int = DEFAULT_THRESHOLD) -> str:
    """``contributors`` as shown to people: ``"0"``, ``"<5"`` for 1 to 4, otherwise the number."""
    _require_threshold(threshold)
    if contributors < 0:
        raise ValueError("a count cannot be negative")
    if 0 < contributors < threshold:
        return f"<{threshold}"
    return str(contributors)


def _require_threshold(threshold: int) -> None:
    if threshold < 1:
        raise ValueError("the suppression threshold must be at least 1")


@dataclass(frozen=True, slots=True)
class DisplayedWeekStats:
    """A week's figures as text, with small counts already suppressed."""

    week: int
    title: str
    answers: str
    contributors: str
    threads_open: str
    threads_closed: str


@dataclass(frozen=True, slots=True)
class WeekStats:
    """A week's raw figures; show them to people only through ``displayed``."""

    week: int
    title: str
    answers: int
    contributors: int  # distinct members who answered
    threads_open: int
    threads_closed: int

    def displayed(self, *, threshold: int = DEFAULT_THRESHOLD) -> DisplayedWeekStats:
        """The figures with small-cell suppression applied.

        Fewer than ``threshold`` contributors hides the answer count too: "12 answers from <5
        members" would let people work out how much each one wrote. Thread counts follow the same
        rule, as a thread can belong to a single member.
        """
        _require_threshold(threshold)
        few = 0 < self.contributors < threshold
        return DisplayedWeekStats(
            week=self.week,
            title=self.title,
            answers=HIDDEN if few else display_count(self.answers, threshold=threshold),
            contributors=display_count(self.contributors, threshold=threshold),
            threads_open=display_count(self.threads_open, threshold=threshold),
            threads_closed=display_count(self.threads_closed, threshold=threshold),
        )

    def summary(self, *, threshold: int = DEFAULT_THRESHOLD) -> str:
        """One line for a stats message, e.g. ``Week 3: Title: 42 answers from 12 members, ...``."""
        shown = self.displayed(threshold=threshold)
        answers = "answers hidden" if shown.answers == HIDDEN else f"{shown.answers} answers"
        return (
            f"Week {shown.week}: {shown.title}: {answers} from {shown.contributors} members; "
            f"threads {shown.threads_open} open, {shown.threads_closed} closed"
        )


def complementary_suppression(values: Sequence[int], hidden: Sequence[bool]) -> tuple[list[bool], bool]:
    """Which of ``values`` to hide, and whether to hide their total, so no hidden value can be worked out.

    A total shown beside its parts gives a lone hidden part away by subtraction (total minus the shown parts).
    So a lone hidden part gets company: the smallest shown part above zero is hidden too (zeros would give
    nothing away and protect nothing); if there is none, the total is hidden instead. Two or more hidden
    parts only reveal their sum, never one of them. Returns (hidden parts, hide the total).
    """
    if len(values) != len(hidden):
        raise ValueError("one hidden flag per value")
    result = list(hidden)
    if sum(result) != 1:
        return result, False
    shown_above_zero = [index for index, value in enumerate(values) if not result[index] and value > 0]
    if not shown_above_zero:
        return result, True
    result[min(shown_above_zero, key=lambda index: (values[index], index))] = True
    return result, False
