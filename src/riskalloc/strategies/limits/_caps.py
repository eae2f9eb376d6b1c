"""Per-asset and group caps: the exact Euclidean projection, all decision dates at once.

For target weights ``v`` (long-only, summing to ``s <= 1``) the capped weights
solve

    minimise ||w - v||²  subject to  0 <= w_i <= u_i,  sum_{i in g} w_i <= c_g,
                                     sum_i w_i = min(s, largest investable sum),

so a strategy keeps its invested share wherever the caps allow it: the weight
cut from a capped asset is spread over the others (the nearest portfolio that
meets the caps), and only what no asset can take goes to cash. Groups are
disjoint (an asset has one group).

Method (exact to rounding, no solver): for a budget multiplier ``tau`` each
group's share of the projection is ``min(c_g, sum_{i in g} clip(v_i - tau, 0, u_i))``
-- inside a group that reaches its cap, the weights are the projection of
``v_g`` onto ``{0 <= w <= u, sum = c_g}``. The total is non-increasing in
``tau``, so ``tau`` is found by bisection, then each capped group by a second
bisection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from riskalloc.strategies.classical._qp import project_box_hyperplane

__all__ = ["CapSet", "project_onto_caps"]

_BISECTIONS = 200
#: A weight or group total above its cap by more than this counts as the cap binding.
BINDING_TOLERANCE = 1e-12


@dataclass(frozen=True)
class CapSet:
    """Per-asset upper bounds ``(assets,)`` and disjoint groups ``(groups, assets)`` with caps."""

    upper: np.ndarray
    group_matrix: np.ndarray
    group_caps: np.ndarray
    group_names: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        assets: list[str],
        max_weight: float | None,
        groups: Mapping[str, str] | None,
        group_caps: Mapping[str, float] | None,
    ) -> CapSet:
        upper = np.full(len(assets), 1.0 if max_weight is None else float(max_weight))
        names = tuple(sorted(group_caps or {}))
        matrix = np.array(
            [
                [1.0 if (groups or {}).get(asset) == name else 0.0 for asset in assets]
                for name in names
            ]
        ).reshape(len(names), len(assets))
        caps = np.array([float((group_caps or {})[name]) for name in names])
        return cls(upper, matrix, caps, names)

    @property
    def largest_investable(self) -> float:
        """The largest total weight the caps allow."""
        grouped = self.group_matrix.sum(axis=0) > 0
        per_group = np.minimum(self.group_caps, self.group_matrix @ self.upper)
        return float(per_group.sum() + self.upper[~grouped].sum())

    def asset_binds(self, weights: np.ndarray) -> np.ndarray:
        """Per row: does some weight exceed its cap?"""
        return (weights > self.upper + BINDING_TOLERANCE).any(axis=-1)

    def group_binds(self, weights: np.ndarray) -> np.ndarray:
        """Per row: does some group's total exceed its cap?"""
        totals = weights @ self.group_matrix.T
        return (totals > self.group_caps + BINDING_TOLERANCE).any(axis=-1)

    def holds(self, weights: np.ndarray, tolerance: float = 1e-10) -> np.ndarray:
        """Per row: are all caps met (to ``tolerance``)?"""
        within_assets = (weights <= self.upper + tolerance).all(axis=-1)
        within_groups = (weights @ self.group_matrix.T <= self.group_caps + tolerance).all(axis=-1)
        return within_assets & within_groups


def project_onto_caps(weights: np.ndarray, caps: CapSet) -> np.ndarray:
    """The projection of each row of ``weights`` ``(dates, assets)`` described in the module notes.

    Rows that already meet every cap come back unchanged (to rounding).

    Examples
    --------
    >>> caps = CapSet.build(["A", "B", "C"], 0.5, None, None)
    >>> project_onto_caps(np.array([[0.8, 0.2, 0.0]]), caps).round(12).tolist()
    [[0.5, 0.35, 0.15]]
    """
    v = np.asarray(weights, dtype=float)
    grouped = caps.group_matrix.sum(axis=0) > 0
    budget = np.clip(v.sum(axis=-1), 0.0, caps.largest_investable)

    def total(tau: np.ndarray) -> np.ndarray:
        clipped = np.clip(v - tau[:, None], 0.0, caps.upper)
        in_groups = np.minimum(clipped @ caps.group_matrix.T, caps.group_caps).sum(axis=-1)
        return in_groups + clipped[:, ~grouped].sum(axis=-1)

    # total(low) is the largest investable sum >= budget; total(high) = 0 <= budget.
    low = v.min(axis=-1) - caps.upper.max() - 1.0
    high = v.max(axis=-1)
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        above = total(middle) > budget
        low, high = np.where(above, middle, low), np.where(above, high, middle)
        if np.all(high - low <= 4 * np.finfo(float).eps * (1.0 + np.abs(high))):
            break
    tau = 0.5 * (low + high)
    projected = np.clip(v - tau[:, None], 0.0, caps.upper)
    for g, cap in enumerate(caps.group_caps):
        members = caps.group_matrix[g] > 0
        over = projected[:, members].sum(axis=-1) > cap
        if over.any():
            projected[np.ix_(over, members)] = _project_box_sum(
                v[np.ix_(over, members)], caps.upper[members], cap
            )
    return projected


def _project_box_sum(v: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """Projection of each row onto ``{0 <= w <= upper, sum(w) = total}`` (``total <= sum(upper)``):
    the classical solvers' box-and-budget projection with a unit budget vector."""
    rows, n = v.shape
    projected = project_box_hyperplane(
        torch.as_tensor(v, dtype=torch.float64),
        torch.ones(n, dtype=torch.float64),
        torch.full((rows,), float(total), dtype=torch.float64),
        torch.zeros(n, dtype=torch.float64),
        torch.tensor(
            np.broadcast_to(upper, (n,)), dtype=torch.float64
        ),  # a copy: the view is read-only
        iterations=_BISECTIONS,
    )
    return projected.numpy()
