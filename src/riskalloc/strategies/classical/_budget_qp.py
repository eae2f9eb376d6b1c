"""Fully invested problems over box bounds that several optimisers and the frontier share:
the batched quadratic programme, and the best attainable linear value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from riskalloc.strategies.classical._cvxpy_fallback import solve_qp_cvxpy
from riskalloc.strategies.classical._optimiser import as_tensor
from riskalloc.strategies.classical._qp import solve_box_qp

__all__ = ["best_linear_value", "solve_budget_qp"]


def solve_budget_qp(
    Q: np.ndarray,
    c: np.ndarray,
    lower: float,
    upper: float,
    *,
    device: str,
    name: str,
    dates: pd.DatetimeIndex,
) -> tuple[np.ndarray, np.ndarray]:
    """``min 0.5 w'Qw - c'w`` over fully invested ``lower <= w <= upper``, all dates at once.

    Returns the weights and, per date, whether the batched solver verified them
    (False: they came from the cvxpy fallback).
    """
    batch, n = c.shape
    ones = torch.ones(batch, n, dtype=torch.float64, device=device)
    solution = solve_box_qp(
        as_tensor(Q, device),
        as_tensor(c, device),
        ones,
        ones[:, 0],
        torch.full_like(ones, lower),
        torch.full_like(ones, upper),
    )
    weights = solution.weights.cpu().numpy()
    verified = solution.converged.cpu().numpy()
    for k in np.flatnonzero(~verified):
        weights[k] = solve_qp_cvxpy(
            Q[k],
            c[k],
            np.ones(n),
            1.0,
            np.full(n, lower),
            np.full(n, upper),
            what=f"{name} on {dates[k].date()}",
        )
    return weights, verified


def best_linear_value(v: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """``max v'w`` over ``sum w = 1, lower <= w <= upper``, per row of ``v``: fill the best assets first."""
    n = v.shape[1]
    order = np.argsort(-v, axis=1)
    ranked = np.take_along_axis(v, order, axis=1)
    room = 1.0 - n * lower
    extra = np.clip(room - (upper - lower) * np.arange(n), 0.0, upper - lower)
    return lower * v.sum(axis=1) + (ranked * extra).sum(axis=1)
