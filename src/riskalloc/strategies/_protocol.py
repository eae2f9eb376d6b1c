"""The one protocol every strategy follows, and a base class that implements the plumbing."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, DataError, RunContext, daily_rate
from riskalloc.data import MarketData
from riskalloc.strategies._allocation_record import (
    AllocationStep,
    allocation_record,
    record_labels,
)

__all__ = [
    "Allocator",
    "BaseAllocator",
    "ProtocolAdapter",
    "as_allocator",
    "decision_positions",
    "finite_weights",
]


@runtime_checkable
class Allocator(Protocol):
    """What the backtest, the runner and the report need of a strategy.

    ``fit`` learns from the training span only, under the run's ``context`` (costs,
    cash rate, periods per year, rebalancing: what the strategy is judged by).
    ``allocate`` returns the target
    weights decided at the close of each of ``dates`` (rows) for every asset of
    ``history`` (columns), using data up to and including that date. Weights
    summing to less than one leave the rest in cash.
    """

    name: str

    def fit(self, train: MarketData, context: RunContext | None = None) -> Allocator: ...

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame: ...


class BaseAllocator:
    """Plumbing shared by riskalloc's strategies, and the capabilities the engine reads.

    Subclasses store their constructor arguments unchanged (no logic in
    ``__init__``), validate them in ``fit``, and name fitted state with a
    trailing underscore.

    Every capability the backtest engine, the limits and the runner use is declared
    here with its default, so a strategy states what it offers by overriding it:

    - ``min_history``: prices needed up to the first decision date;
    - ``get_params()``: the constructor arguments (a run's configuration records them);
    - ``stochastic``: whether the weights depend on ``seed``;
    - ``forecasts_`` and ``forecast_horizon``: forecasts made during ``allocate``
      (columns ``date, asset, target, predicted``) and the days they cover;
    - ``allocation_record_``: which step produced each decision's weights and why
      (:class:`~riskalloc.strategies.AllocationStep`), ``objective_``: the optimiser's
      objective per decision;
    - ``accepts_training_limits``: whether ``fit`` can train under differentiable limits;
    - ``context_``: the :class:`~riskalloc.core.RunContext` ``fit`` was given.
    """

    name: ClassVar[str] = "base"
    #: The family a strategy belongs to ("classical", ...); tools that treat a family alike read it.
    family: ClassVar[str] = "custom"
    #: True for strategies whose result depends on a random seed (deep, RL).
    stochastic: ClassVar[bool] = False
    #: True for strategies that train under the differentiable limits (``training_limits``).
    accepts_training_limits: ClassVar[bool] = False
    #: True for strategies whose fitted state :meth:`save` writes (deep models, RL policies).
    saveable: ClassVar[bool] = False
    #: Days a forecast in ``forecasts_`` covers.
    forecast_horizon: int = 1
    #: Forecasts made by the last ``allocate`` (None: the strategy does not forecast).
    forecasts_: pd.DataFrame | None = None
    #: Per decision date of the last ``allocate``: the step that produced the weights.
    allocation_record_: pd.DataFrame | None = None
    #: Per decision date of the last ``allocate``: the optimiser's objective value.
    objective_: pd.Series | None = None
    #: The run context of the last ``fit`` (the default context before any fit).
    context_: RunContext = RunContext()
    #: Strategies that train: one row per epoch of every fit (the first and each
    #: walk-forward refit) — ``fit, fit_end, epoch, train_loss, validation_loss, chosen`` —
    #: or, for RL agents, ``timestep, episode_reward``; None for strategies that do not train.
    training_log_: pd.DataFrame | None = None

    # --- parameters (scikit-learn style) ------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        # A subclass without its own __init__ has object's (*args, **kwargs): no parameters.
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, parameter in signature.parameters.items()
            if name != "self"
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]

    @classmethod
    def param_annotations(cls) -> dict[str, Any]:
        hints = inspect.get_annotations(cls.__init__, eval_str=True)
        return {name: hints.get(name, str) for name in cls.param_names()}

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.param_names()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # --- history ----------------------------------------------------------------------
    @property
    def min_history(self) -> int:
        """Prices needed up to the first decision date (e.g. ``window + 1``)."""
        return 1

    def fit(self, train: MarketData, context: RunContext | None = None) -> BaseAllocator:
        """Record the assets and the run context; strategies that learn override this and call it."""
        self.assets_ = list(train.assets)
        self.context_ = context if context is not None else RunContext()
        return self

    def save(self, directory: str | Path) -> Path:
        """Write the fitted strategy to ``directory`` for :func:`riskalloc.load_model`.

        Strategies with fitted state to keep (``saveable``) override this; the rest are
        rebuilt from their parameters and have nothing to save.
        """
        raise ConfigError(
            f"{self.name}: nothing to save (a strategy without trained state is rebuilt from "
            "its parameters); save a deep strategy or an RL agent"
        )

    def training_cost_rate(self, costs_bps: float | None) -> float:
        """Cost per unit of turnover to train at: ``costs_bps`` when the user set it, else the
        run's (``context_``), so a strategy trains at the costs it is judged by."""
        return (self.context_.costs_bps if costs_bps is None else float(costs_bps)) / 1e4

    def training_cash_return(self, risk_free: float | None = None) -> float:
        """Per-period return of cash to train at: ``risk_free`` (annual) when set, else the run's."""
        if risk_free is None:
            return self.context_.cash_return
        return daily_rate(float(risk_free), self.context_.periods_per_year)

    @property
    def allocation_methods_(self) -> pd.Series | None:
        """One label per decision date of ``allocation_record_`` (for people), or None."""
        if self.allocation_record_ is None:
            return None
        return record_labels(self.allocation_record_)

    def record_allocations(self, steps: Sequence[AllocationStep], dates: pd.DatetimeIndex) -> None:
        """Keep the step that produced each decision's weights (see ``allocation_record_``)."""
        self.allocation_record_ = allocation_record(steps, dates)

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        raise NotImplementedError


def decision_positions(history: MarketData, dates: pd.DatetimeIndex, strategy: str) -> Any:
    """Row positions of ``dates`` in ``history``; every date must be a trading date in it."""
    positions = history.dates.get_indexer(pd.DatetimeIndex(dates))
    if (positions < 0).any():
        missing = pd.DatetimeIndex(dates)[positions < 0][0]
        raise DataError(
            f"{strategy}: decision date {missing.date()} is not a trading date of the history"
        )
    return positions


def finite_weights(weights: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """``weights`` (dates x assets), refused when one is NaN or infinite; returns them.

    A network fed broken inputs, or a damaged model, can output NaN; weights like that
    are an error naming the first date and asset, never a result.

    Raises
    ------
    DataError
        ``strategy: non-finite weight (nan) for 'AAPL' on 2020-03-16; ...``.
    """
    values = weights.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        date = weights.index[row]
        day = date.date() if isinstance(date, pd.Timestamp) else date
        raise DataError(
            f"{strategy}: non-finite weight ({values[row, column]}) for "
            f"'{weights.columns[column]}' on {day}; the model or its inputs are broken "
            "(check the prices up to that date, or train the model again)"
        )
    return weights


def check_positive_int(value: Any, parameter: str, strategy: str, minimum: int = 1) -> int:
    """Validate an integer parameter, naming it on failure."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be an integer >= {minimum}, got {value!r}"
        )
    return value


class ProtocolAdapter(BaseAllocator):
    """A strategy that follows only the :class:`Allocator` protocol, seen through the typed base.

    A user's own class needs only ``name``, ``fit`` and ``allocate``; this adapter reads
    whichever optional capabilities it also offers (``min_history``, ``get_params``,
    ``stochastic``, ``forecasts_``, ``forecast_horizon``, ``allocation_record_``,
    ``objective_``), once, here, so the engine and the limits deal with one type.
    A ``fit`` that takes no context is called without one.
    """

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy

    @property  # type: ignore[override]
    def name(self) -> str:
        return str(getattr(self.strategy, "name", type(self.strategy).__name__))

    @property  # type: ignore[override]
    def stochastic(self) -> bool:
        return bool(getattr(self.strategy, "stochastic", False))

    @property
    def min_history(self) -> int:
        return int(getattr(self.strategy, "min_history", 1))

    @property  # type: ignore[override]
    def forecast_horizon(self) -> int:
        return int(getattr(self.strategy, "forecast_horizon", 1))

    def get_params(self) -> dict[str, Any]:
        get_params = getattr(self.strategy, "get_params", None)
        return dict(get_params()) if callable(get_params) else {}

    def fit(self, train: MarketData, context: RunContext | None = None) -> ProtocolAdapter:
        parameters = inspect.signature(self.strategy.fit).parameters
        if len(parameters) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters.values()):
            self.strategy.fit(train, context)
        else:
            self.strategy.fit(train)
        return super().fit(train, context)  # type: ignore[return-value]

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        weights = self.strategy.allocate(history, dates)
        for attribute in ("forecasts_", "allocation_record_", "objective_"):
            value = getattr(self.strategy, attribute, None)
            setattr(self, attribute, value if isinstance(value, pd.DataFrame | pd.Series) else None)
        return weights


def as_allocator(strategy: Any) -> BaseAllocator:
    """``strategy`` as a :class:`BaseAllocator` (itself, or a :class:`ProtocolAdapter`).

    Raises
    ------
    ConfigError
        ``strategy`` has no ``fit`` and ``allocate`` (a name given as a string, None, ...).
    """
    if isinstance(strategy, BaseAllocator):
        return strategy
    if isinstance(strategy, str):
        raise ConfigError(
            f"strategy: got the string {strategy!r}; pass an allocator, e.g. "
            f"ra.get_strategy({strategy!r})"
        )
    if not (
        callable(getattr(strategy, "fit", None)) and callable(getattr(strategy, "allocate", None))
    ):
        raise ConfigError(
            f"strategy: {type(strategy).__name__} is not an allocator (it needs name, "
            "fit(train) and allocate(history, dates))"
        )
    return ProtocolAdapter(strategy)
