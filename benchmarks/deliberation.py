"""Deliberation analysis: agreement with Pol.is's own opinion groups on two real conversations, beside red-dwarf
(a Python reimplementation of Pol.is, the benchmark-only extra ``.[bench]``) on the same votes; planted groups in
synthetic votes; the analysis's time beside a plain PCA of the same matrix.

Real data: shared/polis-open-data. Data was gathered using the Polis software (compdemocracy.org/polis) and is
sub-licensed under CC BY 4.0 with Attribution to The Computational Democracy Project
(https://compdemocracy.org/case-studies/2014-seattle-15-per-hour,
https://compdemocracy.org/case-studies/2022-london-youth-policing).
"""

from __future__ import annotations

import asyncio
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from benchmarks.common import Figure
from bot.domain.deliberation import Vote, VoteCast, VoteMatrix, analyse
from bot.domain.deliberation.polis import PolisConversation, read_polis
from tests.polis_data import CONVERSATIONS, polis_data, polis_groups


def _load(folder: Path) -> PolisConversation:
    return read_polis((folder / "comments.csv").read_text(), (folder / "votes.csv").read_text())


def ours(exported: PolisConversation) -> dict[int, int]:
    statements = [c.id for c in exported.comments if c.moderated != -1]
    matrix = VoteMatrix.build((VoteCast(v.participant, v.statement, v.vote) for v in exported.votes), statements)
    return dict(analyse(matrix).group_of)


def red_dwarf(exported: PolisConversation) -> dict[int, int]:
    try:
        from reddwarf.implementations.polis import run_pipeline
    except ImportError as error:
        raise SystemExit("the deliberation benchmark needs red-dwarf: pip install -e '.[bench]'") from error
    votes = [
        {"participant_id": v.participant, "statement_id": v.statement, "vote": int(v.vote), "modified": i}
        for i, v in enumerate(exported.votes)
    ]
    rejected = [c.id for c in exported.comments if c.moderated == -1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_pipeline(votes=votes, mod_out_statement_ids=rejected, random_state=0)
    labels = result.participants_df["cluster_id"].dropna()  # NA: a participant red-dwarf did not group
    return {int(p): int(label) for p, label in labels.items() if int(label) >= 0}


def ari(truth: dict[int, int], found: dict[int, int]) -> float:
    """Over the participants Pol.is grouped; one not grouped by the method counts as a group of its own."""
    participants = sorted(truth)
    return float(adjusted_rand_score([truth[p] for p in participants], [found.get(p, -1 - p) for p in participants]))


def planted(
    participants: int, statements: int, groups: int, missing: float, seed: int = 11
) -> tuple[VoteMatrix, list[int]]:
    """Planted opinion groups: each group has its own view of every statement and votes it 85% of the time."""
    rng = np.random.default_rng(seed)
    views = rng.choice([-1, 1], size=(groups, statements))
    truth = rng.integers(0, groups, size=participants)
    faithful = rng.random((participants, statements)) < 0.85
    votes_of = np.where(faithful, views[truth], -views[truth])
    seen = rng.random((participants, statements)) >= missing
    rows, columns = np.nonzero(seen)
    casts = [VoteCast(int(r), int(c), Vote(int(votes_of[r, c]))) for r, c in zip(rows, columns, strict=True)]
    return VoteMatrix.build(casts, list(range(statements))), truth.tolist()


def plain_pca(matrix: VoteMatrix, k: int) -> tuple[list[int], float, float]:
    """Missing votes as 0, a 2-D PCA, k-means with the true k: labels, PCA time, PCA + k-means time. On one
    thread, as the analysis runs, so the times compare."""
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        positions = PCA(n_components=2, random_state=0).fit_transform(np.nan_to_num(matrix.values))
        pca_time = time.perf_counter() - started
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(positions)
        return labels.tolist(), pca_time, time.perf_counter() - started


async def run(quick: bool = False) -> list[Figure]:
    return await asyncio.to_thread(_run, quick)


def _run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for name in CONVERSATIONS:
        folder = polis_data() / name
        exported = _load(folder)
        truth = polis_groups(folder)
        figures.append(
            Figure(
                "deliberation",
                "ARI against Pol.is's groups",
                f"{name} ({len(truth)} grouped)",
                ari(truth, ours(exported)),
                ari(truth, red_dwarf(exported)),
                "ARI",
                "ahead of red-dwarf (ratio > 1)",
                "red-dwarf 0.4.0",
            )
        )
    participants, statements = (400, 100) if quick else (2000, 500)
    matrix, truth = planted(participants, statements, 3, 0.7)
    timings = []
    for _ in range(1 if quick else 3):
        started = time.perf_counter()
        result = analyse(matrix)
        timings.append(time.perf_counter() - started)
    labels = [result.group_of.get(p, -1) for p in range(participants)]
    plain_labels, pca_time, _ = plain_pca(matrix, 3)
    size = f"{participants:,} × {statements}, 70% missing, 3 groups"
    figures += [
        Figure(
            "deliberation",
            "planted groups recovered (ARI)",
            size,
            float(adjusted_rand_score(truth, labels)),
            float(adjusted_rand_score(truth, plain_labels)),
            "ARI",
            "≥ 0.9",
            "plain PCA + k-means, true k",
        ),
        Figure("deliberation", "analysis time", size, min(timings), pca_time, "s", "(reported)", "plain 2-D PCA"),
    ]
    return figures


if __name__ == "__main__":
    for figure in _run(quick=False):
        print(figure)
