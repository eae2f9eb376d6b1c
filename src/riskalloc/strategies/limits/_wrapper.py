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

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, RunContext
from riskalloc.data import MarketData
from riskalloc.strategies._allocation_record import AllocationStep, record_steps
from riskalloc.strategies._protocol import BaseAllocator, as_allocator, decision_positions
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
    and notes in ``allocation_record_`` (labels such as ``"risk_parity+limits
    (max_weight bound)"``), which the runner counts into the cell's notes.

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
        # Any object with the Allocator protocol, seen through the typed base.
        self.strategy = as_allocator(strategy)
        self.limits = limits
        # A deep strategy trains under the limits' differentiable part (its parameter
        # ``training_limits``), so its network learns for the limited portfolio.
        if self.strategy.accepts_training_limits:
            self.strategy.training_limits = limits.to_dict()

    @property  # type: ignore[override]
    def name(self) -> str:
        return f"{self.strategy.name}{LIMITED_SUFFIX}"

    @property  # type: ignore[override]
    def stochastic(self) -> bool:
        return self.strategy.stochastic

    @property  # type: ignore[override]
    def saveable(self) -> bool:
        return self.strategy.saveable and self.strategy.accepts_training_limits

    @property
    def min_history(self) -> int:
        return max(self.strategy.min_history, self.limits.min_history)

    @property  # type: ignore[override]
    def forecast_horizon(self) -> int:
        return self.strategy.forecast_horizon

    @property  # type: ignore[override]
    def training_log_(self) -> Any:
        """The wrapped strategy's training curve."""
        return getattr(self.strategy, "training_log_", None)

    def get_params(self) -> dict[str, Any]:
        return {**self.strategy.get_params(), "limits": self.limits.to_dict()}

    def fit(self, train: MarketData, context: RunContext | None = None) -> LimitedAllocator:
        self.limits.validated().check_assets(list(train.assets), self.name)
        self.strategy.fit(train, context)
        return super().fit(train, context)  # type: ignore[return-value]

    def save(self, directory: str | Path) -> Path:
        """Save the wrapped strategy with these limits; :func:`riskalloc.load_model` gives it
        back wrapped in them.

        The limits are saved as the strategy's ``training_limits`` (the parameter they
        train under, set by the constructor), so only a strategy that trains under limits
        can be saved with them: the end-to-end deep strategies and their ensembles.
        """
        if not self.strategy.saveable:
            raise ConfigError(f"{self.name}: strategy '{self.strategy.name}' has nothing to save")
        if not self.strategy.accepts_training_limits:
            raise ConfigError(
                f"{self.name}: a saved model keeps its limits as its training_limits, and "
                f"'{self.strategy.name}' does not train under limits (deep_sharpe, deep_cvar "
                "and their ensembles do); save the strategy alone (.strategy.save) and wrap "
                "the loaded model in its limits again"
            )
        if getattr(self.strategy, "training_limits", None) != self.limits.to_dict():
            raise ConfigError(
                f"{self.name}: the strategy's training_limits differ from the wrapper's limits "
                "(changed after wrapping); wrap the strategy again and refit it before saving"
            )
        return self.strategy.save(directory)

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

        inputs = RiskInputs.build(limits, history, dates, self.name, self.context_.periods_per_year)
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
        self.record_allocations(self._steps(dates), dates)
        self.forecasts_ = self.strategy.forecasts_
        return pd.DataFrame(weights, index=dates, columns=history.assets)

    def _steps(self, dates: pd.DatetimeIndex) -> list[AllocationStep]:
        """The strategy's step per date, its own method renamed to this wrapper, with the
        limits' notes; a declared fallback stays the fallback it was."""
        record = self.strategy.allocation_record_
        if record is not None and record.index.equals(dates):
            steps = record_steps(record)
        else:
            steps = [AllocationStep(self.strategy.name)] * len(dates)
        steps = [
            replace(step, method=self.name) if step.method == self.strategy.name else step
            for step in steps
        ]
        for limit, flags in self.limits_bound_.items():
            note = NOTES[str(limit)]
            steps = [
                step.with_notes(note) if flag else step
                for step, flag in zip(steps, flags, strict=True)
            ]
        return steps
