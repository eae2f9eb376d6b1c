"""The one protocol every strategy follows, and a base class that implements the plumbing."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Protocol, runtime_checkable

import pandas as pd

from riskalloc._errors import ConfigError, DataError
from riskalloc.data import MarketData

__all__ = ["Allocator", "BaseAllocator", "decision_positions"]


@runtime_checkable
class Allocator(Protocol):
    """What the backtest, the runner and the report need of a strategy.

    ``fit`` learns from the training span only. ``allocate`` returns the target
    weights decided at the close of each of ``dates`` (rows) for every asset of
    ``history`` (columns), using data up to and including that date. Weights
    summing to less than one leave the rest in cash.
    """

    name: str

    def fit(self, train: MarketData) -> Allocator: ...

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame: ...


class BaseAllocator:
    """Plumbing shared by riskalloc's strategies (parameters, history checks).

    Subclasses store their constructor arguments unchanged (no logic in
    ``__init__``), validate them in ``fit``, and name fitted state with a
    trailing underscore.
    """

    name: ClassVar[str] = "base"
    #: True for strategies whose result depends on a random seed (deep, RL).
    stochastic: ClassVar[bool] = False

    # --- parameters (scikit-learn style) ------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p for p in signature.parameters if p != "self"]

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

    def fit(self, train: MarketData) -> BaseAllocator:
        """Record the assets; strategies that learn override this and call it."""
        self.assets_ = list(train.assets)
        return self

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


def check_positive_int(value: Any, parameter: str, strategy: str, minimum: int = 1) -> int:
    """Validate an integer parameter, naming it on failure."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{strategy}: parameter '{parameter}' must be an integer >= {minimum}, got {value!r}"
        )
    return value
