"""The analysis of a conversation: who is placed, where, in which group, and what each group stands for. Pure.

Runs in a worker thread (``asyncio.to_thread``): it is numpy and scikit-learn work, never on the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from bot.domain.deliberation._groups import cluster
from bot.domain.deliberation._projection import project
from bot.domain.deliberation._statements import (
    Consensus,
    Divisive,
    Representative,
    consensus,
    divisive,
    representative,
)
from bot.domain.deliberation.matrix import StatementCounts, VoteMatrix

# A participant is placed on the map once they have voted on this many statements (or on all, if fewer).
PLACEMENT_VOTES = 7
# Fewer placed participants than this, and groups would be guesses: only the agreement counts are shown.
MIN_PARTICIPANTS_FOR_GROUPS = 10
MIN_STATEMENTS_FOR_GROUPS = 2


@dataclass(frozen=True, slots=True)
class PreviousRun:
    """What a run keeps for the next one, so that the groups and the map stay put."""

    statements: tuple[int, ...] = ()
    components: tuple[tuple[float, ...], ...] = ()  # two rows, one value per statement above
    centres: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    members: Mapping[int, int] = field(default_factory=dict)  # participant -> group id

    def components_for(self, statements: tuple[int, ...]) -> np.ndarray | None:
        """The previous axes over ``statements`` (zero where a statement is new), or None if there were none."""
        if len(self.components) != 2 or not self.statements:
            return None
        index = {statement: i for i, statement in enumerate(self.statements)}
        rows = np.zeros((2, len(statements)))
        for column, statement in enumerate(statements):
            i = index.get(statement)
            if i is not None:
                rows[0, column], rows[1, column] = self.components[0][i], self.components[1][i]
        return rows


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    members: tuple[int, ...]
    centre: tuple[float, float]
    representative: tuple[Representative, ...]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Analysis:
    counts: tuple[StatementCounts, ...]  # every statement, placed participants or not
    participants: int  # everyone who voted
    placed: tuple[int, ...]  # participants on the map
    positions: tuple[tuple[float, float], ...]  # of ``placed``, in the same order
    group_of: Mapping[int, int]  # placed participant -> group id
    groups: tuple[Group, ...]  # by id
    consensus: tuple[Consensus, ...]
    divisive: tuple[Divisive, ...]
    reason: str | None  # why there are no groups, if there are none
    next_run: PreviousRun

    @property
    def grouped(self) -> bool:
        return bool(self.groups)


def analyse(matrix: VoteMatrix, previous: PreviousRun | None = None) -> Analysis:
    """The conversation's analysis; ``previous`` (the last run's ``next_run``) keeps groups stable."""
    # One thread: the analysis already runs in a worker thread beside the bot, and numeric libraries that start a
    # thread per core fight each other (and the bot) for the cores: 20 times slower on a busy 2-core machine.
    with threadpool_limits(limits=1):
        return _analyse(matrix, previous)


def _analyse(matrix: VoteMatrix, previous: PreviousRun | None) -> Analysis:
    previous = previous or PreviousRun()
    counts = tuple(matrix.counts())
    threshold = min(PLACEMENT_VOTES, len(matrix.statements))
    voted = matrix.seen.sum(axis=1)
    placed_rows = np.flatnonzero(voted >= threshold) if threshold else np.array([], dtype=np.int64)
    placed = tuple(matrix.participants[i] for i in placed_rows)
    reason = _why_no_groups(len(placed), len(matrix.statements), threshold)
    if reason is not None:
        return Analysis(counts, len(matrix.participants), (), (), {}, (), (), (), reason, previous)

    values = matrix.values[placed_rows]
    projection = project(values, previous.components_for(matrix.statements))
    previous_centres = previous.centres if previous.components_for(matrix.statements) is not None else {}
    clustering = cluster(projection.positions, placed, previous.members, previous_centres)
    group_ids = sorted(clustering.centres)
    labels = clustering.labels
    reps = representative(values, labels, group_ids, matrix.statements)
    groups = tuple(
        Group(
            group,
            tuple(p for p, label in zip(placed, labels.tolist(), strict=True) if label == group),
            clustering.centres[group],
            reps[group],
        )
        for group in group_ids
    )
    group_of = dict(zip(placed, labels.tolist(), strict=True))
    next_run = PreviousRun(
        matrix.statements,
        tuple(tuple(float(v) for v in row) for row in projection.components),
        dict(clustering.centres),
        group_of,
    )
    return Analysis(
        counts,
        len(matrix.participants),
        placed,
        tuple((float(x), float(y)) for x, y in projection.positions),
        group_of,
        groups,
        consensus(values, labels, group_ids, matrix.statements),
        divisive(values, labels, group_ids, matrix.statements),
        None,
        next_run,
    )


def _why_no_groups(placed: int, statements: int, threshold: int) -> str | None:
    if statements < MIN_STATEMENTS_FOR_GROUPS:
        return f"Opinion groups need at least {MIN_STATEMENTS_FOR_GROUPS} statements to vote on."
    if placed < MIN_PARTICIPANTS_FOR_GROUPS:
        return (
            f"Opinion groups need at least {MIN_PARTICIPANTS_FOR_GROUPS} members who each voted on "
            f"{threshold} statements; {placed} have so far."
        )
    return None


def previous_run_to_json(run: PreviousRun) -> str:
    """``run`` as JSON, to keep in the database until the next analysis."""
    return json.dumps(
        {
            "statements": list(run.statements),
            "components": [list(row) for row in run.components],
            "centres": {str(group): list(centre) for group, centre in run.centres.items()},
            "members": {str(participant): group for participant, group in run.members.items()},
        }
    )


def previous_run_from_json(text: str | None) -> PreviousRun:
    """The run saved by ``previous_run_to_json``; an empty one if there is none or it cannot be read."""
    if not text:
        return PreviousRun()
    try:
        data = json.loads(text)
        return PreviousRun(
            tuple(int(s) for s in data["statements"]),
            tuple(tuple(float(v) for v in row) for row in data["components"]),
            {int(g): (float(c[0]), float(c[1])) for g, c in data["centres"].items()},
            {int(p): int(g) for p, g in data["members"].items()},
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return PreviousRun()  # a fresh start: the groups may be renumbered once, nothing worse
