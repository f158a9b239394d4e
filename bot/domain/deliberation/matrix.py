"""The participant × statement vote matrix that the analysis reads.

Rows are participants, columns statements; a cell is +1 (agree), -1 (disagree), 0 (pass) or NaN (not seen).
Rejected statements never enter it: the caller passes only the statements still in the conversation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]


class Vote(IntEnum):
    """A vote as Pol.is codes it."""

    AGREE = 1
    PASS = 0
    DISAGREE = -1


@dataclass(frozen=True, slots=True)
class VoteCast:
    """One participant's current vote on one statement."""

    participant: int
    statement: int
    vote: Vote


@dataclass(frozen=True, slots=True)
class VoteMatrix:
    participants: tuple[int, ...]  # row keys, in first-vote order
    statements: tuple[int, ...]  # column keys, as given
    values: FloatMatrix  # shape (participants, statements); NaN where not seen

    @classmethod
    def build(cls, votes: Iterable[VoteCast], statements: Sequence[int]) -> VoteMatrix:
        """The matrix of ``votes`` on ``statements``; votes on other statements (rejected ones) are left out.

        A later vote of the same participant on the same statement replaces the earlier one.
        """
        columns = {statement: index for index, statement in enumerate(statements)}
        if len(columns) != len(statements):
            raise ValueError("a statement is listed twice")
        rows: dict[int, int] = {}
        cells: list[tuple[int, int, float]] = []
        for cast in votes:
            column = columns.get(cast.statement)
            if column is None:
                continue
            row = rows.setdefault(cast.participant, len(rows))
            cells.append((row, column, float(cast.vote)))
        values = np.full((len(rows), len(columns)), np.nan)
        if cells:
            rows_at, columns_at, votes_at = zip(*cells, strict=True)
            values[list(rows_at), list(columns_at)] = votes_at
        return cls(tuple(rows), tuple(statements), values)

    @property
    def seen(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.values)

    def counts(self) -> list[StatementCounts]:
        """Agree, disagree and pass counts of every statement, in column order."""
        agree = (self.values == 1).sum(axis=0)
        disagree = (self.values == -1).sum(axis=0)
        passed = (self.values == 0).sum(axis=0)
        return [
            StatementCounts(statement, int(a), int(d), int(p))
            for statement, a, d, p in zip(self.statements, agree, disagree, passed, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class StatementCounts:
    statement: int
    agree: int
    disagree: int
    passed: int

    @property
    def votes(self) -> int:
        return self.agree + self.disagree + self.passed
