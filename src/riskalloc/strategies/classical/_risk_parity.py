"""Risk parity and risk budgeting: weights whose risk contributions match budgets."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData
from riskalloc.risk import risk_contributions, solve_risk_budgeting
from riskalloc.strategies.classical._optimiser import Estimates, Solved, WindowOptimiser, as_tensor

__all__ = ["RiskBudgeting", "RiskParity"]


class RiskBudgeting(WindowOptimiser):
    """Long-only, fully invested weights with ``w_i (Sw)_i / w'Sw = b_i``.

    Solved exactly for all dates at once (batched Newton, see
    :func:`riskalloc.risk.solve_risk_budgeting`). ``objective_`` holds the
    largest gap between a risk-contribution share and its budget (zero to
    rounding when solved).

    Parameters
    ----------
    budgets : mapping asset -> budget, optional
        A positive budget for every asset, normalised to sum to one.
        Omitted: equal budgets (risk parity).
    window, covariance, half_life, device : as for :class:`MinimumVariance`.
    """

    name = "risk_budgeting"

    def __init__(
        self,
        budgets: Mapping[str, float] | None = None,
        window: int = 50,
        covariance: str = "sample",
        half_life: float = 20.0,
        device: str = "cpu",
    ) -> None:
        self.budgets = budgets
        self.window = window
        self.covariance = covariance
        self.half_life = half_life
        self.device = device

    def fit(self, train: MarketData, context: RunContext | None = None) -> RiskBudgeting:
        super().fit(train, context)
        self.budgets_ = self._budget_vector(list(train.assets))
        return self

    def _budget_vector(self, assets: list[str]) -> np.ndarray:
        if self.budgets is None:
            return np.full(len(assets), 1.0 / len(assets))
        unknown = [asset for asset in self.budgets if asset not in assets]
        if unknown:
            raise ConfigError(
                f"{self.name}: parameter 'budgets' names unknown asset '{unknown[0]}'"
            )
        missing = [asset for asset in assets if asset not in self.budgets]
        if missing:
            raise ConfigError(
                f"{self.name}: parameter 'budgets' gives no budget to asset '{missing[0]}' "
                "(every asset needs a positive budget)"
            )
        vector = np.array([float(self.budgets[asset]) for asset in assets])
        if not np.all(np.isfinite(vector) & (vector > 0)):
            bad = assets[int(np.argmin(np.where(np.isfinite(vector), vector, -np.inf)))]
            raise ConfigError(
                f"{self.name}: parameter 'budgets' gives asset '{bad}' a non-positive budget"
            )
        return vector / vector.sum()

    def allocate(self, history, dates):
        if not hasattr(self, "budgets_") or len(self.budgets_) != len(history.assets):
            self.budgets_ = self._budget_vector(list(history.assets))
        return super().allocate(history, dates)

    def _solve(self, estimates: Estimates) -> Solved:
        covariance = as_tensor(estimates.covariance, self.device)
        budgets = as_tensor(self.budgets_, self.device)
        weights, converged = solve_risk_budgeting(covariance, budgets)
        weights = weights.cpu().numpy()
        if not bool(converged.all()):
            bad = estimates.dates[int(np.flatnonzero(~converged.cpu().numpy())[0])]
            raise RuntimeError(f"{self.name}: Newton's method did not converge on {bad.date()}")
        contributions = risk_contributions(weights, estimates.covariance)
        shares = contributions / contributions.sum(axis=1, keepdims=True)
        gap = np.abs(shares - self.budgets_).max(axis=1)
        return Solved(weights, self._label(estimates), gap)


class RiskParity(RiskBudgeting):
    """Equal risk contributions: every asset adds the same share of portfolio volatility.

    Parameters
    ----------
    window, covariance, half_life, device : as for :class:`MinimumVariance`.

    Examples
    --------
    >>> import riskalloc as ra
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("risk_parity"))
    """

    name = "risk_parity"

    def __init__(
        self,
        window: int = 50,
        covariance: str = "sample",
        half_life: float = 20.0,
        device: str = "cpu",
    ) -> None:
        self.budgets = None
        self.window = window
        self.covariance = covariance
        self.half_life = half_life
        self.device = device

    @classmethod
    def param_names(cls) -> list[str]:
        return ["window", "covariance", "half_life", "device"]
