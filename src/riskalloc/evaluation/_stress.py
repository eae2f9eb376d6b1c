"""Stress windows: drawdowns in named crashes, against risk parity, and when each strategy de-risked.

The default windows are riskalloc's named events (:mod:`riskalloc.core`), each from
an S&P 500 closing peak to its closing trough: the 2008 crisis (2007-10-09 to
2009-03-09) and the COVID crash (2020-02-19 to 2020-03-23). A test checks them
against the bundled index.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd

from riskalloc.core import ConfigError, event_windows
from riskalloc.evaluation._metrics import max_drawdown

__all__ = ["STRESS_COLUMNS", "STRESS_WINDOWS", "risky_exposure", "stress_windows"]

#: Name -> (peak close, trough close) of the S&P 500, both inclusive: the event table.
STRESS_WINDOWS: dict[str, tuple[str, str]] = event_windows()

#: Columns of the table :func:`stress_windows` returns, in order.
STRESS_COLUMNS = (
    "window",
    "window_start",
    "window_end",
    "strategy",
    "covered",
    "max_drawdown",
    "reference_max_drawdown",
    "drawdown_reduction",
    "market_trough",
    "market_drawdown",
    "holds_cash",
    "start_exposure",
    "de_risk_date",
    "de_risk_exposure",
    "days_from_trough",
    "note",
)


def risky_exposure(weights: pd.DataFrame) -> pd.Series:
    """Share of wealth in risky assets at each decision date, ``sum_i w_it`` (the rest is cash)."""
    return weights.sort_index().sum(axis=1).rename("exposure")


def stress_windows(
    returns: pd.DataFrame,
    weights: Mapping[Hashable, pd.DataFrame],
    market_returns: pd.Series,
    windows: Mapping[str, tuple[str, str]] = STRESS_WINDOWS,
    *,
    reference: Hashable = "risk_parity",
    cut: float = 0.2,
    run_up_days: int = 0,
    follow_days: int = 21,
    cash_tolerance: float = 1e-6,
) -> pd.DataFrame:
    """Drawdown of each strategy in each stress window, and the date it cut its risky exposure.

    For a window from ``start`` to ``end`` (closes, inclusive):

    - ``max_drawdown``: :func:`max_drawdown` of the strategy's daily returns
      after the close of ``start`` up to the close of ``end``, so wealth is 1 at
      the start close (a number <= 0).
    - ``drawdown_reduction`` relative to the ``reference`` strategy (risk parity
      by default) with drawdown ``DD_ref``: ``1 - DD / DD_ref``. 0.25 means a
      drawdown a quarter shallower than the reference's, negative means deeper;
      NaN when the reference is not in ``returns`` or did not fall.
    - ``market_trough``: the date of the lowest market close in the window
      (wealth from ``market_returns`` starting at 1 at the start close), and
      ``market_drawdown``, the market's fall from the start to that close.
    - For a strategy that **holds cash** (some decision with weights summing
      below ``1 - cash_tolerance``): ``start_exposure``, its risky exposure
      ``sum_i w_i`` decided at the last decision on or before the search start
      (``run_up_days`` trading days before ``start``), and ``de_risk_date``, the
      first later decision date, up to ``follow_days`` trading days after
      ``end``, whose exposure is at most ``(1 - cut) * start_exposure``.
      ``days_from_trough`` counts trading days of ``returns`` from the market
      trough to that date: negative is before the trough (-10: ten trading days
      before), positive after.

    The de-risk date reads only the weights decided up to it, which are
    themselves decided from prices up to their dates: later prices cannot move it.

    A window is *covered* when the returns span from its start to its end
    (returns before the window are not needed: the start close is wealth 1). A
    window that is not covered gets a row per strategy with ``covered=False``
    and a note, never silently dropped.

    Parameters
    ----------
    returns : pandas.DataFrame
        Daily net returns, dates by strategy (any hashable labels).
    weights : mapping
        Strategy label -> target weights decided at each decision date (dates by
        assets), as in ``weights.parquet``. A strategy missing here gets no de-risk date.
    market_returns : pandas.Series
        Daily returns of the market (e.g. of the S&P 500 index, or of an
        equal-weight index of the assets when no index covers the dates).
    windows : mapping
        Name -> (first date, last date).
    reference : hashable
        Label of the strategy drawdowns are compared with.
    cut : float
        Relative fall of risky exposure, in (0, 1], that counts as a cut.
    run_up_days, follow_days : int
        Trading days before ``start`` / after ``end`` the search for a cut
        extends over.
    cash_tolerance : float
        Weights summing below ``1 - cash_tolerance`` at some decision mean the
        strategy holds cash.

    Returns
    -------
    pandas.DataFrame
        One row per window x strategy, columns :data:`STRESS_COLUMNS`.

    Examples
    --------
    >>> dates = pd.bdate_range("2020-02-17", periods=6)
    >>> returns = pd.DataFrame({"a": [0.0, 0.0, -0.1, -0.1, 0.05, 0.0]}, index=dates)
    >>> table = stress_windows(returns, {}, returns["a"], {"w": ("2020-02-18", "2020-02-21")})
    >>> round(float(table.loc[0, "max_drawdown"]), 4), str(table.loc[0, "market_trough"].date())
    (-0.19, '2020-02-20')
    """
    _check_parameters(cut, run_up_days, follow_days)
    returns = returns.sort_index()
    calendar = pd.DatetimeIndex(returns.index)
    market = pd.Series(market_returns, dtype=float).sort_index()
    exposures = {label: risky_exposure(frame) for label, frame in weights.items()}
    rows = []
    for name, (first, last) in windows.items():
        start, end = _window_dates(name, first, last)
        base = {"window": name, "window_start": start, "window_end": end}
        note = _coverage_note(calendar, pd.DatetimeIndex(market.index), start, end)
        if note:
            for label in returns.columns:
                rows.append(base | {"strategy": label, "covered": False, "note": note})
            continue
        trough, market_drawdown = _market_trough(market, start, end)
        inside = returns.loc[(calendar > start) & (calendar <= end)]
        drawdowns = {label: max_drawdown(inside[label]) for label in returns.columns}
        reference_drawdown = drawdowns.get(reference, np.nan)
        for label in returns.columns:
            row = base | {
                "strategy": label,
                "covered": True,
                "max_drawdown": drawdowns[label],
                "reference_max_drawdown": reference_drawdown,
                "drawdown_reduction": _reduction(drawdowns[label], reference_drawdown),
                "market_trough": trough,
                "market_drawdown": market_drawdown,
                "note": "",
            }
            exposure = exposures.get(label)
            if exposure is not None:
                row |= _de_risk(
                    exposure,
                    calendar,
                    start,
                    end,
                    trough,
                    cut,
                    run_up_days,
                    follow_days,
                    cash_tolerance,
                )
            rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=list(STRESS_COLUMNS))
    for column in ("window_start", "window_end", "market_trough", "de_risk_date"):
        table[column] = pd.to_datetime(table[column])
    table["covered"] = table["covered"].astype(bool)
    table["note"] = table["note"].fillna("")
    return table


def _check_parameters(cut: float, run_up_days: int, follow_days: int) -> None:
    if not 0 < cut <= 1:
        raise ConfigError(f"stress: cut must be in (0, 1], got {cut!r}")
    for parameter, value in (("run_up_days", run_up_days), ("follow_days", follow_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"stress: {parameter} must be an integer >= 0, got {value!r}")


def _window_dates(name: str, first: str, last: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        start, end = pd.Timestamp(first), pd.Timestamp(last)
    except (TypeError, ValueError):
        raise ConfigError(
            f"stress window '{name}': dates must read as YYYY-MM-DD, got {first!r}, {last!r}"
        ) from None
    if end <= start:
        raise ConfigError(
            f"stress window '{name}': end {end.date()} is not after start {start.date()}"
        )
    return start, end


def _coverage_note(
    calendar: pd.DatetimeIndex, market: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp
) -> str:
    """Empty when the market and the returns reach over the window; otherwise why not.

    The start close is the base (wealth 1), so the returns must run from the
    first market day after ``start`` (or earlier) to ``end``.
    """
    window = f"the window {start.date()} … {end.date()}"
    if not len(market) or market[0] > start or market[-1] < end:
        span = f"{market[0].date()} … {market[-1].date()}" if len(market) else "nothing"
        return f"not covered: the market spans {span}, {window}"
    first_day = market[market > start][0]
    if not len(calendar) or calendar[0] > first_day or calendar[-1] < end:
        span = f"{calendar[0].date()} … {calendar[-1].date()}" if len(calendar) else "nothing"
        return f"not covered: the test span is {span}, {window}"
    return ""


def _market_trough(
    market: pd.Series, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.Timestamp, float]:
    inside = market.loc[(market.index > start) & (market.index <= end)].fillna(0.0)
    wealth = pd.concat([pd.Series([1.0], index=[start]), (1.0 + inside).cumprod()])
    trough = pd.Timestamp(wealth.idxmin())
    return trough, float(wealth.min() - 1.0)


def _reduction(drawdown: float, reference: float) -> float:
    if not (np.isfinite(drawdown) and np.isfinite(reference)) or reference == 0:
        return np.nan
    return float(1.0 - drawdown / reference)


def _de_risk(
    exposure: pd.Series,
    calendar: pd.DatetimeIndex,
    start: pd.Timestamp,
    end: pd.Timestamp,
    trough: pd.Timestamp,
    cut: float,
    run_up_days: int,
    follow_days: int,
    cash_tolerance: float,
) -> dict:
    """The de-risk columns of one strategy in one window."""
    holds_cash = bool((exposure < 1.0 - cash_tolerance).any())
    if not holds_cash:
        return {"holds_cash": False}
    search_start = calendar[max(calendar.searchsorted(start, side="right") - 1 - run_up_days, 0)]
    search_end = calendar[
        min(calendar.searchsorted(end, side="right") - 1 + follow_days, len(calendar) - 1)
    ]
    before = exposure.loc[:search_start]
    if before.empty:
        return {"holds_cash": True, "note": f"no decision on or before {search_start.date()}"}
    level = float(before.iloc[-1])
    row = {"holds_cash": True, "start_exposure": level}
    if level <= cash_tolerance:
        return row | {"note": "all in cash at the window's start: no exposure to cut"}
    later = exposure.loc[(exposure.index > search_start) & (exposure.index <= search_end)]
    cuts = later[later <= (1.0 - cut) * level + 1e-12]
    if cuts.empty:
        return row | {"note": f"risky exposure never fell by {cut:.0%} up to {search_end.date()}"}
    date = pd.Timestamp(cuts.index[0])
    days = int(calendar.searchsorted(date) - calendar.searchsorted(trough))
    return row | {
        "de_risk_date": date,
        "de_risk_exposure": float(cuts.iloc[0]),
        "days_from_trough": days,
    }
