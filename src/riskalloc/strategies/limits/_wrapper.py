"""`LimitedAllocator`: any strategy, with risk limits applied to the weights it decides.

Order of application, and why:

1. **caps** (``max_weight``, ``group_caps``): the exact projection onto the
   caps (:func:`project_onto_caps`); the strategy stays as invested as the
   caps allow.
2. **risk limits** (``var``, ``cvar``, ``vol_target``): one exact scaling
   towards cash. Scaling down keeps every cap, so step 1 still holds.
3. **drawdown stop**: all cash while stopped; cash meets every other limit.
4. **turnover** (``max_turnover``): the trade from the drifted previous
   weights is cut along the straight line to the target; caps and risk limits
   hold at the target, so they hold along the cut wherever the drifted weights
   met them.

After all four, the caps, the risk limits and the drawdown stop hold at every
decision date. The turnover limit holds at every decision but the first (the
portfolio is built from cash) and except where it cannot hold together with
the others: where drifted weights breach a cap or a risk limit by more than
the allowed trade can repair, or where the stop moves to cash. There the
other limits win, and the date is recorded ("max_turnover exceeded").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskalloc.data import MarketData
from riskalloc.strategies._protocol import BaseAllocator, decision_positions
from riskalloc.strategies.limits._caps import CapSet, project_onto_caps
from riskalloc.strategies.limits._path import apply_path_limits
from riskalloc.strategies.limits._risk import (
    RiskInputs,
    scale_to_risk_limits,
    within_risk_limits,
)
from riskalloc.strategies.limits._spec import LIMITED_SUFFIX, Limits

__all__ = ["LimitedAllocator"]

#: The note each limit adds to a decision date's method label when it bound.
NOTES = {
    "max_weight": "max_weight bound",
    "group_caps": "group_caps bound",
    "var": "var limit bound",
    "cvar": "cvar limit bound",
    "vol_target": "vol_target bound",
    "drawdown_stop": "drawdown stop: in cash",
    "max_turnover": "max_turnover bound",
    "max_turnover_exceeded": "max_turnover exceeded to meet the other limits",
}


class LimitedAllocator(BaseAllocator):
    """Wrap ``strategy`` so that its weights meet ``limits`` (see the module notes for the order).

    ``allocate`` asks the strategy for its weights, then applies the limits
    with data up to each decision date only. Per decision date it records
    which limits bound: ``limits_bound_`` (a date x limit table of booleans)
    and notes in ``allocation_methods_`` such as ``"risk_parity+limits
    (max_weight bound)"``, which the runner counts into the cell's notes.

    A strategy that can train under limits (``accepts_training_limits``: the end-to-end
    deep strategies and their ensembles) gets them as its ``training_limits``, so its
    loss scores the limited weights; the limits are still applied here, exactly.

    Parameters
    ----------
    strategy : Allocator
        The strategy to limit (its fitting is untouched, except a deep strategy's
        ``training_limits``, set to ``limits``).
    limits : Limits
        The limits, e.g. ``parse_limits(["max_weight=0.2", "vol_target=0.1"])``.

    Examples
    --------
    >>> import riskalloc as ra
    >>> from riskalloc.strategies.limits import LimitedAllocator, Limits
    >>> limited = LimitedAllocator(ra.get_strategy("equal_weight"), Limits(max_weight=0.2))
    >>> result = ra.backtest(ra.scenario("bull-2010"), limited, rebalance="monthly")
    >>> bool(result.weights.max().max() <= 0.2 + 1e-12)
    True
    """

    def __init__(self, strategy: Any, limits: Limits) -> None:
        self.strategy = strategy
        self.limits = limits
        # A deep strategy trains under the limits' differentiable part (its parameter
        # ``training_limits``), so its network learns for the limited portfolio.
        if getattr(strategy, "accepts_training_limits", False):
            strategy.training_limits = limits.to_dict()

    @property  # type: ignore[override]
    def name(self) -> str:
        return f"{self.strategy.name}{LIMITED_SUFFIX}"

    @property  # type: ignore[override]
    def stochastic(self) -> bool:
        return bool(getattr(self.strategy, "stochastic", False))

    @property
    def min_history(self) -> int:
        return max(int(getattr(self.strategy, "min_history", 1)), self.limits.min_history)

    @property
    def forecast_horizon(self) -> int:
        return int(getattr(self.strategy, "forecast_horizon", 1))

    def get_params(self) -> dict[str, Any]:
        inner = self.strategy.get_params() if hasattr(self.strategy, "get_params") else {}
        return {**inner, "limits": self.limits.to_dict()}

    def fit(self, train: MarketData) -> LimitedAllocator:
        self.limits.validated().check_assets(list(train.assets), self.name)
        self.strategy.fit(train)
        return super().fit(train)  # type: ignore[return-value]

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        dates = pd.DatetimeIndex(dates)
        limits = self.limits.validated()
        assets = list(history.assets)
        limits.check_assets(assets, self.name)
        target = self.strategy.allocate(history, dates)
        weights = target.reindex(columns=assets).fillna(0.0).to_numpy(dtype=float)
        bound: dict[str, np.ndarray] = {}

        caps = None
        if limits.max_weight is not None or limits.group_caps:
            caps = CapSet.build(assets, limits.max_weight, limits.groups, limits.group_caps)
            if limits.max_weight is not None:
                bound["max_weight"] = caps.asset_binds(weights)
            if limits.group_caps:
                bound["group_caps"] = caps.group_binds(weights)
            weights = project_onto_caps(weights, caps)

        inputs = RiskInputs.build(limits, history, dates, self.name)
        weights, risk_bound = scale_to_risk_limits(limits, weights, inputs)
        bound.update(risk_bound)

        if limits.sequential:

            def within(candidate: np.ndarray, k: int) -> bool:
                if caps is not None and not caps.holds(candidate[None], 1e-12)[0]:
                    return False
                return within_risk_limits(limits, candidate, inputs.row(k))

            growth = 1.0 + np.nan_to_num(history.returns.to_numpy(), nan=0.0)
            positions = decision_positions(history, dates, self.name)
            path = apply_path_limits(limits, weights, growth, positions, within)
            weights = path.weights
            if limits.drawdown_stop is not None:
                bound["drawdown_stop"] = path.drawdown_stop
            if limits.max_turnover is not None:
                bound["max_turnover"] = path.max_turnover
                bound["max_turnover_exceeded"] = path.max_turnover_exceeded

        self.limits_bound_ = pd.DataFrame(bound, index=dates, dtype=bool)
        self.allocation_methods_ = self._methods(dates)
        forecasts = getattr(self.strategy, "forecasts_", None)
        if isinstance(forecasts, pd.DataFrame):
            self.forecasts_ = forecasts
        return pd.DataFrame(weights, index=dates, columns=history.assets)

    def _methods(self, dates: pd.DatetimeIndex) -> pd.Series:
        """The strategy's method label per date, renamed to this wrapper, with the limits' notes."""
        inner_name = self.strategy.name
        recorded = getattr(self.strategy, "allocation_methods_", None)
        if isinstance(recorded, pd.Series) and recorded.index.equals(dates):
            labels = [str(label) for label in recorded]
        else:
            labels = [inner_name] * len(dates)
        # The strategy's own method becomes this wrapper's; a declared fallback stays one.
        labels = [
            self.name + label[len(inner_name) :]
            if label == inner_name or label.startswith(inner_name + " (")
            else label
            for label in labels
        ]
        for limit, flags in self.limits_bound_.items():
            note = f" ({NOTES[str(limit)]})"
            labels = [
                label + note if flag else label for label, flag in zip(labels, flags, strict=True)
            ]
        return pd.Series(labels, index=dates, name="method", dtype=object)
