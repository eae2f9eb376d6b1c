"""Walk-forward backtest of one strategy: fit on the training span, allocate, simulate."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskalloc.backtest._forecasts import realised_forecasts
from riskalloc.backtest._simulate import simulate
from riskalloc.backtest._units import periods_per_year_of, resolve_risk_free
from riskalloc.core import (
    DEFAULT_COSTS_BPS,
    ConfigError,
    DataError,
    Rebalance,
    RiskFree,
    RunContext,
    cash_returns,
    check_costs_bps,
    mean_known_rate,
)
from riskalloc.data import MarketData, Scenario, check_complete, parse_date, split_by_fraction
from riskalloc.strategies._allocation_record import record_labels
from riskalloc.strategies._protocol import BaseAllocator, as_allocator

__all__ = [
    "DEFAULT_TRAIN_FRACTION",
    "BacktestResult",
    "Split",
    "as_market_data",
    "backtest",
    "check_backtest_inputs",
    "resolve_risk_free",
    "resolve_split",
]

#: Share of the dates used for training when neither a test start nor a scenario says.
DEFAULT_TRAIN_FRACTION = 0.8
# Weights summing above one would borrow cash, which is not modelled.
_BUDGET_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Split:
    """Where training ends and the test span starts."""

    train_end: pd.Timestamp
    test_start: pd.Timestamp


@dataclass(frozen=True)
class BacktestResult:
    """The out-of-sample record of one strategy.

    Attributes
    ----------
    returns : pandas.Series
        Daily portfolio returns net of costs, test span only.
    weights : pandas.DataFrame
        Target weights decided at each decision date (date x asset); the first
        row is decided at the close of the last training date.
    drifted_weights : pandas.DataFrame
        Weights at each test close after that day's returns, before any trade.
    turnover, costs : pandas.Series
        Per decision date: ``sum |target - drifted|`` and the cost paid as a
        fraction of portfolio value.
    gross_returns : pandas.Series
        Daily returns before costs.
    risk_free : float or pandas.Series
        The annual rate cash earned: a constant, or annual rates by the date they were
        known (cash over the period ending at ``t`` earned the rate known before ``t``).
    periods_per_year : int
        Periods a year of the data (252 daily, 52 weekly, 12 monthly, 4 quarterly):
        every annualised figure of the result uses it.
    cash_returns : pandas.Series
        Per-period return cash earned on each test date.
    """

    strategy: str
    params: dict[str, Any]
    returns: pd.Series
    gross_returns: pd.Series
    weights: pd.DataFrame
    drifted_weights: pd.DataFrame
    turnover: pd.Series
    costs: pd.Series
    split: Split
    rebalance: Rebalance
    costs_bps: float
    risk_free: RiskFree
    seconds: dict[str, float] = field(default_factory=dict)
    #: Per decision date, the step that produced the weights (``allocation_record_``).
    allocations: pd.DataFrame | None = None
    objective: pd.Series | None = None
    #: Forecasts the strategy made, with what happened: date, asset, target, predicted, realised.
    predictions: pd.DataFrame | None = None
    periods_per_year: int = 252
    cash_returns: pd.Series | None = None
    #: A strategy that trains: its training curve (``BaseAllocator.training_log_``).
    training_log: pd.DataFrame | None = None

    @property
    def methods(self) -> pd.Series | None:
        """One label per decision date of :attr:`allocations` (for people), or None."""
        return None if self.allocations is None else record_labels(self.allocations)

    def fallbacks(self) -> pd.Series:
        """Labels of the decision dates whose weights came from a declared fallback.

        Empty for strategies that record no steps (``allocation_record_``). Notes such
        as a regularised covariance or a bound limit do not make a date a fallback.
        """
        if self.allocations is None:
            return pd.Series(dtype=object, name="method")
        labels = record_labels(self.allocations)
        return labels[self.allocations["fallback"].to_numpy(dtype=bool)]


def resolve_split(
    dates: pd.DatetimeIndex,
    *,
    test_start: Any = None,
    train_fraction: float | None = None,
    default_test_start: pd.Timestamp | None = None,
    source: str = "prices",
) -> Split:
    """Turn ``test_start`` or ``train_fraction`` into the train/test boundary.

    ``test_start`` wins; otherwise ``train_fraction``; otherwise the scenario's own
    boundary; otherwise the first 80 % of dates train.
    """
    if test_start is not None and train_fraction is not None:
        raise ConfigError("give either test_start or train_fraction, not both")
    if test_start is not None:
        requested = parse_date(test_start, source="test_start")
        after = dates[dates >= requested]
        if len(after) == 0:
            raise ConfigError(
                f"test_start {requested.date()} is after the last date of {source} ({dates[-1].date()})"
            )
        start = after[0]
    elif train_fraction is not None:
        start = split_by_fraction(dates, float(train_fraction))
    elif default_test_start is not None:
        start = pd.Timestamp(default_test_start)
    else:
        start = split_by_fraction(dates, DEFAULT_TRAIN_FRACTION)
    position = dates.get_loc(start)
    if position == 0:
        raise ConfigError(
            f"test_start {pd.Timestamp(start).date()} leaves no training data in {source} "
            f"(first date {dates[0].date()})"
        )
    return Split(train_end=pd.Timestamp(dates[position - 1]), test_start=pd.Timestamp(start))


def as_market_data(data: Any, name: str | None = None) -> tuple[MarketData, pd.Timestamp | None]:
    """Accept a price DataFrame, a :class:`MarketData` or a :class:`Scenario` (whose regime
    indicators, when its dataset has them, become the data's ``features``).

    A DataFrame passes the checks of a prices file (see :class:`MarketData`), with the
    default bound on one-period moves; pass ``MarketData(prices, max_daily_return=...)``
    for another.
    """
    if isinstance(data, Scenario):
        market = MarketData(data.prices, features=data.features, name=name or data.name)
        return market, data.test_start
    if isinstance(data, MarketData):
        return data, None
    if isinstance(data, pd.DataFrame):
        return MarketData(data, name=name or "prices"), None
    raise ConfigError(
        f"data must be prices (DataFrame), MarketData or a Scenario, got {type(data)}"
    )


def check_backtest_inputs(
    market: MarketData,
    strategy: Any,
    *,
    test_start: Any = None,
    train_fraction: float | None = None,
    default_test_start: pd.Timestamp | None = None,
) -> Split:
    """Every check that needs no computation: split, history length, test-span prices.

    Run before a backtest (and before a whole grid) so that a user error is
    reported at once rather than as a failed cell.
    """
    split = resolve_split(
        market.dates,
        test_start=test_start,
        train_fraction=train_fraction,
        default_test_start=default_test_start,
        source=market.name,
    )
    strategy = as_allocator(strategy)
    n_train = market.dates.get_loc(split.train_end) + 1
    needed = strategy.min_history
    if n_train < needed:
        window = strategy.get_params().get("window")
        raise DataError(
            f"{market.name}: {n_train} training rows up to {split.train_end.date()}, "
            f"but {strategy.name} needs at least {needed} prices before its first decision"
            + (f" (window={window}, plus one)" if window is not None else "")
        )
    span = market.dates[n_train - 1 :]
    check_complete(market.prices.loc[span], source=market.name, span="the test span")
    return split


def backtest(
    data: Any,
    strategy: Any,
    *,
    rebalance: str | int | Rebalance = "daily",
    costs_bps: float = DEFAULT_COSTS_BPS,
    test_start: Any = None,
    train_fraction: float | None = None,
    risk_free: RiskFree | str = 0.0,
    periods_per_year: int | None = None,
) -> BacktestResult:
    """Walk-forward backtest of ``strategy`` over the test span of ``data``.

    The strategy is fitted on the training span only. At each decision date
    ``t`` (the close of the last training date, then every rebalance date of the
    test span) it decides target weights from data up to and including ``t``;
    they earn the returns of ``t+1`` onward and drift with prices until the next
    decision. Costs of ``costs_bps`` basis points are charged on turnover
    measured against the drifted weights. Weights summing below one leave cash
    earning ``risk_free``: an annual rate compounded per period, or a Series of annual
    rates by the date they became known (cash over the period ending at ``t`` earns
    the rate known at the close before ``t``), or ``"tbill"`` for a scenario whose
    dataset has a bill rate. The strategy trains at the mean rate known over its
    training span.

    ``periods_per_year`` is read from the dates (daily 252, weekly 52, monthly 12,
    quarterly 4) unless given; an irregular calendar is an error naming two dates.

    Examples
    --------
    >>> import riskalloc as ra
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("inverse_volatility"),
    ...                      rebalance="weekly", costs_bps=10)
    >>> result.returns.index[0] == ra.scenario("bull-2010").test_start
    True
    """
    market, scenario_test_start = as_market_data(data)
    strategy = as_allocator(strategy)
    costs_bps = check_costs_bps(costs_bps)  # settings first: a bad one fails before any work
    periods = periods_per_year_of(market, periods_per_year)
    rate = resolve_risk_free(risk_free, data, market.name)
    schedule = Rebalance.parse(rebalance)
    split = check_backtest_inputs(
        market,
        strategy,
        test_start=test_start,
        train_fraction=train_fraction,
        default_test_start=scenario_test_start,
    )
    name = strategy.name
    train = market.until(split.train_end)
    context = RunContext(
        costs_bps=costs_bps,
        risk_free=mean_known_rate(rate, train.dates, source=f"{market.name}: risk_free"),
        periods_per_year=periods,
        rebalance=schedule,
    )
    # The span simulated: the last training close (first decision) and the test dates.
    span = market.dates[market.dates.get_loc(split.train_end) :]
    test_dates = span[1:]
    # Checked before training: a rate series that starts too late is an error now.
    cash = cash_returns(rate, test_dates, periods, source=f"{market.name}: risk_free")

    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    # The strategy trains under the costs, cash rate and schedule it is judged by.
    strategy.fit(train, context)
    seconds["fit"] = time.perf_counter() - clock

    mask = schedule.decision_mask(span)
    decision_dates = span[mask]
    clock = time.perf_counter()
    target = strategy.allocate(market.until(decision_dates[-1]), decision_dates)
    seconds["allocate"] = time.perf_counter() - clock
    target = _checked_weights(target, decision_dates, market, name)

    clock = time.perf_counter()
    asset_returns = market.returns.loc[span].to_numpy()
    simulation = simulate(
        target.to_numpy(),
        np.flatnonzero(mask),
        asset_returns,
        cost_rate=context.cost_rate,
        cash_return=cash,
    )
    seconds["simulate"] = time.perf_counter() - clock
    params = dict(strategy.get_params())
    return BacktestResult(
        strategy=name,
        params=params,
        returns=pd.Series(simulation.net_returns, index=test_dates, name=name),
        gross_returns=pd.Series(simulation.gross_returns, index=test_dates, name=name),
        weights=target,
        drifted_weights=pd.DataFrame(
            simulation.drifted_weights, index=test_dates, columns=market.assets
        ),
        turnover=pd.Series(simulation.turnover, index=decision_dates, name="turnover"),
        costs=pd.Series(simulation.costs, index=decision_dates, name="costs"),
        split=split,
        rebalance=schedule,
        costs_bps=context.costs_bps,
        risk_free=rate if isinstance(rate, float) else rate.loc[: test_dates[-1]],
        periods_per_year=periods,
        cash_returns=pd.Series(cash, index=test_dates, name="cash"),
        seconds=seconds,
        allocations=_recorded(strategy.allocation_record_, decision_dates),
        objective=_recorded(strategy.objective_, decision_dates),
        predictions=_predictions(strategy, market, periods),
        training_log=_training_log(strategy),
    )


def _training_log(strategy: BaseAllocator) -> pd.DataFrame | None:
    log = getattr(strategy, "training_log_", None)
    return log.copy() if isinstance(log, pd.DataFrame) else None


def _predictions(
    strategy: BaseAllocator, market: MarketData, periods_per_year: int
) -> pd.DataFrame | None:
    forecasts = strategy.forecasts_
    if not isinstance(forecasts, pd.DataFrame):
        return None
    return realised_forecasts(
        forecasts, market.returns, strategy.forecast_horizon, strategy.name, periods_per_year
    )


def _recorded(record: Any, dates: pd.DatetimeIndex) -> Any:
    """A per-decision record the strategy kept during ``allocate`` (None if it keeps none,
    or keeps one for other dates)."""
    if not isinstance(record, pd.Series | pd.DataFrame) or not record.index.equals(dates):
        return None
    return record


def _checked_weights(
    weights: Any, dates: pd.DatetimeIndex, market: MarketData, strategy: str
) -> pd.DataFrame:
    """The strategy's weights as a frame aligned on decision dates and assets, or a named error."""
    if not isinstance(weights, pd.DataFrame):
        raise TypeError(f"{strategy}.allocate returned {type(weights)}, not a DataFrame")
    if not weights.index.equals(dates):
        raise ValueError(
            f"{strategy}.allocate returned rows for other dates than the decision dates"
        )
    missing = [asset for asset in market.assets if asset not in weights.columns]
    extra = [asset for asset in weights.columns if asset not in market.assets]
    if missing or extra:
        raise ValueError(
            f"{strategy}.allocate returned columns {list(weights.columns)}, expected {list(market.assets)}"
        )
    weights = weights[list(market.assets)].astype(float)
    values = weights.to_numpy()
    bad_rows = ~np.isfinite(values).all(axis=1)
    if bad_rows.any():
        raise ValueError(
            f"{strategy}: non-finite weight on {dates[np.flatnonzero(bad_rows)[0]].date()}"
        )
    over = values.sum(axis=1) > 1.0 + _BUDGET_TOLERANCE
    if over.any():
        row = np.flatnonzero(over)[0]
        raise ValueError(
            f"{strategy}: weights sum to {values[row].sum():.10g} > 1 on {dates[row].date()} "
            "(borrowing is not modelled)"
        )
    unpriced = np.isnan(market.prices.loc[dates].to_numpy()) & (values != 0)
    if unpriced.any():
        row, column = np.argwhere(unpriced)[0]
        raise ValueError(
            f"{strategy}: weight on '{market.assets[column]}' on {dates[row].date()}, "
            "a date without a price for it"
        )
    return weights
