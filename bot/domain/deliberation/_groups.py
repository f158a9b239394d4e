"""Opinion groups: k-means on the map, with k from 2 to 5 chosen by silhouette, stable from one run to the next.

Stability matters more than a marginally better score: a facilitator who reads "group A believes X" on Monday
should find the same group A on Tuesday. So k-means starts from the previous run's centres where the number of
groups is the same, the previous number of groups is kept unless another clearly fits better, and the new groups
take the ids of the previous groups they share the most members with.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.domain.deliberation.matrix import FloatMatrix

MIN_GROUPS = 2
MAX_GROUPS = 5
# How much better another k must fit (in silhouette) before the previous number of groups is given up.
K_HYSTERESIS = 0.02
SEED = 20140618  # fixed: the same votes give the same groups


@dataclass(frozen=True, slots=True)
class Clustering:
    labels: npt.NDArray[np.int64]  # group id of each participant
    centres: dict[int, tuple[float, float]]  # by group id
    silhouette: float


def cluster(
    positions: FloatMatrix,
    participants: Sequence[int],
    previous_members: Mapping[int, int],
    previous_centres: Mapping[int, tuple[float, float]],
) -> Clustering:
    """Groups of ``positions``; ``previous_members`` maps participant to group id, ``previous_centres`` id to centre."""
    from sklearn.metrics import silhouette_score  # scikit-learn loads in a second: only when an analysis runs

    candidates = range(MIN_GROUPS, min(MAX_GROUPS, len(np.unique(positions, axis=0)) - 1) + 1)
    fits: dict[int, tuple[float, npt.NDArray[np.int64], FloatMatrix]] = {}
    for k in candidates:
        labels, centres = _kmeans(positions, k, previous_centres)
        if len(np.unique(labels)) < 2:
            continue
        fits[k] = (float(silhouette_score(positions, labels)), labels, centres)
    if not fits:
        labels = np.zeros(len(positions), dtype=np.int64)
        return Clustering(labels, {0: _mean(positions)}, 0.0)
    best = max(fits, key=lambda k: fits[k][0])
    previous_k = len(previous_centres)
    if previous_k in fits and fits[previous_k][0] >= fits[best][0] - K_HYSTERESIS:
        best = previous_k
    score, labels, centres = fits[best]
    ids = _match_ids(labels, participants, previous_members)
    relabelled = np.array([ids[label] for label in labels], dtype=np.int64)
    return Clustering(relabelled, {ids[i]: (float(c[0]), float(c[1])) for i, c in enumerate(centres)}, score)


def _kmeans(
    positions: FloatMatrix, k: int, previous_centres: Mapping[int, tuple[float, float]]
) -> tuple[npt.NDArray[np.int64], FloatMatrix]:
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    if len(previous_centres) == k:
        init = np.array([previous_centres[i] for i in sorted(previous_centres)], dtype=np.float64)
        model = KMeans(n_clusters=k, init=init, n_init=1, random_state=SEED)
    else:
        model = KMeans(n_clusters=k, n_init=10, random_state=SEED)
    with warnings.catch_warnings():
        # Fewer distinct positions than k (many identical voters): the fit with fewer groups is judged below.
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(positions).astype(np.int64)
    return labels, np.asarray(model.cluster_centers_, dtype=np.float64)


def _match_ids(
    labels: npt.NDArray[np.int64], participants: Sequence[int], previous_members: Mapping[int, int]
) -> dict[int, int]:
    """New label -> group id: each new group takes the id of the previous group it shares most members with."""
    from scipy.optimize import linear_sum_assignment

    new_labels = sorted(set(labels.tolist()))
    old_ids = sorted(set(previous_members.values()))
    mapping: dict[int, int] = {}
    if old_ids:
        overlap = np.zeros((len(new_labels), len(old_ids)))
        old_index = {group: i for i, group in enumerate(old_ids)}
        for participant, label in zip(participants, labels.tolist(), strict=True):
            old = previous_members.get(participant)
            if old is not None:
                overlap[new_labels.index(label), old_index[old]] += 1
        rows, cols = linear_sum_assignment(-overlap)
        for row, col in zip(rows, cols, strict=True):
            if overlap[row, col] > 0:
                mapping[new_labels[row]] = old_ids[col]
    # Unmatched groups get the smallest free ids, larger groups first, so ids are dense and 0 is the biggest.
    sizes = {label: int((labels == label).sum()) for label in new_labels}
    free = (i for i in range(len(new_labels) + len(old_ids)) if i not in mapping.values())
    for label in sorted(new_labels, key=lambda label: (-sizes[label], label)):
        if label not in mapping:
            mapping[label] = next(free)
    return mapping


def _mean(positions: FloatMatrix) -> tuple[float, float]:
    centre = positions.mean(axis=0) if len(positions) else np.zeros(2)
    return float(centre[0]), float(centre[1])
