"""Synthetic prices and poisoning for the feature tests (fast, deterministic)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_walk_prices(
    n_dates: int = 700, n_assets: int = 4, start: str = "2003-01-02", seed: int = 0
) -> pd.DataFrame:
    """Geometric random walks on business days (inside the bundled S&P 500's span by default)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_dates, name="date")
    steps = rng.normal(0.0003, 0.015, size=(n_dates, n_assets))
    prices = 100.0 * np.exp(np.cumsum(steps, axis=0))
    return pd.DataFrame(prices, index=dates, columns=[f"A{i}" for i in range(n_assets)])


def macro_columns(dates: pd.DatetimeIndex, seed: int = 1) -> pd.DataFrame:
    """Two extra columns: a weekly (sparse) series and a daily one with blanks, negatives allowed."""
    rng = np.random.default_rng(seed)
    weekly = pd.Series(rng.normal(0, 1, len(dates)), index=dates).iloc[::5]
    daily = pd.Series(rng.normal(0, 1, len(dates)), index=dates)
    daily.iloc[rng.choice(len(dates), size=len(dates) // 10, replace=False)] = np.nan
    daily.iloc[0] = 0.5
    frame = pd.DataFrame({"term_spread": weekly, "sentiment": daily})
    frame.index.name = "date"
    return frame


def poison_after(frame: pd.DataFrame | pd.Series, last_clean: pd.Timestamp, seed: int):
    """``frame`` with every value dated after ``last_clean`` multiplied by a random factor."""
    rng = np.random.default_rng(seed)
    poisoned = frame.copy()
    after = poisoned.index > last_clean
    # At most 2.5 / 0.4 = 6.25x from one day to the next: wild, yet within the bound on
    # one-day moves that MarketData enforces (10x), so the poisoned prices are accepted.
    factors = rng.uniform(0.4, 2.5, size=(int(after.sum()), *poisoned.shape[1:]))
    poisoned.loc[after] = poisoned.loc[after].to_numpy() * factors
    return poisoned
