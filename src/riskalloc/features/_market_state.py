"""Market-state features: realised volatility, trend and drawdown of a market index.

They are one value per date, shared by every asset. The index is the bundled
S&P 500 (``load_dataset("sp500_index")``, 1990-01-02 .. 2022-12-28), an
equal-weight index of the run's own assets, or a series the user passes.
"""

from __future__ import annotations

import enum
import warnings

import numpy as np
import pandas as pd

from riskalloc.core import DataError
from riskalloc.data import MarketData, load_dataset, validate_prices
from riskalloc.data._synthetic_spec import SYNTHETIC_ATTR
from riskalloc.features._indicators import (
    drawdown_from_peak,
    moving_average_ratio,
    trailing_volatility,
)

__all__ = [
    "MarketIndex",
    "bundled_index_levels",
    "equal_weight_index",
    "index_state_on_dates",
    "market_state_features",
    "resolve_market_index",
    "validate_index_levels",
]


class MarketIndex(enum.StrEnum):
    """Which market index the market-state features are computed from.

    ``AUTO`` takes the bundled S&P 500 when it covers every date of the training
    span and otherwise the equal-weight index of the assets (decided once, in
    ``fit``, and recorded); ``SP500`` insists on the bundled index;
    ``EQUAL_WEIGHT`` always uses the assets' own equal-weight index. ``SERIES`` is
    what a builder records when the user passed index levels as a pandas Series.
    """

    AUTO = "auto"
    SP500 = "sp500_index"
    EQUAL_WEIGHT = "equal_weight"
    SERIES = "series"


def bundled_index_levels() -> pd.Series:
    """The bundled daily S&P 500 index level (no network)."""
    frame = load_dataset("sp500_index")
    return frame.iloc[:, 0].rename("sp500_index")


def validate_index_levels(
    levels: pd.Series | pd.DataFrame, source: str = "market_index"
) -> pd.Series:
    """Check user index levels like prices (dates, positive numbers) and return one series."""
    if isinstance(levels, pd.Series):
        levels = levels.to_frame(name=levels.name if levels.name is not None else source)
    if not isinstance(levels, pd.DataFrame) or levels.shape[1] != 1:
        raise DataError(
            f"{source}: give the market index as a pandas Series of levels by date "
            f"(or a one-column DataFrame), got {type(levels).__name__}"
            + (f" with {levels.shape[1]} columns" if isinstance(levels, pd.DataFrame) else "")
        )
    return validate_prices(levels, source=source).iloc[:, 0].dropna()


def index_state_on_dates(
    levels: pd.Series,
    dates: pd.DatetimeIndex,
    *,
    volatility_window: int,
    trend_window: int,
    drawdown_window: int | None,
    features: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """:func:`market_state_features` of an index on its own calendar, read on ``dates``.

    The features are computed over the index's own dates (a holiday of the run's
    calendar adds no fake flat day), then each of ``dates`` takes the value of the
    last index date on or before it. A date after the index's last level is NaN:
    the index does not cover it, and carrying a stale value past the end would be
    wrong data. ``features`` are the index's features computed before (to reuse them).
    """
    if features is None:
        features = market_state_features(
            levels.to_numpy(dtype=float),
            volatility_window=volatility_window,
            trend_window=trend_window,
            drawdown_window=drawdown_window,
        )
    dates = pd.DatetimeIndex(dates)
    last_known = levels.index.searchsorted(dates, side="right") - 1
    covered = (last_known >= 0) & (dates <= levels.index[-1])
    rows = np.clip(last_known, 0, None)
    return {name: np.where(covered, values[rows], np.nan) for name, values in features.items()}


def equal_weight_index(prices: np.ndarray) -> np.ndarray:
    """Level of a daily rebalanced equal-weight index of the assets, starting at 1.

    ``I_t = I_{t-1} (1 + mean_i R_{i,t})`` over the assets with a return on day
    ``t`` (an asset joins the day after its first price); a day when no asset has
    a return leaves the level unchanged.
    """
    returns = np.full(prices.shape, np.nan)
    returns[1:] = prices[1:] / prices[:-1] - 1.0
    present = np.isfinite(returns)
    counted = present.sum(axis=1)
    mean = np.where(present, returns, 0.0).sum(axis=1) / np.maximum(counted, 1)
    return np.cumprod(1.0 + mean)


def market_state_features(
    levels: np.ndarray, *, volatility_window: int, trend_window: int, drawdown_window: int | None
) -> dict[str, np.ndarray]:
    """Market-state features of an index level series, by name, each of shape ``(dates,)``.

    - ``market_volatility_{w}``: std of the index's ``w`` latest daily log returns;
    - ``market_trend_{w}``: ``I_t / mean(I_{t-w+1..t}) - 1`` (the classic 200-day rule);
    - ``market_drawdown_{w}``: ``I_t / max(I_{t-w+1..t}) - 1``.
    """
    features = {
        f"market_volatility_{volatility_window}": trailing_volatility(levels, volatility_window),
        f"market_trend_{trend_window}": moving_average_ratio(levels, trend_window),
    }
    if drawdown_window is not None:
        features[f"market_drawdown_{drawdown_window}"] = drawdown_from_peak(levels, drawdown_window)
    return features


def resolve_market_index(
    market: bool, market_index: MarketIndex | str | pd.Series, train: MarketData
) -> tuple[MarketIndex | None, pd.Series | None]:
    """The index the market features come from, decided once from the training span.

    Returns the source and its levels (``None`` for the equal-weight index, which
    is rebuilt from each history's own prices). ``AUTO`` falls back to the
    equal-weight index, with a warning, when the bundled S&P 500 does not cover
    every training date; ``SP500`` raises instead.
    """
    if not market:
        return None, None
    if isinstance(market_index, pd.Series | pd.DataFrame):
        return MarketIndex.SERIES, validate_index_levels(market_index)
    choice = MarketIndex(market_index)
    if choice is MarketIndex.EQUAL_WEIGHT:
        return choice, None
    if choice is MarketIndex.AUTO and train.prices.attrs.get(SYNTHETIC_ATTR):
        # A synthetic market has no index behind it but its own assets: the real
        # S&P 500 on the same calendar dates would be unrelated to its prices.
        return MarketIndex.EQUAL_WEIGHT, None
    levels = bundled_index_levels()
    covered = len(train) == 0 or (
        train.dates[0] >= levels.index[0] and train.dates[-1] <= levels.index[-1]
    )
    if covered:
        return MarketIndex.SP500, levels
    span = f"{levels.index[0].date()}..{levels.index[-1].date()}"
    if choice is MarketIndex.SP500:
        raise DataError(
            f"FeatureBuilder: the bundled sp500_index covers {span}, not all of "
            f"{train.name}'s training span {train.dates[0].date()}..{train.dates[-1].date()}; "
            "use market_index=MarketIndex.EQUAL_WEIGHT or pass index levels as a Series"
        )
    warnings.warn(
        f"FeatureBuilder: the bundled sp500_index covers {span}, not {train.name}'s training "
        "span; market features use the equal-weight index of the assets "
        "(market_source_='equal_weight')",
        UserWarning,
        stacklevel=3,
    )
    return MarketIndex.EQUAL_WEIGHT, None
