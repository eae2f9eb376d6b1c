"""Maximum expected return under a volatility ceiling."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from riskalloc.core import ConfigError
from riskalloc.risk import portfolio_mean, portfolio_volatility
from riskalloc.strategies.classical._budget_qp import solve_budget_qp
from riskalloc.strategies.classical._constrained import ConstraintSet, Objective, SequentialProblem
from riskalloc.strategies.classical._optimiser import Estimates, Solved, WindowOptimiser

__all__ = ["MaximumReturn"]


class MaximumReturn(WindowOptimiser):
    """``max w'mu`` s.t. annualised volatility ``sqrt(252 w'Sw) <= target_volatility``.

    Solved for all dates at once along the mean-variance frontier: the
    portfolio ``argmin -w'mu + lambda w'Sw`` has a volatility that falls as
    ``lambda`` grows, so ``lambda`` is found by bisection (in log scale) until
    the volatility meets the target to 1e-9 relative. Two corners are exact:
    if the highest-return portfolio is already within the target it is the
    answer; if even the minimum-variance portfolio exceeds the target the
    problem is infeasible and the declared fallback, minimum variance, gives
    the weights (recorded in ``allocation_methods_``). ``objective_`` holds
    ``w'mu`` (daily).

    Parameters
    ----------
    target_volatility : float, default 0.10 (annual)
    window, covariance, mean, half_life, min_weight, max_weight, device
        as for :class:`MeanVariance`.
    groups : mapping asset -> group, optional; group_caps : mapping group -> largest total weight
        Sector or other group limits (``--groups sectors.csv`` on the command line).
    allow_cash : bool, default False
        Weights may sum below one; the rest is cash.
    max_turnover : float, optional
        Largest ``sum |w - w_drifted|`` per rebalance after the first (initial) one.
    Setting any of these four solves date by date with cvxpy (see ``_constrained``).
    """

    name = "maximum_return"

    def __init__(
        self,
        target_volatility: float = 0.10,
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
        self.target_volatility = target_volatility
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
        if not (isinstance(self.target_volatility, int | float) and self.target_volatility > 0):
            raise ConfigError(
                f"{self.name}: parameter 'target_volatility' must be an annual volatility > 0, "
                f"got {self.target_volatility!r}"
            )

    def _solve(self, estimates: Estimates) -> Solved:
        lower, upper = self._check_bounds(estimates.covariance.shape[-1])
        cov, mean, dates = estimates.covariance, estimates.mean, estimates.dates
        target = self.target_volatility / np.sqrt(self.context_.periods_per_year)  # per period

        def frontier(log_aversion: np.ndarray, rows=slice(None)) -> np.ndarray:
            """Mean-variance weights for risk aversion exp(log_aversion), on the given rows."""
            weights, _ = solve_budget_qp(
                2.0 * np.exp(log_aversion)[:, None, None] * cov[rows],
                mean[rows],
                lower,
                upper,
                device=self.device,
                name=self.name,
                dates=dates[rows],
            )
            return weights

        # Corners: (nearly) no risk aversion gives the highest return; a huge one, minimum variance.
        scale = np.log(
            np.abs(mean).max(axis=1) / np.diagonal(cov, axis1=1, axis2=2).max(axis=1) + 1e-300
        )
        low, high = scale - 25.0, scale + 25.0
        boldest, safest = frontier(low), frontier(high)
        bold_ok = portfolio_volatility(boldest, cov) <= target * (1 + 1e-9)
        infeasible = portfolio_volatility(safest, cov) > target * (1 + 1e-9)
        weights = np.where(bold_ok[:, None], boldest, safest)
        searching = ~bold_ok & ~infeasible
        if searching.any():
            lo, hi = low[searching], high[searching]
            for _ in range(80):
                middle = 0.5 * (lo + hi)
                candidate = frontier(middle, searching)
                too_risky = portfolio_volatility(candidate, cov[searching]) > target
                lo = np.where(too_risky, middle, lo)
                hi = np.where(too_risky, hi, middle)
                if np.all(hi - lo < 1e-10):
                    break
            # The upper end of the bracket always meets the target.
            weights[searching] = frontier(hi, searching)
        methods = self._label(estimates)
        # The fallback keeps the date's notes (a regularised covariance).
        fallback_methods = self._label(
            estimates,
            "minimum_variance",
            reason="even minimum variance exceeds the volatility target",
        )
        for k in np.flatnonzero(infeasible):
            methods[k] = fallback_methods[k]
        return Solved(weights, methods, self._objective_values(weights, estimates))

    def _objective_values(self, weights: np.ndarray, estimates: Estimates) -> np.ndarray:
        return portfolio_mean(weights, estimates.mean)

    def _general_problem(self, n_assets: int, constraints: ConstraintSet) -> SequentialProblem:
        target = self.target_volatility / np.sqrt(self.context_.periods_per_year)
        return SequentialProblem(
            Objective.MAXIMUM_RETURN, n_assets, constraints, target_volatility=target
        )
