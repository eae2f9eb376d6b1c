"""Drift and costs: a known answer worked out by hand, and simulate == rebalance_step replayed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import riskalloc as ra
from riskalloc.backtest import simulate
from riskalloc.core import rebalance_step

# Three assets over ten trading days (rows are closes).
PRICES = np.array(
    [
        [100.0, 50.0, 20.0],
        [102.0, 49.0, 20.4],
        [101.0, 51.0, 20.2],
        [104.0, 52.0, 20.8],
        [103.0, 50.0, 21.0],
        [107.0, 48.0, 20.6],
        [106.0, 49.0, 21.2],
        [108.0, 51.0, 21.4],
        [105.0, 53.0, 21.0],
        [110.0, 52.0, 21.6],
    ]
)
# Decisions every 3 trading days (closes 0, 3 and 6); each keeps 10 % in cash.
TARGETS = {
    0: [0.5, 0.3, 0.1],
    3: [0.2, 0.3, 0.4],
    6: [0.3, 0.3, 0.3],
}
COST_RATE = 0.0025  # 25 bps
ANNUAL_CASH_RATE = 0.05
CASH_RETURN = 1.05 ** (1 / 252) - 1


def hand_simulation(prices, targets, cost_rate, cash_return):
    """Dollar bookkeeping, one day at a time, written plainly.

    Start with 1 in cash. At a decision close the portfolio trades from the weights
    it drifted to (its holdings over its value) to the targets; the cost,
    ``cost_rate * sum |target - drifted|`` of the value, leaves the portfolio before
    it buys, and the rest stays in cash earning ``cash_return`` a day.
    """
    n_days = len(prices) - 1
    n_assets = len(prices[0])
    holdings = [0.0] * n_assets
    cash = 1.0
    net, gross, drifted, pre_trade, turnover, costs = [], [], [], [], [], []
    for close in range(n_days):
        value = cash + sum(holdings)
        value_after_costs = value
        if close in targets:
            target = targets[close]
            before = [holding / value for holding in holdings]
            traded = 0.0
            for i in range(n_assets):
                traded += abs(target[i] - before[i])
            cost = cost_rate * traded
            value_after_costs = value * (1.0 - cost)
            holdings = [value_after_costs * weight for weight in target]
            cash = value_after_costs * (1.0 - sum(target))
            pre_trade.append(before)
            turnover.append(traded)
            costs.append(cost)
        # Hold from this close to the next one.
        for i in range(n_assets):
            holdings[i] = holdings[i] * prices[close + 1][i] / prices[close][i]
        cash = cash * (1.0 + cash_return)
        new_value = cash + sum(holdings)
        net.append(new_value / value - 1.0)
        gross.append(new_value / value_after_costs - 1.0)
        drifted.append([holding / new_value for holding in holdings])
    return {
        "net": np.array(net),
        "gross": np.array(gross),
        "drifted": np.array(drifted),
        "pre_trade": np.array(pre_trade),
        "turnover": np.array(turnover),
        "costs": np.array(costs),
    }


def _asset_returns(prices: np.ndarray) -> np.ndarray:
    returns = np.full(prices.shape, np.nan)  # row 0: the first decision day, ignored
    returns[1:] = prices[1:] / prices[:-1] - 1.0
    return returns


def _simulated():
    days = sorted(TARGETS)
    return simulate(
        np.array([TARGETS[day] for day in days]),
        np.array(days),
        _asset_returns(PRICES),
        cost_rate=COST_RATE,
        cash_return=CASH_RETURN,
    )


def test_simulate_matches_the_hand_computation():
    expected = hand_simulation(PRICES.tolist(), TARGETS, COST_RATE, CASH_RETURN)
    simulation = _simulated()
    np.testing.assert_allclose(simulation.net_returns, expected["net"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(simulation.gross_returns, expected["gross"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(simulation.drifted_weights, expected["drifted"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        simulation.pre_trade_weights, expected["pre_trade"], rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(simulation.turnover, expected["turnover"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(simulation.costs, expected["costs"], rtol=0, atol=1e-16)


def test_first_days_worked_out_term_by_term():
    simulation = _simulated()
    # Day 1: bought 90 % from cash (turnover 0.9), paid 25 bps of it, then held.
    assert simulation.turnover[0] == pytest.approx(0.9, abs=1e-15)
    assert simulation.costs[0] == pytest.approx(0.9 * 0.0025, abs=1e-17)
    day1 = 0.5 * (102 / 100 - 1) + 0.3 * (49 / 50 - 1) + 0.1 * (20.4 / 20 - 1) + 0.1 * CASH_RETURN
    assert simulation.gross_returns[0] == pytest.approx(day1, abs=1e-15)
    assert simulation.net_returns[0] == pytest.approx(
        (1 - 0.9 * 0.0025) * (1 + day1) - 1, abs=1e-15
    )
    # Day 2 is not a decision: no cost, and the weights held are day 1's drifted ones.
    value1 = 0.5 * 1.02 + 0.3 * 0.98 + 0.1 * 1.02 + 0.1 * (1 + CASH_RETURN)
    drifted1 = np.array([0.5 * 1.02, 0.3 * 0.98, 0.1 * 1.02]) / value1
    np.testing.assert_allclose(simulation.drifted_weights[0], drifted1, rtol=0, atol=1e-15)
    cash1 = 0.1 * (1 + CASH_RETURN) / value1
    day2 = drifted1 @ (PRICES[2] / PRICES[1] - 1) + cash1 * CASH_RETURN
    assert simulation.net_returns[1] == pytest.approx(day2, abs=1e-15)
    assert simulation.gross_returns[1] == simulation.net_returns[1]
    # The decision at close 3 trades from the weights drifted to by then.
    np.testing.assert_allclose(
        simulation.turnover[1],
        np.abs(np.array(TARGETS[3]) - simulation.drifted_weights[2]).sum(),
        rtol=0,
        atol=1e-15,
    )


def test_costs_lower_only_the_first_day_of_each_holding():
    simulation = _simulated()
    first_days = [1, 4, 7]  # the day after each decision close
    for day in range(1, len(PRICES)):
        net, gross = simulation.net_returns[day - 1], simulation.gross_returns[day - 1]
        if day in first_days:
            assert net < gross
        else:
            assert net == gross


def test_backtest_reproduces_the_hand_computation():
    """The engine wires prices, the schedule, costs and the cash rate into the same answer."""
    dates = pd.bdate_range("2021-03-01", periods=len(PRICES))
    prices = pd.DataFrame(PRICES, index=dates, columns=["A", "B", "C"])

    class Scripted:
        name = "scripted"

        def fit(self, train):
            return self

        def allocate(self, history, decision_dates):
            rows = [TARGETS[dates.get_loc(date)] for date in decision_dates]
            return pd.DataFrame(rows, index=decision_dates, columns=history.assets)

    result = ra.backtest(
        prices,
        Scripted(),
        rebalance=3,
        costs_bps=25,
        test_start=dates[1],
        risk_free=ANNUAL_CASH_RATE,
    )
    expected = hand_simulation(PRICES.tolist(), TARGETS, COST_RATE, CASH_RETURN)
    assert list(result.weights.index) == [dates[0], dates[3], dates[6]]
    assert result.returns.index.equals(dates[1:])
    np.testing.assert_allclose(result.returns.to_numpy(), expected["net"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        result.gross_returns.to_numpy(), expected["gross"], rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(
        result.drifted_weights.to_numpy(), expected["drifted"], rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(result.turnover.to_numpy(), expected["turnover"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(result.costs.to_numpy(), expected["costs"], rtol=0, atol=1e-16)


# --- simulate (vectorised) == rebalance_step (sequential) ------------------------------


@st.composite
def portfolios(draw):
    n_days = draw(st.integers(1, 40))
    n_assets = draw(st.integers(1, 5))
    returns = draw(
        hnp.arrays(
            float,
            (n_days + 1, n_assets),
            elements=st.floats(-0.5, 0.5, allow_nan=False, allow_infinity=False),
        )
    )
    later = draw(st.sets(st.integers(1, n_days - 1), max_size=n_days - 1)) if n_days > 1 else set()
    decision_days = np.array([0, *sorted(later)], dtype=np.int64)
    # Weights in steps of 1 % of each budget keep the normalisation well conditioned.
    raw = draw(hnp.arrays(np.int64, (len(decision_days), n_assets), elements=st.integers(0, 100)))
    budgets = draw(hnp.arrays(float, (len(decision_days),), elements=st.floats(0.0, 1.0)))
    totals = raw.sum(axis=1).astype(float)
    scale = np.divide(budgets, totals, out=np.zeros_like(totals), where=totals > 0)
    targets = raw * scale[:, None]
    cost_rate = draw(st.floats(0.0, 0.01))
    cash_return = draw(st.floats(-0.001, 0.001))
    return targets, decision_days, returns, cost_rate, cash_return


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(portfolios())
def test_simulate_equals_rebalance_step_replayed_day_by_day(case):
    targets, decision_days, returns, cost_rate, cash_return = case
    simulation = simulate(targets, decision_days, returns, cost_rate, cash_return)

    n_days, n_assets = returns.shape[0] - 1, returns.shape[1]
    held = np.zeros(n_assets)  # start in cash
    net, drifted, turnover, pre_trade = [], [], [], []
    decision = dict(zip(decision_days.tolist(), targets, strict=True))
    for day in range(1, n_days + 1):
        close = day - 1
        if close in decision:
            pre_trade.append(held)
            target = decision[close]
        else:
            target = held  # no trade: keep the drifted weights (zero turnover)
        day_net, held, day_turnover = rebalance_step(
            held, target, returns[day], cost_rate, cash_return
        )
        if close in decision:
            turnover.append(day_turnover)
        else:
            assert day_turnover == 0.0
        net.append(day_net)
        drifted.append(held)

    np.testing.assert_allclose(simulation.net_returns, net, rtol=0, atol=1e-12)
    np.testing.assert_allclose(simulation.drifted_weights, drifted, rtol=0, atol=1e-12)
    np.testing.assert_allclose(simulation.turnover, turnover, rtol=0, atol=1e-12)
    np.testing.assert_allclose(simulation.pre_trade_weights, pre_trade, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        simulation.costs, cost_rate * np.asarray(turnover), rtol=0, atol=1e-12
    )
    # From cash, the first trade buys the whole invested part.
    assert simulation.turnover[0] == pytest.approx(targets[0].sum(), abs=1e-12)


def test_rebalance_step_steps_a_batch_of_portfolios_at_once():
    drifted = np.array([[0.2, 0.3], [0.0, 0.0]])
    target = np.array([[0.5, 0.5], [0.4, 0.4]])
    returns = np.array([0.01, -0.02])
    net, new_drifted, turnover = rebalance_step(drifted, target, returns, 0.001, 0.0001)
    for row in range(2):
        one = rebalance_step(drifted[row], target[row], returns, 0.001, 0.0001)
        assert net[row] == one[0]
        np.testing.assert_array_equal(new_drifted[row], one[1])
        assert turnover[row] == one[2]
    np.testing.assert_allclose(turnover, [0.5, 0.8], rtol=0, atol=1e-15)


def test_one_portfolio_steps_bit_for_bit_like_a_row_of_a_batch():
    # rebalance_step has a fast path for one portfolio (an RL environment's step): it
    # must give exactly what the batch arithmetic gives, cash and costs included.
    rng = np.random.default_rng(7)
    drifted = rng.dirichlet(np.ones(30), size=64) * rng.uniform(0.5, 1.0, (64, 1))
    target = rng.dirichlet(np.ones(30), size=64) * rng.uniform(0.5, 1.0, (64, 1))
    returns = rng.normal(0.0, 0.02, size=30)
    net, new_drifted, turnover = rebalance_step(drifted, target, returns, 0.0025, 0.0002)
    for row in range(64):
        one_net, one_drifted, one_turnover = rebalance_step(
            drifted[row], target[row], returns, 0.0025, 0.0002
        )
        assert isinstance(one_net, float) and isinstance(one_turnover, float)
        assert one_net == net[row] and one_turnover == turnover[row]
        np.testing.assert_array_equal(one_drifted, new_drifted[row])


def test_rebalance_step_refuses_weights_and_returns_of_different_lengths():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\).*do not broadcast"):
        rebalance_step(np.zeros(3), np.array([0.5, 0.5]), np.zeros(2), 0.001)
