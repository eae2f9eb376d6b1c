"""Ratio maximisers: maximum Sharpe (tangency) and maximum diversification.

Both maximise ``w'v / sqrt(w'Sw)`` over the long-only fully invested set, for
``v = mu - r_f`` (Sharpe) or ``v = sigma`` (diversification). With
``y = w / (v'w)`` this is the QP ``min y'Sy  s.t.  v'y = 1, y >= 0`` and
``w = y / sum(y)`` (Cornuejols and Tutuncu), solved for all dates at once.
Bounds other than long-only make the change of variables non-separable; those
problems are solved with cvxpy, compiled once and re-solved per date with new
parameter values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from riskalloc.core import ConfigError, daily_rate
from riskalloc.risk import diversification_ratio, sharpe
from riskalloc.strategies.classical._budget_qp import best_linear_value, solve_budget_qp
from riskalloc.strategies.classical._constrained import ConstraintSet, Objective, SequentialProblem
from riskalloc.strategies.classical._optimiser import (
    CVXPY_FALLBACK,
    Estimates,
    Solved,
    WindowOptimiser,
    as_tensor,
)
from riskalloc.strategies.classical._qp import solve_box_qp

__all__ = ["MaximumDiversification", "MaximumSharpe"]


class _RatioOptimiser(WindowOptimiser):
    """Shared solving of ``max w'v / sqrt(w'Sw)``."""

    def _numerator(self, estimates: Estimates) -> np.ndarray:
        raise NotImplementedError

    def _ratio(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        raise NotImplementedError

    def _solve(self, estimates: Estimates) -> Solved:
        lower, upper = self._check_bounds(estimates.covariance.shape[-1])
        v = self._numerator(estimates)
        batch, n = v.shape
        reachable = best_linear_value(v, lower, upper) > 0
        weights = np.empty((batch, n))
        methods = self._label(estimates)
        if lower == 0.0 and upper >= 1.0:
            y = _tangency_long_only(estimates.covariance, v, self.device)
            weights[:] = y.weights
            unverified = ~y.verified & reachable
            if unverified.any():
                weights[unverified] = _tangency_cvxpy(
                    estimates.covariance[unverified],
                    v[unverified],
                    lower,
                    upper,
                    self.name,
                    estimates.dates[unverified],
                )
                for k in np.flatnonzero(unverified):
                    methods[k] = methods[k].with_notes(CVXPY_FALLBACK)
        elif reachable.any():
            weights[reachable] = _tangency_cvxpy(
                estimates.covariance[reachable],
                v[reachable],
                lower,
                upper,
                self.name,
                estimates.dates[reachable],
            )
        # Declared fallback: no portfolio has a positive numerator (every expected
        # return below the risk-free rate): the ratio has no maximum; take minimum variance.
        if (~reachable).any():
            fallback, _ = solve_budget_qp(
                2.0 * estimates.covariance[~reachable],
                np.zeros((int((~reachable).sum()), n)),
                lower,
                upper,
                device=self.device,
                name=f"{self.name} fallback",
                dates=estimates.dates[~reachable],
            )
            weights[~reachable] = fallback
            # The fallback keeps the date's notes (a regularised covariance).
            fallback_methods = self._label(
                estimates, "minimum_variance", reason="no portfolio beats the risk-free rate"
            )
            for k in np.flatnonzero(~reachable):
                methods[k] = fallback_methods[k]
        return Solved(weights, methods, self._ratio(weights, estimates))

    def _objective_values(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        return self._ratio(weights, estimates)

    def _general_numerator(self, estimates: Estimates) -> np.ndarray:
        return self._numerator(estimates)

    def _general_problem(self, n_assets: int, constraints: ConstraintSet) -> SequentialProblem:
        return SequentialProblem(Objective.RATIO, n_assets, constraints)


class _Tangency:
    def __init__(self, weights: np.ndarray, verified: np.ndarray) -> None:
        self.weights, self.verified = weights, verified


def _tangency_long_only(covariance: np.ndarray, v: np.ndarray, device: str) -> _Tangency:
    batch, n = v.shape
    zeros = torch.zeros(batch, n, dtype=torch.float64, device=device)
    positive = (v > 0).any(axis=1)
    # Rows with no positive entry are infeasible here; the caller replaces them.
    a = np.where(positive[:, None], v, 1.0)
    solution = solve_box_qp(
        as_tensor(2.0 * covariance, device),
        zeros,
        as_tensor(a, device),
        torch.ones(batch, dtype=torch.float64, device=device),
        zeros,
        torch.full_like(zeros, float("inf")),
    )
    y = solution.weights.cpu().numpy()
    total = y.sum(axis=1, keepdims=True)
    weights = y / np.where(total > 0, total, 1.0)
    return _Tangency(weights, solution.converged.cpu().numpy() & positive)


def _tangency_cvxpy(
    covariance: np.ndarray,
    v: np.ndarray,
    lower: float,
    upper: float,
    name: str,
    dates: pd.DatetimeIndex,
) -> np.ndarray:
    """Homogenised problem with bounds, compiled once: ``min |F y|²`` s.t. ``v'y = 1``,
    ``kappa lower <= y <= kappa upper``, ``sum y = kappa``, ``kappa >= 0``; ``w = y / kappa``."""
    import cvxpy as cp

    n = v.shape[1]
    factor = cp.Parameter((n, n))
    numerator = cp.Parameter(n)
    y, kappa = cp.Variable(n), cp.Variable(nonneg=True)
    constraints = [numerator @ y == 1, cp.sum(y) == kappa, y >= kappa * lower]
    if np.isfinite(upper) and upper < 1.0:
        constraints.append(y <= kappa * upper)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(factor @ y)), constraints)
    weights = np.empty_like(v)
    for k in range(len(v)):
        factor.value = np.linalg.cholesky(covariance[k]).T
        numerator.value = v[k]
        problem.solve(solver=cp.CLARABEL)
        if (
            problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
            or kappa.value is None
            or kappa.value <= 0
        ):
            raise RuntimeError(f"{name} on {dates[k].date()}: cvxpy status {problem.status}")
        weights[k] = np.clip(y.value / kappa.value, lower, upper)
    return weights


class MaximumSharpe(_RatioOptimiser):
    """Maximum Sharpe ratio (tangency): ``max (w'mu - r_f) / sqrt(w'Sw)``.

    ``r_f`` is the annual ``risk_free`` rate converted to daily. When no
    portfolio's expected return beats ``r_f`` (it happens on real 50-day
    windows) the ratio has no meaningful maximum and the declared fallback,
    minimum variance under the same bounds, produces the weights; the date's
    entry in ``allocation_methods_`` says so. ``objective_`` holds the daily
    Sharpe ratio of the weights.

    Parameters
    ----------
    risk_free : float, default 0.0 (annual)
    window, covariance, mean, half_life, min_weight, max_weight, device
        as for :class:`MeanVariance`.
    groups : mapping asset -> group, optional; group_caps : mapping group -> largest total weight
        Sector or other group limits (``--groups sectors.csv`` on the command line).
    max_turnover : float, optional
        Largest ``sum |w - w_drifted|`` per rebalance after the first (initial) one.
    Setting any of these solves date by date with cvxpy (see ``_constrained``).
    """

    name = "maximum_sharpe"

    def __init__(
        self,
        risk_free: float = 0.0,
        window: int = 50,
        covariance: str = "sample",
        mean: str = "sample",
        half_life: float = 20.0,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
        groups: Mapping[str, str] | None = None,
        group_caps: Mapping[str, float] | None = None,
        max_turnover: float | None = None,
        device: str = "cpu",
    ) -> None:
        self.risk_free = risk_free
        self.window = window
        self.covariance = covariance
        self.mean = mean
        self.half_life = half_life
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.groups = groups
        self.group_caps = group_caps
        self.max_turnover = max_turnover
        self.device = device

    def _check_parameters(self) -> None:
        super()._check_parameters()
        if not (isinstance(self.risk_free, int | float) and -1 < self.risk_free < 1):
            raise ConfigError(
                f"{self.name}: parameter 'risk_free' must be an annual rate in (-1, 1), got {self.risk_free!r}"
            )

    def _numerator(self, estimates: Estimates) -> np.ndarray:
        return estimates.mean - daily_rate(self.risk_free)

    def _ratio(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        return sharpe(weights, estimates.mean, estimates.covariance, daily_rate(self.risk_free))


class MaximumDiversification(_RatioOptimiser):
    """Maximum diversification: ``max w'sigma / sqrt(w'Sw)`` (Choueifaty and Coignard).

    ``objective_`` holds the diversification ratio of the weights.

    Parameters
    ----------
    window, covariance, half_life, min_weight, max_weight, device
        as for :class:`MinimumVariance`.
    groups : mapping asset -> group, optional; group_caps : mapping group -> largest total weight
        Sector or other group limits (``--groups sectors.csv`` on the command line).
    max_turnover : float, optional
        Largest ``sum |w - w_drifted|`` per rebalance after the first (initial) one.
    Setting any of these solves date by date with cvxpy (see ``_constrained``).
    """

    name = "maximum_diversification"

    def __init__(
        self,
        window: int = 50,
        covariance: str = "sample",
        half_life: float = 20.0,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
        groups: Mapping[str, str] | None = None,
        group_caps: Mapping[str, float] | None = None,
        max_turnover: float | None = None,
        device: str = "cpu",
    ) -> None:
        self.window = window
        self.covariance = covariance
        self.half_life = half_life
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.groups = groups
        self.group_caps = group_caps
        self.max_turnover = max_turnover
        self.device = device

    def _numerator(self, estimates: Estimates) -> np.ndarray:
        return np.sqrt(np.diagonal(estimates.covariance, axis1=-2, axis2=-1))

    def _ratio(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        return diversification_ratio(weights, estimates.covariance)
