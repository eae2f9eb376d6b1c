"""Performance metrics of a return series.

Conventions follow empyrical's (the published benchmark tables this tool
follows were produced with them), and each is stated where it is computed.
Returns are simple per-period returns. A year has ``periods_per_year`` periods:
given, or read from the dates of a Series (252 daily, 52 weekly, 12 monthly,
4 quarterly; :func:`riskalloc.core.infer_periods_per_year`), or 252 for a bare array.
The risk-free rate is an annual number or a Series of annual rates by the date
they were known (:func:`riskalloc.core.cash_returns` turns it into per-period returns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskalloc.backtest import BacktestResult
from riskalloc.core import PERIODS_PER_YEAR, RiskFree, cash_returns, infer_periods_per_year
from riskalloc.core import conditional_value_at_risk as core_conditional_value_at_risk
from riskalloc.core import value_at_risk as core_value_at_risk

__all__ = [
    "METRIC_COLUMNS",
    "annual_return",
    "annual_volatility",
    "average_turnover",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cumulative_return",
    "effective_holdings",
    "max_drawdown",
    "performance",
    "periods_of",
    "sharpe_ratio",
    "sortino_ratio",
    "stability",
    "value_at_risk",
]

#: The metric columns of ``metrics.csv``, in order.
METRIC_COLUMNS = (
    "annual_return",
    "cumulative_return",
    "annual_volatility",
    "sharpe",
    "sortino",
    "calmar",
    "stability",
    "max_drawdown",
    "var_95",
    "cvar_95",
    "turnover",
    "effective_holdings",
)


def _values(returns: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(returns, dtype=float)
    return values[~np.isnan(values)]


def periods_of(returns: object, periods_per_year: int | None = None) -> int:
    """``periods_per_year`` when given, else read from a Series' dates, else 252."""
    if periods_per_year is not None:
        return int(periods_per_year)
    index = getattr(returns, "index", None)
    if isinstance(index, pd.DatetimeIndex) and len(index) >= 2:
        return infer_periods_per_year(
            index, source=str(getattr(returns, "name", None) or "returns")
        )
    return PERIODS_PER_YEAR


def _excess(
    returns: pd.Series | np.ndarray, risk_free: RiskFree, periods_per_year: int
) -> np.ndarray:
    """Returns minus the per-period return of cash, where the return is known."""
    values = np.asarray(returns, dtype=float)
    index = returns.index if isinstance(returns, pd.Series) else None
    dates = index if isinstance(index, pd.DatetimeIndex) else None
    cash = cash_returns(risk_free, dates, periods_per_year, length=len(values))
    known = ~np.isnan(values)
    return values[known] - cash[known]


def cumulative_return(returns: pd.Series | np.ndarray) -> float:
    """Total compounded return, ``prod(1 + r) - 1``."""
    values = _values(returns)
    return float(np.prod(1.0 + values) - 1.0) if len(values) else np.nan


def annual_return(returns: pd.Series | np.ndarray, periods_per_year: int | None = None) -> float:
    """CAGR: ``(prod(1 + r)) ** (P / n) - 1`` over ``n`` returns, ``P`` periods a year."""
    periods = periods_of(returns, periods_per_year)
    values = _values(returns)
    if not len(values):
        return np.nan
    ending = np.prod(1.0 + values)
    return float(ending ** (periods / len(values)) - 1.0)


def annual_volatility(
    returns: pd.Series | np.ndarray, periods_per_year: int | None = None
) -> float:
    """``std(r, ddof=1) * sqrt(P)``, ``P`` periods a year."""
    periods = periods_of(returns, periods_per_year)
    values = _values(returns)
    if len(values) < 2:
        return np.nan
    return float(np.std(values, ddof=1) * np.sqrt(periods))


def sharpe_ratio(
    returns: pd.Series | np.ndarray,
    risk_free: RiskFree = 0.0,
    periods_per_year: int | None = None,
) -> float:
    """Annualised Sharpe ratio, ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(P)``.

    A series without variation has no Sharpe ratio: NaN (empyrical gives +/-inf,
    whose sign would then hang on the rounding of the mean, e.g. for cash that
    earns exactly the risk-free rate).

    ``risk_free`` is an annual rate, converted to the per-period ``rf`` with
    ``(1 + rate) ** (1/P) - 1``, or a Series of annual rates by the date they were
    known (each period in excess of the rate known before it; needs dated returns).
    """
    periods = periods_of(returns, periods_per_year)
    excess = _excess(returns, risk_free, periods)
    if len(excess) < 2:
        return np.nan
    # Identical excess returns have no dispersion, but the mean np.std centres them
    # on can differ from them in the last bit, leaving a residue of ~1e-19 that
    # would turn "undefined" into a Sharpe ratio of ~1e17; check the spread itself.
    deviation = np.std(excess, ddof=1)
    # A constant series has a zero standard deviation, but np.std can return a
    # rounding residue (~1e-19) instead; decide on the spread of the values.
    if deviation == 0 or np.ptp(excess) == 0:
        return np.nan
    return float(np.mean(excess) / deviation * np.sqrt(periods))


def sortino_ratio(
    returns: pd.Series | np.ndarray,
    required_return: float = 0.0,
    periods_per_year: int | None = None,
    risk_free: RiskFree | None = None,
) -> float:
    """Annualised Sortino ratio, ``P * mean(r - m) / downside_risk``.

    The downside is measured below the required per-period return ``m``, not below
    the mean: ``downside_risk = sqrt(mean(min(r - m, 0) ** 2)) * sqrt(P)``,
    averaging over all periods (empyrical's convention). With ``risk_free`` (an
    annual rate or a Series of them), ``m`` is the per-period return of cash instead.
    """
    periods = periods_of(returns, periods_per_year)
    if risk_free is None:
        excess = _values(returns) - required_return
    else:
        excess = _excess(returns, risk_free, periods)
    if not len(excess):
        return np.nan
    downside = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * np.sqrt(periods)
    if downside == 0:
        return np.inf if np.mean(excess) > 0 else np.nan
    return float(np.mean(excess) * periods / downside)


def max_drawdown(returns: pd.Series | np.ndarray) -> float:
    """Largest peak-to-trough fall of wealth, a number <= 0.

    Wealth starts at 1 before the first return, so a loss on the first day
    counts as a drawdown from the initial capital.
    """
    values = _values(returns)
    if not len(values):
        return np.nan
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + values)))
    peak = np.maximum.accumulate(wealth)
    return float(np.min((wealth - peak) / peak))


def calmar_ratio(returns: pd.Series | np.ndarray, periods_per_year: int | None = None) -> float:
    """``annual_return / |max_drawdown|`` (CAGR over the whole span, not a 36-month window).

    NaN when there is no drawdown.
    """
    drawdown = max_drawdown(returns)
    if not drawdown < 0:
        return np.nan
    return float(annual_return(returns, periods_per_year) / abs(drawdown))


def stability(returns: pd.Series | np.ndarray) -> float:
    """R² of a least-squares line through cumulative log returns ``cumsum(log(1 + r))``."""
    values = _values(returns)
    if len(values) < 2:
        return np.nan
    cumulative = np.cumsum(np.log1p(values))
    time = np.arange(len(cumulative), dtype=float)
    correlation = np.corrcoef(time, cumulative)[0, 1]
    return float(correlation**2)


def value_at_risk(returns: pd.Series | np.ndarray, confidence: float = 0.95) -> float:
    """Historical VaR of daily returns as a positive loss (0.02: on 5 % of days the
    portfolio lost 2 % or more): :func:`riskalloc.core.value_at_risk`, no interpolation.
    """
    values = _values(returns)
    if not len(values):
        return np.nan
    return float(core_value_at_risk(values, confidence))


def conditional_value_at_risk(returns: pd.Series | np.ndarray, confidence: float = 0.95) -> float:
    """Historical CVaR (expected shortfall) of daily returns as a positive loss:
    :func:`riskalloc.core.conditional_value_at_risk` (Rockafellar-Uryasev), the measure
    the minimum-CVaR optimiser and the CVaR limits use.
    """
    values = _values(returns)
    if not len(values):
        return np.nan
    return float(core_conditional_value_at_risk(values, confidence))


def average_turnover(turnover: pd.Series | np.ndarray, n_days: int) -> float:
    """Average daily turnover over the test span, excluding the initial purchase from cash.

    ``sum_k sum_i |target_ik - drifted_ik| / n_days`` over every rebalance after
    the first, so daily and weekly schedules compare on one scale (multiply by
    252 for annual turnover).
    """
    values = np.asarray(turnover, dtype=float)
    if n_days <= 0:
        return np.nan
    return float(values[1:].sum() / n_days)


def effective_holdings(weights: pd.DataFrame | np.ndarray) -> float:
    """Average effective number of risky holdings, ``mean_t 1 / sum_i (w_it / sum_j w_jt)²``.

    Weights are rescaled to the risky sleeve first, so holding cash does not
    change the count (1/N each over N assets gives N with or without cash).
    Days with no risky position are left out.
    """
    values = np.asarray(weights, dtype=float)
    exposure = values.sum(axis=1)
    invested = exposure != 0
    if not invested.any():
        return np.nan
    shares = values[invested] / exposure[invested, None]
    return float(np.mean(1.0 / np.square(shares).sum(axis=1)))


def performance(
    returns: pd.Series | np.ndarray | BacktestResult,
    *,
    risk_free: RiskFree | None = None,
    required_return: float | None = None,
    confidence: float = 0.95,
    turnover: pd.Series | None = None,
    weights: pd.DataFrame | None = None,
    periods_per_year: int | None = None,
) -> pd.Series:
    """All metrics of a net return series, named as the columns of ``metrics.csv``.

    Parameters
    ----------
    returns : simple returns (test span), or a :class:`~riskalloc.backtest.BacktestResult`,
        whose returns, cash rate, periods a year, turnover and drifted weights are then used
    risk_free : annual risk-free rate, or a Series of annual rates by the date they were
        known, for the Sharpe and Sortino ratios (default 0, or the result's rate)
    required_return : per-period required return for the Sortino ratio (default: the
        per-period return of cash at ``risk_free``)
    confidence : confidence of VaR and CVaR
    turnover : per-decision turnover (``BacktestResult.turnover``), optional
    weights : daily held weights (``BacktestResult.drifted_weights``), optional
    periods_per_year : periods a year (default: the result's, or read from the dates)

    Examples
    --------
    >>> import pandas as pd
    >>> performance(pd.Series([0.01, -0.02, 0.015]))["cumulative_return"].round(6)
    np.float64(0.004647)
    """
    if isinstance(returns, BacktestResult):
        result = returns
        risk_free = result.risk_free if risk_free is None else risk_free
        turnover = result.turnover if turnover is None else turnover
        weights = result.drifted_weights if weights is None else weights
        periods_per_year = periods_per_year or result.periods_per_year
        returns = result.returns
    risk_free = 0.0 if risk_free is None else risk_free
    periods = periods_of(returns, periods_per_year)
    values = _values(returns)
    if required_return is None:
        sortino = sortino_ratio(returns, periods_per_year=periods, risk_free=risk_free)
    else:
        sortino = sortino_ratio(returns, required_return, periods)
    return pd.Series(
        {
            "annual_return": annual_return(values, periods),
            "cumulative_return": cumulative_return(values),
            "annual_volatility": annual_volatility(values, periods),
            "sharpe": sharpe_ratio(returns, risk_free, periods),
            "sortino": sortino,
            "calmar": calmar_ratio(values, periods),
            "stability": stability(values),
            "max_drawdown": max_drawdown(values),
            "var_95": value_at_risk(values, confidence),
            "cvar_95": conditional_value_at_risk(values, confidence),
            "turnover": np.nan if turnover is None else average_turnover(turnover, len(values)),
            "effective_holdings": np.nan if weights is None else effective_holdings(weights),
        },
        name=getattr(returns, "name", None),
    )
