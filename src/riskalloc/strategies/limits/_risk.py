"""The risk limits (VaR, CVaR, volatility) of a portfolio at a decision date, and exact scaling.

Each limit is measured as a ratio ``risk(w) / limit``; a ratio above one is a
breach. All three risks are positively homogeneous, ``risk(s w) = s risk(w)``
for ``s >= 0`` (cash carries no risk), so scaling the risky weights by
``min(1, 1 / max ratio)`` meets every risk limit exactly and moves the rest to
cash. The measures are riskalloc's own evaluator functions
(:mod:`riskalloc.risk`), so the limit and the report cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR
from riskalloc.data import MarketData
from riskalloc.risk import (
    conditional_value_at_risk,
    estimate_covariance,
    portfolio_volatility,
    value_at_risk,
)
from riskalloc.strategies.limits._spec import Limits

__all__ = [
    "RiskInputs",
    "risk_ratios",
    "scale_to_risk_limits",
    "within_risk_limits",
]

#: Trading days in a year, for annualising the volatility of ``vol_target``.
#: A ratio above one by more than this counts as the limit binding.
RATIO_TOLERANCE = 1e-9
#: A candidate portfolio meets a limit when its ratio is at most one plus this (rounding only).
_WITHIN_TOLERANCE = 1e-12


@dataclass(frozen=True)
class RiskInputs:
    """Per decision date, the past the risk limits are measured on (nothing after the date).

    ``scenarios`` are the ``risk_window`` daily asset returns up to and including
    each date ``(dates, risk_window, assets)``; ``covariance`` the sample
    covariance of the ``vol_window`` returns up to it ``(dates, assets, assets)``.
    """

    scenarios: np.ndarray | None
    covariance: np.ndarray | None
    periods_per_year: int = PERIODS_PER_YEAR  # annualises the volatility target

    @classmethod
    def build(
        cls,
        limits: Limits,
        history: MarketData,
        dates: pd.DatetimeIndex,
        strategy: str,
        periods_per_year: int = PERIODS_PER_YEAR,
    ) -> RiskInputs:
        scenarios = covariance = None
        if limits.var is not None or limits.cvar is not None:
            scenarios = history.return_windows(dates, int(limits.risk_window), strategy=strategy)
        if limits.vol_target is not None:
            windows = history.return_windows(dates, int(limits.vol_window), strategy=strategy)
            covariance = estimate_covariance(windows, "sample")
        return cls(scenarios, covariance, periods_per_year)

    def row(self, k: int) -> RiskInputs:
        """The inputs of decision ``k`` alone."""
        return RiskInputs(
            None if self.scenarios is None else self.scenarios[k],
            None if self.covariance is None else self.covariance[k],
            self.periods_per_year,
        )


def risk_ratios(limits: Limits, weights: np.ndarray, inputs: RiskInputs) -> dict[str, np.ndarray]:
    """``risk / limit`` per active risk limit, for weights ``(dates, assets)`` or ``(assets,)``.

    - ``var``: the historical VaR loss, :func:`riskalloc.risk.value_at_risk`;
    - ``cvar``: the historical CVaR loss, :func:`riskalloc.risk.conditional_value_at_risk`;
    - ``vol_target``: ``sqrt(P w' S w)``, ``P`` the data's periods a year.
    """
    ratios = {}
    if limits.var is not None:
        loss = value_at_risk(weights, inputs.scenarios, limits.limit_alpha)
        ratios["var"] = loss / limits.var
    if limits.cvar is not None:
        loss = conditional_value_at_risk(weights, inputs.scenarios, limits.limit_alpha)
        ratios["cvar"] = loss / limits.cvar
    if limits.vol_target is not None:
        volatility = np.sqrt(inputs.periods_per_year) * portfolio_volatility(
            weights, inputs.covariance
        )
        ratios["vol_target"] = volatility / limits.vol_target
    return ratios


def within_risk_limits(limits: Limits, weights: np.ndarray, inputs: RiskInputs) -> bool:
    """Whether one portfolio meets every risk limit (to rounding)."""
    return all(
        float(ratio) <= 1.0 + _WITHIN_TOLERANCE
        for ratio in risk_ratios(limits, weights, inputs).values()
    )


def scale_to_risk_limits(
    limits: Limits, weights: np.ndarray, inputs: RiskInputs
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Scale each row of ``weights`` ``(dates, assets)`` down until every risk limit holds.

    Returns the scaled weights and, per risk limit, which dates it bound
    (its ratio was above one before scaling).

    Examples
    --------
    >>> covariance = np.full((1, 1, 1), 0.2**2 / 252)              # 20 % a year
    >>> scaled, bound = scale_to_risk_limits(
    ...     Limits(vol_target=0.10), np.ones((1, 1)), RiskInputs(None, covariance))
    >>> scaled.round(12).tolist(), bound["vol_target"].tolist()
    ([[0.5]], [True])
    """
    ratios = risk_ratios(limits, weights, inputs)
    if not ratios:
        return weights, {}
    worst = np.max(np.stack(list(ratios.values())), axis=0)
    scale = np.where(worst > 1.0, 1.0 / np.where(worst > 1.0, worst, 1.0), 1.0)
    bound = {name: ratio > 1.0 + RATIO_TOLERANCE for name, ratio in ratios.items()}
    return weights * scale[:, None], bound
