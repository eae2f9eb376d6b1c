"""Hierarchical risk parity (Lopez de Prado, 2016): tree clustering, quasi-diagonal
order, and recursive bisection with inverse-variance cluster risks."""

from __future__ import annotations

import math

import numpy as np
from scipy.cluster.hierarchy import linkage

from riskalloc.core import ConfigError
from riskalloc.risk import portfolio_variance
from riskalloc.strategies.classical._optimiser import Estimates, Solved, WindowOptimiser

__all__ = [
    "HierarchicalRiskParity",
    "correlation_distance",
    "quasi_diagonal_order",
    "recursive_bisection",
]


def correlation_distance(covariance: np.ndarray) -> np.ndarray:
    """Condensed distances ``d_ij = sqrt(0.5 (1 - rho_ij))``, ``i < j``, for every date at once.

    ``covariance`` is ``(dates, assets, assets)``; the result is
    ``(dates, assets * (assets - 1) / 2)`` in the row-major upper-triangle order
    of :func:`scipy.spatial.distance.squareform`. The correlation is clipped to
    ``[-1, 1]`` against rounding, so every distance lies in ``[0, 1]``.
    """
    sigma = np.sqrt(np.diagonal(covariance, axis1=-2, axis2=-1))
    upper_i, upper_j = np.triu_indices(covariance.shape[-1], k=1)
    correlation = covariance[:, upper_i, upper_j] / (sigma[:, upper_i] * sigma[:, upper_j])
    return np.sqrt(0.5 * (1.0 - np.clip(correlation, -1.0, 1.0)))


def quasi_diagonal_order(distances: np.ndarray) -> np.ndarray:
    """The leaf order of each date's single-linkage tree, ``(dates, assets)``.

    ``distances`` are condensed, as :func:`correlation_distance` returns them.
    The trees come from :func:`scipy.cluster.hierarchy.linkage` (single
    linkage), one date at a time; the order is each dendrogram's left-to-right
    leaf order, left child (first column of the linkage matrix) first. That is
    Lopez de Prado's ``getQuasiDiag`` and equals
    :func:`scipy.cluster.hierarchy.leaves_list`; no optimal leaf reordering.
    """
    n_pairs = distances.shape[-1]
    n_assets = (1 + math.isqrt(1 + 8 * n_pairs)) // 2
    if n_assets < 2:
        return np.zeros((distances.shape[0], n_assets), dtype=np.intp)
    trees = np.stack([linkage(row, method="single") for row in distances])
    return _leaf_order(trees)


def _leaf_order(trees: np.ndarray) -> np.ndarray:
    """Leaves in dendrogram order for linkage matrices ``(dates, assets - 1, 4)``, all dates at once.

    Walking down from the root, a node that starts at position ``p`` passes
    ``p`` to its left child and ``p + size(left)`` to its right child; a leaf's
    start is its position. (``scipy``'s ``leaves_list`` gives the same order one
    tree at a time, but spends most of its time validating the tree.)
    """
    n_dates, n_merges = trees.shape[:2]
    n_assets = n_merges + 1
    dates = np.arange(n_dates)
    children = trees[:, :, :2].astype(np.intp)
    size = np.ones((n_dates, n_assets + n_merges), dtype=np.intp)
    size[:, n_assets:] = trees[:, :, 3].astype(np.intp)
    start = np.zeros_like(size)
    for merge in range(n_merges - 1, -1, -1):  # the root is the last merge
        left, right = children[:, merge, 0], children[:, merge, 1]
        parent_start = start[:, n_assets + merge]
        start[dates, left] = parent_start
        start[dates, right] = parent_start + size[dates, left]
    return np.argsort(start[:, :n_assets], axis=1)


def recursive_bisection(
    covariance: np.ndarray, order: np.ndarray, min_weight: float = 0.0, max_weight: float = 1.0
) -> np.ndarray:
    """HRP weights ``(dates, assets)`` by recursive bisection of the quasi-diagonal order.

    Each date's assets, in ``order``, are cut into halves (the first ``n // 2``
    on the left), recursively down to single assets. A half ``C`` holding weight
    is valued at the variance of its inverse-variance portfolio,
    ``V_C = u' S_C u`` with ``u = diag(S_C)^-1 / sum(diag(S_C)^-1)``, and a parent
    holding ``W`` gives its left half ``alpha W`` with
    ``alpha = 1 - V_L / (V_L + V_R)``. With bounds ``m <= w_i <= M`` the left
    share is clipped to ``[max(n_L m, W - n_R M), min(n_L M, W - n_R m)]`` so that
    both halves can still meet their bounds (skfolio's rule, written without
    dividing by ``W``); the interval is never empty when ``n m <= 1 <= n M``.

    The cut positions depend only on the number of assets, so each cut is made
    for all dates at once; only the order differs from date to date.
    """
    n_dates, n_assets = order.shape
    dates = np.arange(n_dates)[:, None]
    ordered = covariance[dates[:, :, None], order[:, :, None], order[:, None, :]]
    inverse_variance = 1.0 / np.diagonal(ordered, axis1=-2, axis2=-1)

    def cluster_variance(start: int, stop: int) -> np.ndarray:
        u = inverse_variance[:, start:stop]
        u = u / u.sum(axis=1, keepdims=True)
        return portfolio_variance(u, ordered[:, start:stop, start:stop])

    ordered_weights = np.empty((n_dates, n_assets))
    pending = [(0, n_assets, np.ones(n_dates))]
    while pending:
        start, stop, held = pending.pop()
        if stop - start == 1:
            ordered_weights[:, start] = held
            continue
        middle = start + (stop - start) // 2
        n_left, n_right = middle - start, stop - middle
        left_variance, right_variance = (
            cluster_variance(start, middle),
            cluster_variance(middle, stop),
        )
        left = held * (1.0 - left_variance / (left_variance + right_variance))
        left = np.clip(
            left,
            np.maximum(n_left * min_weight, held - n_right * max_weight),
            np.minimum(n_left * max_weight, held - n_right * min_weight),
        )
        pending.append((start, middle, left))
        pending.append((middle, stop, held - left))

    weights = np.empty_like(ordered_weights)
    weights[dates, order] = ordered_weights
    return weights


class HierarchicalRiskParity(WindowOptimiser):
    """Hierarchical risk parity (Lopez de Prado, 2016), long-only and fully invested.

    On each decision date, from the covariance ``S`` of the ``window`` most
    recent daily returns:

    1. tree clustering: single linkage on the correlation distance
       ``d_ij = sqrt(0.5 (1 - rho_ij))``, ``rho_ij = S_ij / sqrt(S_ii S_jj)``;
    2. quasi-diagonalisation: the assets in the tree's leaf order;
    3. recursive bisection: the ordered list is cut in halves (first ``n // 2``
       left) down to single assets; each half ``C`` is valued at the variance
       ``V_C`` of its inverse-variance portfolio, and the parent's weight ``W``
       is split ``alpha W`` (left) and ``(1 - alpha) W`` (right) with
       ``alpha = 1 - V_L / (V_L + V_R)``, the left share clipped to
       ``[max(n_L m, W - n_R M), min(n_L M, W - n_R m)]`` for bounds ``m``, ``M``.

    These are the conventions of the paper and of skfolio's
    ``HierarchicalRiskParity`` with ``RiskMeasure.VARIANCE``, single linkage and
    ``optimal_ordering=False`` (skfolio's defaults differ: Ward linkage and an
    optimal leaf ordering, which change the order and hence the halves). As in
    both, the bisection cuts the ordered list, not the tree at its branches.

    The correlation comes from the chosen covariance estimator. A singular
    window (more assets than days, or a constant price) gets the ridge of
    :func:`riskalloc.risk.regularise_covariance` and is labelled so in
    ``allocation_methods_``; an asset whose price did not move then has a
    near-zero variance and takes nearly all the weight that its bounds allow
    (the limit of inverse-variance weighting). ``objective_`` holds the daily
    portfolio variance ``w' S w``.

    Parameters
    ----------
    window : int, default 50
    covariance : {"sample", "ledoit_wolf", "ewma"}
    half_life : float, default 20 (days, for ``ewma``)
    min_weight, max_weight : float, default 0 and 1
        Bounds on every asset's weight; ``min_weight`` must be >= 0 (HRP is long-only).

    Examples
    --------
    >>> import riskalloc as ra
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("hrp"))
    """

    name = "hrp"

    def __init__(
        self,
        window: int = 50,
        covariance: str = "sample",
        half_life: float = 20.0,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
    ) -> None:
        self.window = window
        self.covariance = covariance
        self.half_life = half_life
        self.min_weight = min_weight
        self.max_weight = max_weight

    def _check_parameters(self) -> None:
        super()._check_parameters()
        if not (isinstance(self.min_weight, int | float) and self.min_weight >= 0):
            raise ConfigError(
                f"{self.name}: parameter 'min_weight' must be >= 0 (HRP is long-only), "
                f"got {self.min_weight!r}"
            )

    def _solve(self, estimates: Estimates) -> Solved:
        lower, upper = self._check_bounds(estimates.covariance.shape[-1])
        order = quasi_diagonal_order(correlation_distance(estimates.covariance))
        weights = recursive_bisection(estimates.covariance, order, lower, upper)
        return Solved(
            weights, self._label(estimates), portfolio_variance(weights, estimates.covariance)
        )
