"""riskalloc strategies as scikit-learn / skfolio estimators.

:class:`AllocatorEstimator` wraps any riskalloc strategy (by registered name, or an
allocator object) in skfolio's optimisation API: ``fit(X)`` on asset returns trains
the strategy on them and sets ``weights_``, the weights it decides at the last date
of ``X``; ``predict(X)`` is a skfolio ``Portfolio`` of those weights on ``X``, so
skfolio's measures, plots, ``cross_val_predict`` with ``WalkForward`` or
``CombinatorialPurgedCV`` and model comparison work on a riskalloc allocator as on
their own models.

Examples
--------
>>> import riskalloc as ra
>>> from riskalloc.sklearn import AllocatorEstimator
>>> prices = ra.load_dataset("sp500").loc["2015":"2017", ["AAPL", "KO", "JPM"]]
>>> returns = prices.pct_change().dropna()
>>> model = AllocatorEstimator("inverse_volatility").fit(returns)
>>> round(float(model.weights_.sum()), 12), bool((model.weights_ > 0).all())
(1.0, True)
>>> portfolio = model.predict(returns)  # a skfolio Portfolio: its measures and plots
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from skfolio.optimization._base import BaseOptimization
from sklearn.utils.validation import validate_data

from riskalloc.core import (
    DEFAULT_COSTS_BPS,
    PERIODS_PER_YEAR,
    ConfigError,
    RunContext,
    infer_periods_per_year,
)
from riskalloc.data import MarketData
from riskalloc.strategies import as_allocator, get_strategy
from riskalloc.strategies._protocol import finite_weights

__all__ = ["AllocatorEstimator"]

#: Dates given to returns without any (a NumPy array, a RangeIndex): business days.
_UNDATED_START = "2000-01-03"


class AllocatorEstimator(BaseOptimization):
    """A riskalloc strategy as a skfolio portfolio optimiser.

    Parameters
    ----------
    strategy : str or Allocator, default "equal_weight"
        A registered strategy name, or an allocator object (copied, never changed).
    params : dict, optional
        Parameters of a strategy given by name.
    costs_bps, risk_free : float
        The trading context the strategy trains at (costs per unit of turnover in basis
        points; annual cash rate).
    periods_per_year : int, optional
        Of the returns; default read from a DatetimeIndex, else 252.
    portfolio_params : dict, optional
        Passed to the skfolio ``Portfolio`` that :meth:`predict` returns.

    Attributes
    ----------
    weights_ : ndarray of shape (n_assets,)
        The weights the fitted strategy decides at the last date of ``X``.
    strategy_ : the fitted riskalloc allocator.
    """

    def __init__(
        self,
        strategy: Any = "equal_weight",
        params: dict[str, Any] | None = None,
        costs_bps: float = DEFAULT_COSTS_BPS,
        risk_free: float = 0.0,
        periods_per_year: int | None = None,
        portfolio_params: dict | None = None,
    ) -> None:
        super().__init__(portfolio_params=portfolio_params)
        self.strategy = strategy
        self.params = params
        self.costs_bps = costs_bps
        self.risk_free = risk_free
        self.periods_per_year = periods_per_year

    def fit(self, X: Any, y: Any = None) -> AllocatorEstimator:
        """Train the strategy on the asset returns ``X`` (observations x assets)."""
        index = X.index if isinstance(X, pd.DataFrame) else None
        values = validate_data(self, X, dtype=float, ensure_min_samples=2)
        market = _market(values, index, getattr(self, "feature_names_in_", None))
        strategy = self._new_strategy()
        periods = self.periods_per_year
        if periods is None:
            dated = isinstance(index, pd.DatetimeIndex)
            periods = infer_periods_per_year(market.dates) if dated else PERIODS_PER_YEAR
        strategy.fit(market, RunContext(self.costs_bps, self.risk_free, periods_per_year=periods))
        decided = finite_weights(strategy.allocate(market, market.dates[-1:]), strategy.name)
        self.weights_ = decided.iloc[0].to_numpy(dtype=float)
        self.strategy_ = strategy
        return self

    def predict(self, X: Any) -> Any:
        """A skfolio ``Portfolio`` holding ``weights_`` over the returns ``X``."""
        validate_data(self, X, dtype=float, reset=False)
        return super().predict(X)

    def fit_predict(self, X: Any, y: Any = None) -> Any:
        """``fit(X)`` then ``predict(X)`` (``y`` is ignored, as in scikit-learn)."""
        return self.fit(X).predict(X)

    def _new_strategy(self) -> Any:
        if isinstance(self.strategy, str):
            return as_allocator(get_strategy(self.strategy, **(self.params or {})))
        if self.params:
            raise ConfigError("AllocatorEstimator: params go with a strategy given by name")
        return as_allocator(copy.deepcopy(self.strategy))


def _market(values: np.ndarray, index: Any, names: Any) -> MarketData:
    """Prices from returns: 100 one period before the first return, then compounded."""
    if isinstance(index, pd.DatetimeIndex):
        step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(days=1)
        dates = pd.DatetimeIndex([index[0] - step]).append(index)
    else:
        dates = pd.bdate_range(_UNDATED_START, periods=len(values) + 1)
    columns = [str(name) for name in names] if names is not None else None
    columns = columns or [f"asset_{i}" for i in range(values.shape[1])]
    growth = np.vstack([np.ones(values.shape[1]), np.cumprod(1.0 + values, axis=0)])
    return MarketData(pd.DataFrame(100.0 * growth, index=dates, columns=columns), name="X")
