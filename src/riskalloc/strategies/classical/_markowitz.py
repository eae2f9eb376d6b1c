"""Minimum variance and mean-variance: quadratic programmes on each estimation window."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData
from riskalloc.risk import portfolio_mean, portfolio_variance
from riskalloc.strategies.classical._budget_qp import solve_budget_qp
from riskalloc.strategies.classical._constrained import ConstraintSet, Objective, SequentialProblem
from riskalloc.strategies.classical._frontier import efficient_frontier
from riskalloc.strategies.classical._optimiser import (
    CVXPY_FALLBACK,
    Estimates,
    Solved,
    WindowOptimiser,
)

__all__ = ["MeanVariance", "MinimumVariance"]


class MinimumVariance(WindowOptimiser):
    """Minimum variance: ``min w' S w`` s.t. ``sum w = 1``, ``min_weight <= w <= max_weight``.

    ``S`` is estimated on the ``window`` most recent daily returns up to and
    including the decision date. ``objective_`` holds ``w' S w`` (daily).

    Parameters
    ----------
    window : int, default 50
    covariance : {"sample", "ledoit_wolf", "ewma"}
    half_life : float, default 20 (days, for ``ewma``)
    min_weight, max_weight : float, default 0 and 1 (a negative minimum allows bounded shorts)
    device : str, default "cpu" (``"cuda"`` solves the batch on a GPU)

    groups : mapping asset -> group, optional; group_caps : mapping group -> largest total weight
        Sector or other group limits (``--groups sectors.csv`` on the command line).
    allow_cash : bool, default False
        Weights may sum below one; the rest is cash.
    max_turnover : float, optional
        Largest ``sum |w - w_drifted|`` per rebalance after the first (initial) one.
    Setting any of these four solves date by date with cvxpy (see ``_constrained``).

    Examples
    --------
    >>> import riskalloc as ra
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("minimum_variance"))
    """

    name = "minimum_variance"

    def __init__(
        self,
        window: int = 50,
        covariance: str = "sample",
        half_life: float = 20.0,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
        groups: Mapping[str, str] | None = None,
        group_caps: Mapping[str, float] | None = None,
        allow_cash: bool = False,
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
        self.allow_cash = allow_cash
        self.max_turnover = max_turnover
        self.device = device

    def _solve(self, estimates: Estimates) -> Solved:
        lower, upper = self._check_bounds(estimates.covariance.shape[-1])
        weights, verified = solve_budget_qp(
            2.0 * estimates.covariance,
            np.zeros(estimates.mean.shape),
            lower,
            upper,
            device=self.device,
            name=self.name,
            dates=estimates.dates,
        )
        methods = [
            m if ok else m.with_notes(CVXPY_FALLBACK)
            for m, ok in zip(self._label(estimates), verified, strict=True)
        ]
        return Solved(weights, methods, self._objective_values(weights, estimates))

    def _objective_values(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        return portfolio_variance(weights, estimates.covariance)

    def _general_problem(self, n_assets: int, constraints: ConstraintSet) -> SequentialProblem:
        return SequentialProblem(Objective.VARIANCE, n_assets, constraints)


class MeanVariance(WindowOptimiser):
    """Mean-variance: ``min -w' mu + risk_aversion * w' S w`` over the bounded, fully invested set.

    ``mu`` and ``S`` are daily estimates on the window, so ``risk_aversion`` is
    in daily units (the optimum is unchanged if both are annualised and
    ``risk_aversion`` is divided by 252). ``objective_`` holds the objective.

    Parameters
    ----------
    risk_aversion : float, default 1.0
    window, covariance, mean ({"sample", "ewma"}), half_life, min_weight, max_weight, device
        as for :class:`MinimumVariance`.
    groups : mapping asset -> group, optional; group_caps : mapping group -> largest total weight
        Sector or other group limits (``--groups sectors.csv`` on the command line).
    allow_cash : bool, default False
        Weights may sum below one; the rest is cash.
    max_turnover : float, optional
        Largest ``sum |w - w_drifted|`` per rebalance after the first (initial) one.
    Setting any of these four solves date by date with cvxpy (see ``_constrained``).
    """

    name = "mean_variance"

    def __init__(
        self,
        risk_aversion: float = 1.0,
        window: int = 50,
        covariance: str = "sample",
        mean: str = "sample",
        half_life: float = 20.0,
        min_weight: float = 0.0,
        max_weight: float = 1.0,
        groups: Mapping[str, str] | None = None,
        group_caps: Mapping[str, float] | None = None,
        allow_cash: bool = False,
        max_turnover: float | None = None,
        device: str = "cpu",
    ) -> None:
        self.risk_aversion = risk_aversion
        self.window = window
        self.covariance = covariance
        self.mean = mean
        self.half_life = half_life
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.groups = groups
        self.group_caps = group_caps
        self.allow_cash = allow_cash
        self.max_turnover = max_turnover
        self.device = device

    def _check_parameters(self) -> None:
        super()._check_parameters()
        if not (isinstance(self.risk_aversion, int | float) and self.risk_aversion > 0):
            raise ConfigError(
                f"{self.name}: parameter 'risk_aversion' must be > 0, got {self.risk_aversion!r}"
            )

    def _solve(self, estimates: Estimates) -> Solved:
        lower, upper = self._check_bounds(estimates.covariance.shape[-1])
        weights, verified = solve_budget_qp(
            2.0 * self.risk_aversion * estimates.covariance,
            estimates.mean,
            lower,
            upper,
            device=self.device,
            name=self.name,
            dates=estimates.dates,
        )
        methods = [
            m if ok else m.with_notes(CVXPY_FALLBACK)
            for m, ok in zip(self._label(estimates), verified, strict=True)
        ]
        return Solved(weights, methods, self._objective_values(weights, estimates))

    def fit(self, train: MarketData, context: RunContext | None = None) -> MeanVariance:
        super().fit(train, context)
        # The training span's last estimation window and its date, for the efficient frontier.
        self.train_end_ = train.dates[-1]
        self.train_window_ = train.return_windows(
            train.dates[-1:], int(self.window), strategy=self.name
        )
        return self

    def frontier(self, n_points: int = 50) -> pd.DataFrame:
        """The efficient frontier on the training span's last window, under this strategy's bounds.

        See :func:`riskalloc.strategies.classical.efficient_frontier`; call after ``fit``.
        """
        if not hasattr(self, "train_window_"):
            raise ConfigError(f"{self.name}: call fit() before frontier()")
        estimates = self._estimate(self.train_window_, pd.DatetimeIndex([self.train_end_]))
        return efficient_frontier(
            estimates.mean[0],
            estimates.covariance[0],
            list(self.assets_),
            n_points,
            min_weight=float(self.min_weight),
            max_weight=float(self.max_weight),
            device=self.device,
        )

    def _objective_values(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        return -portfolio_mean(weights, estimates.mean) + self.risk_aversion * portfolio_variance(
            weights, estimates.covariance
        )

    def _general_problem(self, n_assets: int, constraints: ConstraintSet) -> SequentialProblem:
        return SequentialProblem(
            Objective.MEAN_VARIANCE, n_assets, constraints, risk_aversion=self.risk_aversion
        )
