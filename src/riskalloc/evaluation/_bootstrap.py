"""Block-bootstrap confidence intervals for the performance metrics of one return series.

The intervals resample the daily returns with Politis and Romano's stationary
bootstrap (``arch.bootstrap.StationaryBootstrap``): blocks of consecutive days
with geometrically distributed lengths, so that autocorrelation and volatility
clustering survive the resampling. Each metric is the evaluator's own function
from :mod:`riskalloc.evaluation._metrics`, so a metric and its interval share one
definition.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from riskalloc.core import RiskFree, cash_returns
from riskalloc.evaluation._metrics import (
    annual_return,
    annual_volatility,
    calmar_ratio,
    max_drawdown,
    periods_of,
    sharpe_ratio,
    sortino_ratio,
)

__all__ = ["BootstrapMetric", "bootstrap_confidence_intervals", "stationary_block_size"]


class BootstrapMetric(enum.StrEnum):
    """Metrics with a bootstrap interval, named as the columns of ``metrics.csv``."""

    SHARPE = "sharpe"
    SORTINO = "sortino"
    CALMAR = "calmar"
    ANNUAL_RETURN = "annual_return"
    ANNUAL_VOLATILITY = "annual_volatility"
    MAX_DRAWDOWN = "max_drawdown"


def _metric_function(metric: BootstrapMetric, periods: int) -> Callable[[np.ndarray], float]:
    """The metric of a ``(n, 2)`` sample of (return, per-period return of cash) rows."""
    if metric is BootstrapMetric.SHARPE:
        return lambda sample: sharpe_ratio(sample[:, 0] - sample[:, 1], 0.0, periods)
    if metric is BootstrapMetric.SORTINO:
        return lambda sample: sortino_ratio(sample[:, 0] - sample[:, 1], 0.0, periods)
    if metric is BootstrapMetric.MAX_DRAWDOWN:
        return lambda sample: max_drawdown(sample[:, 0])
    function = {
        BootstrapMetric.CALMAR: calmar_ratio,
        BootstrapMetric.ANNUAL_RETURN: annual_return,
        BootstrapMetric.ANNUAL_VOLATILITY: annual_volatility,
    }[metric]
    return lambda sample: function(sample[:, 0], periods)


def stationary_block_size(returns: pd.Series | np.ndarray) -> float:
    """Mean block length for the stationary bootstrap of a daily return series.

    The larger of the Politis-White (2004, corrected by Patton, Politis and White
    2009) optimal lengths for the returns and for the squared returns, at least
    1: risk-adjusted metrics depend on the persistence of volatility as much as
    on that of returns, and returns alone are often nearly uncorrelated while
    their squares are not (``arch.bootstrap.optimal_block_length``).

    Examples
    --------
    >>> import numpy as np
    >>> stationary_block_size(np.random.default_rng(0).normal(0, 0.01, 1000)) < 3
    True
    """
    values = np.asarray(returns, dtype=float)
    values = values[~np.isnan(values)]
    # arch is imported on use (~0.5 s, paid by every worker process and CLI start).
    from arch.bootstrap import optimal_block_length

    lengths = optimal_block_length(np.column_stack([values, values**2]))["stationary"]
    return float(max(1.0, np.nanmax(lengths.to_numpy())))


def bootstrap_confidence_intervals(
    returns: pd.Series | np.ndarray,
    metrics: Iterable[BootstrapMetric | str] = (
        BootstrapMetric.SHARPE,
        BootstrapMetric.ANNUAL_RETURN,
        BootstrapMetric.MAX_DRAWDOWN,
    ),
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    block_size: float | None = None,
    seed: int = 0,
    risk_free: RiskFree = 0.0,
    periods_per_year: int | None = None,
) -> pd.DataFrame:
    """Percentile confidence intervals of performance metrics by stationary block bootstrap.

    ``n_bootstrap`` series of the same length are drawn from ``returns`` with
    the stationary bootstrap (mean block length ``block_size``); every metric is
    computed on each, and the interval is the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` percentiles of the bootstrap values (the percentile
    method; NaN draws, e.g. a Calmar ratio without drawdown, are left out).
    ``std_error`` is the standard deviation of the bootstrap values.

    Path-dependent metrics (maximum drawdown, Calmar) are resampled along with
    the rest, but blocks cut long drawdowns apart, so their intervals are rough.

    Parameters
    ----------
    returns : daily simple returns; missing values are dropped
    metrics : which metrics, :class:`BootstrapMetric` members or their names
    confidence : coverage of the interval, e.g. 0.95
    n_bootstrap : number of bootstrap series
    block_size : mean block length in days; default :func:`stationary_block_size`
    seed : seed of the bootstrap's random generator (same seed, same intervals)
    risk_free : annual rate, or Series of annual rates by date, the Sharpe and Sortino
        ratios are in excess of (as :func:`sharpe_ratio`); each day is resampled with
        its own rate
    periods_per_year : periods a year (default: read from the dates, else 252)

    Returns
    -------
    DataFrame indexed by ``metric`` with columns ``estimate`` (the metric on
    ``returns``), ``lower``, ``upper``, ``std_error`` and ``block_size``.

    Examples
    --------
    >>> import numpy as np
    >>> returns = np.random.default_rng(0).normal(0.0005, 0.01, 750)
    >>> table = bootstrap_confidence_intervals(returns, ["sharpe"], n_bootstrap=200)
    >>> bool(table.loc["sharpe", "lower"] < table.loc["sharpe", "estimate"] < table.loc["sharpe", "upper"])
    True
    """
    chosen = [BootstrapMetric(metric) for metric in metrics]
    if not chosen:
        raise ValueError("metrics is empty; name at least one BootstrapMetric")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), e.g. 0.95; got {confidence}")
    if n_bootstrap < 2:
        raise ValueError(f"n_bootstrap must be at least 2; got {n_bootstrap}")
    periods = periods_of(returns, periods_per_year)
    values = np.asarray(returns, dtype=float)
    index = returns.index if isinstance(returns, pd.Series) else None
    dates = index if isinstance(index, pd.DatetimeIndex) else None
    cash = cash_returns(risk_free, dates, periods, length=len(values))
    known = ~np.isnan(values)
    values = values[known]
    if len(values) < 3:
        raise ValueError(f"returns has {len(values)} non-missing values; need at least 3")
    if block_size is None:
        block_size = stationary_block_size(values)
    elif block_size < 1:
        raise ValueError(f"block_size is a mean length in days, at least 1; got {block_size}")
    functions = [_metric_function(metric, periods) for metric in chosen]
    rows = np.column_stack([values, cash[known]])

    def evaluate(sample: np.ndarray) -> np.ndarray:
        return np.array([function(sample) for function in functions])

    from arch.bootstrap import StationaryBootstrap  # imported on use, as above

    bootstrap = StationaryBootstrap(block_size, rows, seed=seed)
    draws = bootstrap.apply(evaluate, n_bootstrap)  # (n_bootstrap, metrics)
    tail = (1.0 - confidence) / 2.0
    lower, upper = np.nanquantile(draws, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame(
        {
            "estimate": evaluate(rows),
            "lower": lower,
            "upper": upper,
            "std_error": np.nanstd(draws, axis=0, ddof=1),
            "block_size": block_size,
        },
        index=pd.Index([str(metric) for metric in chosen], name="metric"),
    )
