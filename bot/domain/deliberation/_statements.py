"""What each group stands for, what everyone shares, and where the groups divide.

Following Pol.is's published method (Small et al. 2021, section 2.3; compdemocracy.org/algorithms):
- agreement shares carry a pseudo-count (one agree and one disagree imagined per cell), so that 2 votes out of
  2 are not read as certainty;
- a statement represents a group when the group agrees (or disagrees) more than chance (a one-proportion
  test against one half) and more than everyone outside it (a two-proportion z-test), both significant at 90%;
- group-informed consensus is the product over groups of each group's agreement share: high only where every
  group agrees, however small;
- divisive statements are those whose agreement shares differ most between groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from bot.domain.deliberation.matrix import FloatMatrix

Z_90 = 1.2816  # one-sided 90% significance
MAX_REPRESENTATIVE = 5
MAX_CONSENSUS = 5
MAX_DIVISIVE = 5
Direction = Literal["agree", "disagree"]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Representative:
    statement: int
    direction: Direction
    share_inside: float  # of the group's votes on it, with the pseudo-count
    share_outside: float
    z_inside: float  # against one half
    z_against_outside: float


@dataclass(frozen=True, slots=True)
class Consensus:
    statement: int
    direction: Direction
    score: float  # product of every group's share


@dataclass(frozen=True, slots=True)
class Divisive:
    statement: int
    spread: float  # highest minus lowest group agreement share
    shares: tuple[float, ...]  # each group's agreement share, in group order


@dataclass(frozen=True, slots=True)
class _Tallies:
    agree: FloatMatrix  # (groups, statements)
    disagree: FloatMatrix
    seen: FloatMatrix


def _tallies(values: FloatMatrix, labels: IntArray, groups: Sequence[int]) -> _Tallies:
    masks = [labels == group for group in groups]
    return _Tallies(
        np.array([(values[mask] == 1).sum(axis=0) for mask in masks], dtype=np.float64),
        np.array([(values[mask] == -1).sum(axis=0) for mask in masks], dtype=np.float64),
        np.array([(~np.isnan(values[mask])).sum(axis=0) for mask in masks], dtype=np.float64),
    )


def _share(successes: FloatMatrix, seen: FloatMatrix) -> FloatMatrix:
    return (successes + 1) / (seen + 2)


def _one_proportion_z(successes: FloatMatrix, seen: FloatMatrix) -> FloatMatrix:
    share = _share(successes, seen)
    return (share - 0.5) / np.sqrt(0.25 / (seen + 2))


def _two_proportion_z(s1: FloatMatrix, n1: FloatMatrix, s2: FloatMatrix, n2: FloatMatrix) -> FloatMatrix:
    p1, p2 = _share(s1, n1), _share(s2, n2)
    pooled = (s1 + s2 + 2) / (n1 + n2 + 4)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / (n1 + 2) + 1 / (n2 + 2)))
    return np.divide(p1 - p2, spread, out=np.zeros_like(p1), where=spread > 0)


def representative(
    values: FloatMatrix, labels: IntArray, groups: Sequence[int], statements: Sequence[int]
) -> dict[int, tuple[Representative, ...]]:
    """Each group's representative statements, strongest first (at most ``MAX_REPRESENTATIVE``)."""
    tallies = _tallies(values, labels, groups)
    result: dict[int, tuple[Representative, ...]] = {}
    for g, group in enumerate(groups):
        found: list[tuple[float, Representative]] = []
        for direction, successes in (("agree", tallies.agree), ("disagree", tallies.disagree)):
            inside, seen_inside = successes[g], tallies.seen[g]
            outside = successes.sum(axis=0) - inside
            seen_outside = tallies.seen.sum(axis=0) - seen_inside
            share_in, share_out = _share(inside, seen_inside), _share(outside, seen_outside)
            z_in = _one_proportion_z(inside, seen_inside)
            z_out = _two_proportion_z(inside, seen_inside, outside, seen_outside)
            significant = (z_in > Z_90) & (z_out > Z_90) & (inside > 0)
            for column in np.flatnonzero(significant):
                # Pol.is ranks by ratio x its test x share x its test: strong, distinctive and well supported.
                metric = (share_in[column] / share_out[column]) * z_out[column] * share_in[column] * z_in[column]
                found.append(
                    (
                        float(metric),
                        Representative(
                            statements[int(column)],
                            direction,  # type: ignore[arg-type]
                            float(share_in[column]),
                            float(share_out[column]),
                            float(z_in[column]),
                            float(z_out[column]),
                        ),
                    )
                )
        found.sort(key=lambda item: (-item[0], item[1].statement))
        result[group] = tuple(rep for _, rep in found[:MAX_REPRESENTATIVE])
    return result


def consensus(
    values: FloatMatrix, labels: IntArray, groups: Sequence[int], statements: Sequence[int]
) -> tuple[Consensus, ...]:
    """Statements every group agrees on (or every group rejects), by group-informed consensus."""
    tallies = _tallies(values, labels, groups)
    found: list[Consensus] = []
    for direction, successes in (("agree", tallies.agree), ("disagree", tallies.disagree)):
        shares = _share(successes, tallies.seen)
        scores = shares.prod(axis=0)
        # Only where each group leans that way more often than not: a product can be high from one group alone
        # only when there are few groups, and "consensus" must mean every group.
        everyone = (shares > 0.5).all(axis=0) & (successes.sum(axis=0) > 0)
        for column in np.flatnonzero(everyone):
            found.append(Consensus(statements[int(column)], direction, float(scores[column])))  # type: ignore[arg-type]
    found.sort(key=lambda item: (-item.score, item.statement))
    return tuple(found[:MAX_CONSENSUS])


def divisive(
    values: FloatMatrix, labels: IntArray, groups: Sequence[int], statements: Sequence[int]
) -> tuple[Divisive, ...]:
    """Statements on which the groups' agreement differs most."""
    tallies = _tallies(values, labels, groups)
    decided = tallies.agree + tallies.disagree
    shares = _share(tallies.agree, decided)
    spread = shares.max(axis=0) - shares.min(axis=0)
    # A statement some group has not voted on cannot show that group's view.
    voted_by_all = (decided > 0).all(axis=0)
    order = sorted((int(c) for c in np.flatnonzero(voted_by_all)), key=lambda c: (-spread[c], statements[c]))
    return tuple(
        Divisive(statements[c], float(spread[c]), tuple(float(s) for s in shares[:, c]))
        for c in order[:MAX_DIVISIVE]
        if spread[c] > 0
    )
