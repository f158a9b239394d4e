"""Placing participants on the opinion map, as Pol.is does (Small et al. 2021, "Polis: Scaling deliberation by
mapping high dimensional opinion spaces", section 2; compdemocracy.org/algorithms).

Missing votes are imputed with the statement's mean vote, the imputed matrix is reduced to two principal
components, and each participant's position is scaled up by sqrt(statements / statements they voted on):
without that, someone who voted on few statements sits near the centre only because most of their row is
the average, not because their views are average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.domain.deliberation.matrix import FloatMatrix


@dataclass(frozen=True, slots=True)
class Projection:
    positions: FloatMatrix  # (participants, 2)
    components: FloatMatrix  # (2, statements): the axes, for keeping their sign between runs
    explained: tuple[float, ...]


def project(values: FloatMatrix, previous_components: FloatMatrix | None = None) -> Projection:
    """Positions of the rows of ``values`` (NaN: not seen) in the plane of the first two components.

    ``previous_components`` (same columns) keeps the axes pointing the same way as last time: a component's
    sign is arbitrary, and a map that flips between two runs would look like everybody changed their mind.
    """
    from sklearn.decomposition import PCA  # scikit-learn loads in a second: only when an analysis runs

    seen = ~np.isnan(values)
    votes_per_statement = seen.sum(axis=0)
    means = np.divide(
        np.where(seen, values, 0.0).sum(axis=0),
        votes_per_statement,
        out=np.zeros(values.shape[1]),
        where=votes_per_statement > 0,
    )
    imputed = np.where(seen, values, means)
    if len(imputed) == 0 or not (imputed != imputed[0]).any():
        # Everyone voted alike: no direction to project on, everyone at the centre (one group).
        return Projection(np.zeros((len(imputed), 2)), np.zeros((2, values.shape[1])), ())
    n_components = min(2, *imputed.shape)
    # Exact SVD for a small conversation; for a large one, randomized SVD (seeded, so deterministic), which finds
    # the first two components of a 2,000 × 500 matrix as well in a tenth of the time.
    solver = "full" if min(imputed.shape) <= 200 else "randomized"
    pca = PCA(n_components=n_components, svd_solver=solver, random_state=0)
    positions = pca.fit_transform(imputed)
    components = pca.components_
    if n_components < 2:  # one statement or one participant: a line, drawn on the x axis
        positions = np.hstack([positions, np.zeros((positions.shape[0], 2 - n_components))])
        components = np.vstack([components, np.zeros((2 - n_components, components.shape[1]))])
    if previous_components is not None:
        signs = np.where((components * previous_components).sum(axis=1) < 0, -1.0, 1.0)
        positions = positions * signs
        components = components * signs[:, None]
    voted = seen.sum(axis=1)
    scale = np.sqrt(values.shape[1] / np.maximum(voted, 1))
    return Projection(positions * scale[:, None], components, tuple(float(r) for r in pca.explained_variance_ratio_))
