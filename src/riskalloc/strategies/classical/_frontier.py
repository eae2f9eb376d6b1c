"""The efficient frontier: minimum variance for each attainable expected return."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR
from riskalloc.risk import portfolio_mean, portfolio_volatility
from riskalloc.strategies.classical._budget_qp import best_linear_value, solve_budget_qp

__all__ = ["efficient_frontier"]


def efficient_frontier(
    mean: np.ndarray,
    covariance: np.ndarray,
    assets: list[str],
    n_points: int = 50,
    *,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    risk_free: float = 0.0,
    device: str = "cpu",
) -> pd.DataFrame:
    """``n_points`` portfolios from minimum variance to the highest attainable return.

    Each point solves ``min w'Sw  s.t.  w'mu = target, sum w = 1, bounds``
    through its mean-variance equivalent ``argmin -w'mu + lambda w'Sw`` (the
    frontier's return falls as ``lambda`` grows): ``lambda`` is found by
    bisection for all targets at once, to 1e-10 in ``log(lambda)``.

    Returns one row per point: annualised ``return`` (252 x daily mean),
    ``volatility`` (sqrt(252) x daily), ``sharpe`` (against the annual
    ``risk_free``), then the weights.
    """
    mean = np.asarray(mean, dtype=float)
    covariance = np.asarray(covariance, dtype=float)
    n_assets = len(mean)

    def solve(log_aversion: np.ndarray) -> np.ndarray:
        count = len(log_aversion)
        weights, _ = solve_budget_qp(
            2.0 * np.exp(log_aversion)[:, None, None] * covariance[None],
            np.broadcast_to(mean, (count, n_assets)).copy(),
            min_weight,
            max_weight,
            device=device,
            name="frontier",
            dates=pd.DatetimeIndex([pd.Timestamp(0)] * count),
        )
        return weights

    scale = np.log(np.abs(mean).max() / np.diagonal(covariance).max() + 1e-300)
    low_end = solve(np.array([scale + 25.0]))[0]  # minimum variance
    lowest = float(low_end @ mean)
    highest = float(best_linear_value(mean[None], min_weight, max_weight)[0])
    targets = np.linspace(lowest, highest, n_points)
    lo = np.full(n_points, scale - 25.0)
    hi = np.full(n_points, scale + 25.0)
    for _ in range(100):
        middle = 0.5 * (lo + hi)
        too_cautious = portfolio_mean(solve(middle), mean) < targets
        hi = np.where(too_cautious, middle, hi)
        lo = np.where(too_cautious, lo, middle)
        if np.all(hi - lo < 1e-10):
            break
    weights = solve(lo)  # lower aversion: return at or above the target
    weights[0] = low_end
    annual_return = PERIODS_PER_YEAR * portfolio_mean(weights, mean)
    volatility = np.sqrt(PERIODS_PER_YEAR) * portfolio_volatility(weights, covariance)
    frame = pd.DataFrame({"return": annual_return, "volatility": volatility})
    frame["sharpe"] = (annual_return - risk_free) / volatility
    return pd.concat([frame, pd.DataFrame(weights, columns=assets)], axis=1)
