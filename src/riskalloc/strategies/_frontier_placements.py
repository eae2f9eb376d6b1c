"""The efficient frontier on the training span's last window, with each registered classical
strategy placed on the same estimates (what ``riskalloc frontier`` prints).

It lives above ``classical/`` because it needs the registry to find the strategies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.core import PERIODS_PER_YEAR
from riskalloc.data import MarketData
from riskalloc.risk import estimate_covariance, estimate_mean
from riskalloc.strategies._registry import get_strategy, list_strategies, strategy_class
from riskalloc.strategies.classical import efficient_frontier

__all__ = ["frontier_with_strategies"]

#: The ``family`` class attribute of the strategies placed by default.
CLASSICAL_FAMILY = "classical"


def frontier_with_strategies(
    market: MarketData,
    train_end: pd.Timestamp,
    *,
    window: int = 252,
    n_points: int = 50,
    strategies: list[str] | None = None,
    risk_free: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The efficient frontier on the training span's last ``window`` returns, and where
    each classical strategy's weights for that date sit on the same estimates.

    ``strategies`` defaults to every registered strategy whose class declares
    ``family = "classical"``.

    Returns ``(frontier, placements)``; ``placements`` has one row per strategy with
    annualised ``return`` (``PERIODS_PER_YEAR`` x daily mean), ``volatility``
    (``sqrt(PERIODS_PER_YEAR)`` x daily) and ``sharpe`` (against the annual ``risk_free``).
    """
    train = market.until(train_end)
    date = pd.DatetimeIndex([train.dates[-1]])
    windows = train.return_windows(date, window, strategy="frontier")
    mean, covariance = estimate_mean(windows)[0], estimate_covariance(windows)[0]
    frontier = efficient_frontier(
        mean, covariance, list(market.assets), n_points, risk_free=risk_free
    )
    if strategies is None:
        strategies = [
            name
            for name in list_strategies()
            if getattr(strategy_class(name), "family", None) == CLASSICAL_FAMILY
        ]
    rows = []
    for name in strategies:
        params = {"window": window} if "window" in strategy_class(name).param_names() else {}
        strategy = get_strategy(name, **params).fit(train)
        weights = strategy.allocate(train, date).to_numpy()[0]
        annual_return = PERIODS_PER_YEAR * float(weights @ mean)
        volatility = float(np.sqrt(PERIODS_PER_YEAR * weights @ covariance @ weights))
        rows.append(
            {
                "strategy": name,
                "return": annual_return,
                "volatility": volatility,
                "sharpe": (annual_return - risk_free) / volatility,
            }
        )
    return frontier, pd.DataFrame(rows)
