"""Stress windows: known drawdowns, de-risk dates against the trough, coverage, no look-ahead."""

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.evaluation import STRESS_WINDOWS, stress_windows
from riskalloc.strategies import BaseAllocator

DATES = pd.bdate_range("2020-02-03", periods=30)  # Mon 2020-02-03 ... Fri 2020-03-13
START, END = str(DATES[5].date()), str(DATES[20].date())  # window of 15 trading days
WINDOW = {"crash": (START, END)}


def constructed():
    """Market falls 5 % a day on days 8-12, then recovers 2 % a day: trough at day 12."""
    market = pd.Series(0.0, index=DATES)
    market.iloc[8:13] = -0.05
    market.iloc[13:] = 0.02
    returns = pd.DataFrame(
        {"risk_parity": market, "timer": market * 0.5, "invested": market * 0.8}, index=DATES
    )
    # timer: decides weekly-ish; exposure 1.0, then 0.7 on day 10 (cut 30 %), 0.4 on day 11.
    timer = pd.DataFrame({"A": 0.5, "B": 0.5}, index=DATES[::2].union(DATES[9:12]))
    timer.loc[DATES[10]] = [0.35, 0.35]
    timer.loc[DATES[11]] = [0.2, 0.2]
    timer.loc[DATES[12] :] = [0.2, 0.2]
    full = pd.DataFrame({"A": 0.5, "B": 0.5}, index=DATES)
    return returns, {"timer": timer, "invested": full, "risk_parity": full}, market


def test_known_drawdowns_reduction_trough_and_de_risk_date():
    returns, weights, market = constructed()
    table = stress_windows(returns, weights, market, WINDOW).set_index("strategy")
    market_dd = 0.95**5 - 1
    assert table.loc["risk_parity", "max_drawdown"] == pytest.approx(market_dd, abs=1e-12)
    assert table.loc["timer", "max_drawdown"] == pytest.approx(0.975**5 - 1, abs=1e-12)
    expected = 1 - (0.96**5 - 1) / market_dd
    assert table.loc["invested", "drawdown_reduction"] == pytest.approx(expected, abs=1e-12)
    assert table.loc["risk_parity", "drawdown_reduction"] == pytest.approx(0.0)
    assert (table["market_trough"] == DATES[12]).all()
    assert table.loc["timer", "market_drawdown"] == pytest.approx(market_dd)
    # Cut of >= 20 % from 1.0: first at day 10 (0.7), two trading days before the trough.
    assert bool(table.loc["timer", "holds_cash"])
    assert table.loc["timer", "start_exposure"] == pytest.approx(1.0)
    assert table.loc["timer", "de_risk_date"] == DATES[10]
    assert table.loc["timer", "days_from_trough"] == -2
    # A larger cut threshold moves the date to day 11 (0.4 <= 0.5).
    deeper = stress_windows(returns, weights, market, WINDOW, cut=0.5).set_index("strategy")
    assert deeper.loc["timer", "de_risk_date"] == DATES[11]
    assert deeper.loc["timer", "days_from_trough"] == -1
    # Fully invested strategies have no de-risk date.
    assert not bool(table.loc["invested", "holds_cash"])
    assert pd.isna(table.loc["invested", "de_risk_date"])


def test_cut_after_the_trough_counts_positive_days_within_follow_days():
    returns, weights, market = constructed()
    late = pd.DataFrame({"A": 0.5, "B": 0.5}, index=DATES)
    late.loc[DATES[15] :] = [0.1, 0.1]
    weights = weights | {"timer": late}
    table = stress_windows(returns, weights, market, WINDOW).set_index("strategy")
    assert table.loc["timer", "de_risk_date"] == DATES[15]
    assert table.loc["timer", "days_from_trough"] == 3


def test_window_outside_the_returns_is_reported_not_covered():
    returns, weights, market = constructed()
    windows = {"crash": (START, END), "2008 crisis": STRESS_WINDOWS["2008 crisis"]}
    table = stress_windows(returns, weights, market, windows)
    missing = table[table["window"] == "2008 crisis"]
    assert len(missing) == 3 and not missing["covered"].any()
    assert missing["note"].str.contains("not covered").all()
    assert missing["max_drawdown"].isna().all()
    assert table[table["window"] == "crash"]["covered"].all()


def test_bad_parameters_name_the_culprit():
    returns, weights, market = constructed()
    with pytest.raises(ConfigError, match="cut"):
        stress_windows(returns, weights, market, WINDOW, cut=0.0)
    with pytest.raises(ConfigError, match="'crash'"):
        stress_windows(returns, weights, market, {"crash": (END, START)})


def test_default_windows_are_the_sp500_peaks_and_troughs():
    index = ra.load_dataset("sp500_index").iloc[:, 0]
    for first, last in STRESS_WINDOWS.values():
        span = index.loc[pd.Timestamp(first) - pd.Timedelta(days=120) : last]
        assert span.idxmax() == pd.Timestamp(first)
        assert index.loc[first:last].idxmin() == pd.Timestamp(last)


class VolatilityTarget(BaseAllocator):
    """Equal weight scaled down to a 15 % volatility target, the rest in cash (test only)."""

    name = "volatility_target"

    def __init__(self, target: float = 0.15) -> None:
        self.target = target

    @property
    def min_history(self) -> int:
        return 21

    def allocate(self, history, dates):
        market = history.returns.mean(axis=1)
        volatility = market.rolling(20).std() * np.sqrt(252)
        exposure = (self.target / volatility).clip(upper=1.0).loc[dates]
        n = len(history.assets)
        return pd.DataFrame(
            np.outer(exposure.to_numpy(), np.full(n, 1.0 / n)), index=dates, columns=history.assets
        )


def covid_stress(prices):
    result = ra.backtest(prices, VolatilityTarget(), rebalance="daily", test_start="2019-06-03")
    index = ra.load_dataset("sp500_index").iloc[:, 0].pct_change().dropna()
    windows = {"COVID crash": STRESS_WINDOWS["COVID crash"]}
    returns = result.returns.to_frame("volatility_target")
    table = stress_windows(returns, {"volatility_target": result.weights}, index, windows)
    return table.iloc[0]


def test_de_risk_date_does_not_move_when_later_prices_are_poisoned():
    prices = ra.load_dataset("sp500").loc["2018-01-01":"2020-12-31"].iloc[:, :8]
    row = covid_stress(prices)
    assert row["covered"] and row["market_trough"] == pd.Timestamp("2020-03-23")
    date = row["de_risk_date"]
    assert pd.Timestamp("2020-02-19") < date < pd.Timestamp("2020-03-23")
    assert row["days_from_trough"] < 0
    poisoned = prices.copy()
    later = poisoned.index > date
    rng = np.random.default_rng(0)
    poisoned.loc[later] *= rng.uniform(0.2, 5.0, size=poisoned.loc[later].shape)
    # The poison moves prices up to 25x a day, beyond any market: lift the bound on moves.
    again = covid_stress(ra.MarketData(poisoned, max_daily_return=None))
    assert again["de_risk_date"] == date
    assert again["days_from_trough"] == row["days_from_trough"]
    assert again["start_exposure"] == row["start_exposure"]
