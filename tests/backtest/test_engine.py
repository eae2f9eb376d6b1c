"""The walk-forward engine: the split, what the strategy sees, shapes, errors, cash and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra


class Spy:
    """Records what the engine hands it; allocates fixed weights (equal by default)."""

    name = "spy"

    def __init__(self, weights=None, min_history=1):
        self.weights = weights
        self.min_history = min_history
        self.train = None
        self.history = None
        self.dates = None

    def fit(self, train):
        self.train = train
        return self

    def allocate(self, history, dates):
        self.history = history
        self.dates = dates
        n_assets = len(history.assets)
        row = np.full(n_assets, 1.0 / n_assets) if self.weights is None else self.weights
        return pd.DataFrame(np.tile(row, (len(dates), 1)), index=dates, columns=history.assets)


@pytest.fixture(scope="module")
def bull():
    return ra.scenario("bull-2010")


@pytest.fixture(scope="module")
def prices(bull):
    return bull.prices


# --- the split -------------------------------------------------------------------------


def test_a_scenario_brings_its_own_test_start(bull):
    result = ra.backtest(bull, Spy())
    assert result.split.test_start == bull.test_start
    assert result.split.train_end == bull.train_end
    assert result.returns.index[0] == bull.test_start


def test_test_start_is_the_first_trading_date_on_or_after_it(prices):
    result = ra.backtest(prices, Spy(), test_start="2015-01-03")  # a Saturday
    assert result.split.test_start == pd.Timestamp("2015-01-05")
    assert result.split.train_end == pd.Timestamp("2015-01-02")  # the Friday before


def test_test_start_overrides_the_scenario(bull):
    result = ra.backtest(bull, Spy(), test_start="2014-03-03")
    assert result.split.test_start == pd.Timestamp("2014-03-03")


def test_train_fraction_splits_by_rows_and_overrides_the_scenario(bull, prices):
    result = ra.backtest(bull, Spy(), train_fraction=0.5)
    expected = prices.index[int(len(prices) * 0.5)]
    assert result.split.test_start == expected
    assert result.split.test_start != bull.test_start


def test_prices_alone_train_on_the_first_80_percent(prices):
    result = ra.backtest(prices, Spy())
    assert result.split.test_start == prices.index[int(len(prices) * 0.8)]


def test_test_start_and_train_fraction_together_are_refused(prices):
    with pytest.raises(ra.ConfigError, match="test_start or train_fraction"):
        ra.backtest(prices, Spy(), test_start="2015-01-05", train_fraction=0.5)


def test_a_test_start_after_the_data_is_refused_naming_the_date(prices):
    with pytest.raises(ra.ConfigError, match="2030-01-02") as error:
        ra.backtest(prices, Spy(), test_start="2030-01-02")
    assert str(prices.index[-1].date()) in str(error.value)


def test_a_test_start_that_leaves_no_training_data_is_refused(prices):
    with pytest.raises(ra.ConfigError, match="no training data"):
        ra.backtest(prices, Spy(), test_start="1999-01-01")


def test_an_unreadable_test_start_is_refused(prices):
    with pytest.raises(ra.ConfigError, match="test_start"):
        ra.backtest(prices, Spy(), test_start="not a date")


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.2])
def test_a_train_fraction_outside_zero_one_is_refused(prices, fraction):
    with pytest.raises(ra.ConfigError, match="train_fraction"):
        ra.backtest(prices, Spy(), train_fraction=fraction)


# --- what the strategy sees ------------------------------------------------------------


def test_fit_sees_the_training_span_only(bull, prices):
    spy = Spy()
    ra.backtest(bull, spy, rebalance="weekly")
    expected = prices.index[prices.index < bull.test_start]
    assert spy.train.dates.equals(expected)
    assert spy.train.prices.index.max() == bull.train_end
    assert spy.train.returns.index.max() == bull.train_end
    np.testing.assert_array_equal(spy.train.prices.to_numpy(), prices.loc[expected].to_numpy())


def test_allocate_sees_nothing_after_the_last_decision(bull):
    spy = Spy()
    result = ra.backtest(bull, spy, rebalance="weekly")
    assert spy.dates.equals(result.weights.index)
    assert spy.history.dates[-1] == result.weights.index[-1]
    assert spy.history.dates[-1] < result.returns.index[-1]


# --- shapes of the result --------------------------------------------------------------


def test_returns_cover_the_test_span_only(bull, prices):
    result = ra.backtest(bull, Spy(), rebalance="weekly")
    test_dates = prices.index[prices.index >= bull.test_start]
    assert result.returns.index.equals(test_dates)
    assert result.gross_returns.index.equals(test_dates)
    assert result.drifted_weights.index.equals(test_dates)
    assert list(result.drifted_weights.columns) == list(prices.columns)
    assert result.returns.notna().all()


def test_weights_are_indexed_by_decision_dates_starting_at_the_last_training_date(bull, prices):
    daily = ra.backtest(bull, Spy(), rebalance="daily")
    span = prices.index[prices.index >= bull.train_end]
    assert daily.weights.index.equals(span[:-1])
    assert daily.weights.index[0] == bull.train_end
    assert daily.turnover.index.equals(daily.weights.index)
    assert daily.costs.index.equals(daily.weights.index)

    weekly = ra.backtest(bull, Spy(), rebalance="weekly")
    mask = ra.Rebalance.WEEKLY.decision_mask(span)
    assert weekly.weights.index.equals(span[mask])
    assert weekly.weights.index[0] == bull.train_end
    assert len(weekly.weights) < len(daily.weights) / 3


def test_too_short_a_history_is_a_data_error_naming_the_window(prices):
    strategy = ra.get_strategy("inverse_volatility", window=50)
    test_start = prices.index[30]
    with pytest.raises(ra.DataError, match="window") as error:
        ra.backtest(prices, strategy, test_start=test_start)
    assert "51" in str(error.value)
    assert "30 training rows" in str(error.value)


def test_missing_prices_in_the_test_span_name_the_asset_and_date(bull):
    gappy = bull.prices.copy()
    hole = bull.prices.index[bull.prices.index > bull.test_start][10]
    gappy.loc[hole, "GE"] = np.nan
    with pytest.raises(ra.DataError, match="'GE'") as error:
        ra.backtest(gappy, Spy(), test_start=bull.test_start)
    assert str(hole.date()) in str(error.value)
    # The same gap in the training span is the strategy's business, not an error.
    early = gappy.copy()
    early.loc[hole, "GE"] = bull.prices.loc[hole, "GE"]
    early.iloc[5, early.columns.get_loc("GE")] = np.nan
    ra.backtest(early, Spy(), test_start=bull.test_start)


def test_weights_summing_above_one_are_refused(bull):
    n_assets = bull.prices.shape[1]
    over = np.full(n_assets, 1.01 / n_assets)
    with pytest.raises(ValueError, match="> 1"):
        ra.backtest(bull, Spy(weights=over))
    # Rounding noise at the budget is accepted.
    at_budget = np.full(n_assets, 1.0 / n_assets) * (1 + 1e-12)
    ra.backtest(bull, Spy(weights=at_budget))


def test_weights_for_other_dates_or_assets_are_refused(bull):
    class WrongDates(Spy):
        def allocate(self, history, dates):
            return super().allocate(history, dates[1:])

    with pytest.raises(ValueError, match="decision dates"):
        ra.backtest(bull, WrongDates())

    class WrongAssets(Spy):
        def allocate(self, history, dates):
            return super().allocate(history, dates).iloc[:, 1:]

    with pytest.raises(ValueError, match="columns"):
        ra.backtest(bull, WrongAssets())


def test_cash_earns_the_risk_free_rate(bull, prices):
    n_assets = prices.shape[1]
    daily = 1.04 ** (1 / 252) - 1
    all_cash = ra.backtest(bull, Spy(weights=np.zeros(n_assets)), risk_free=0.04, costs_bps=10)
    np.testing.assert_allclose(all_cash.returns.to_numpy(), daily, rtol=1e-12, atol=0)
    assert (all_cash.turnover == 0).all()

    # Half in AAPL, half in cash, rebalanced daily without costs.
    half = np.zeros(n_assets)
    half[list(prices.columns).index("AAPL")] = 0.5
    result = ra.backtest(bull, Spy(weights=half), risk_free=0.04, costs_bps=0, rebalance="daily")
    aapl = (prices["AAPL"] / prices["AAPL"].shift(1) - 1).loc[result.returns.index]
    np.testing.assert_allclose(
        result.returns.to_numpy(), 0.5 * aapl.to_numpy() + 0.5 * daily, rtol=0, atol=1e-14
    )
    # Without a rate, cash earns nothing.
    no_rate = ra.backtest(bull, Spy(weights=np.zeros(n_assets)))
    assert (no_rate.returns == 0).all()


def test_zero_costs_make_net_equal_gross(bull):
    result = ra.backtest(
        bull, ra.get_strategy("inverse_volatility"), costs_bps=0, rebalance="daily"
    )
    assert (result.costs == 0).all()
    assert (result.turnover > 0).all()
    np.testing.assert_allclose(
        result.returns.to_numpy(), result.gross_returns.to_numpy(), rtol=0, atol=1e-15
    )


def test_costs_are_charged_on_turnover(bull):
    result = ra.backtest(
        bull, ra.get_strategy("inverse_volatility"), costs_bps=10, rebalance="daily"
    )
    np.testing.assert_allclose(
        result.costs.to_numpy(), 0.001 * result.turnover.to_numpy(), rtol=1e-15
    )
    assert result.turnover.iloc[0] == pytest.approx(1.0, abs=1e-12)  # bought from cash
    assert (result.returns < result.gross_returns).all()


@pytest.mark.parametrize(
    ("option", "value"), [("costs_bps", -1.0), ("costs_bps", np.inf), ("risk_free", -1.0)]
)
def test_invalid_costs_or_rate_are_refused(bull, option, value):
    with pytest.raises(ra.ConfigError, match=option):
        ra.backtest(bull, Spy(), **{option: value})


def test_an_unknown_schedule_is_refused(bull):
    with pytest.raises(ra.ConfigError, match="rebalance"):
        ra.backtest(bull, Spy(), rebalance="hourly")


def test_data_of_another_kind_is_refused():
    with pytest.raises(ra.ConfigError, match="data must be"):
        ra.backtest([[1.0, 2.0]], Spy())


def test_the_result_records_its_settings(bull):
    strategy = ra.get_strategy("inverse_volatility", window=30)
    result = ra.backtest(bull, strategy, rebalance="monthly", costs_bps=5, risk_free=0.02)
    assert result.strategy == "inverse_volatility"
    assert result.params == {"window": 30}
    assert result.rebalance == ra.Rebalance.MONTHLY
    assert result.costs_bps == 5.0
    assert result.risk_free == 0.02
    assert set(result.seconds) == {"fit", "allocate", "simulate"}


class _RecordsContext(ra.BaseAllocator):
    """Equal weights; keeps the context its fit was given."""

    name = "records_context"

    def fit(self, train, context=None):
        self.given = context
        return super().fit(train, context)

    def allocate(self, history, dates):
        n = len(history.assets)
        return pd.DataFrame(1.0 / n, index=dates, columns=history.assets)


def test_fit_gets_the_runs_costs_cash_rate_and_schedule():
    strategy = _RecordsContext()
    ra.backtest(ra.scenario("bull-2010"), strategy, rebalance="monthly", costs_bps=25,
                risk_free=0.03)  # fmt: skip
    assert strategy.given == ra.RunContext(costs_bps=25, risk_free=0.03, rebalance="monthly")
    assert strategy.context_.cost_rate == 0.0025


def test_a_learning_strategy_trains_at_the_costs_it_is_judged_by_unless_told_otherwise():
    from riskalloc.core import daily_rate

    agent = ra.get_strategy("rl_a2c", total_timesteps=64, n_envs=1, hidden_size=4, n_layers=1)
    ra.backtest(ra.scenario("bull-2010"), agent, rebalance="monthly", costs_bps=25, risk_free=0.03)
    assert agent.cost_rate == 0.0025  # the run's, not a default of 10 bps
    assert agent.cash_return == daily_rate(0.03)
    fixed = ra.get_strategy("rl_a2c", total_timesteps=64, n_envs=1, hidden_size=4, n_layers=1,
                            costs_bps=5.0, risk_free=0.0)  # fmt: skip
    ra.backtest(ra.scenario("bull-2010"), fixed, rebalance="monthly", costs_bps=25, risk_free=0.03)
    assert (fixed.cost_rate, fixed.cash_return) == (0.0005, 0.0)
    deep = ra.get_strategy("deep_sharpe", network="mlp", hidden_size=4, epochs=1, lookback=5)
    deep.fit(ra.MarketData(ra.scenario("bull-2010").prices).until("2012-01-01"),
             ra.RunContext(costs_bps=40))  # fmt: skip
    assert deep.training_cost_rate(deep.costs_bps) == 0.004


def test_a_plain_protocol_object_is_backtested_and_a_string_is_refused():
    class Plain:
        name = "plain"

        def fit(self, train):
            self.assets = list(train.assets)
            return self

        def allocate(self, history, dates):
            return pd.DataFrame(1.0 / len(self.assets), index=dates, columns=self.assets)

    result = ra.backtest(ra.scenario("bull-2010"), Plain(), rebalance="monthly")
    assert result.strategy == "plain" and len(result.returns) > 0
    with pytest.raises(ra.ConfigError, match=r"ra\.get_strategy\('equal_weight'\)"):
        ra.backtest(ra.scenario("bull-2010"), "equal_weight")
