"""Block objectives: the training loss of a block is minus the metric the backtest reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import Rebalance, daily_rate
from riskalloc.strategies.deep import (
    LossInputs,
    mean_cvar,
    negative_log_wealth,
    negative_sharpe,
    negative_sortino,
)
from riskalloc.strategies.deep._blocks import block_decision_mask

RISK_FREE = 0.02
COSTS_BPS = 10.0


class _FixedWeights(ra.BaseAllocator):
    """Seeded random long-only weights per date, with some cash: a fixed, known policy."""

    name = "fixed_weights"

    def allocate(self, history, dates):
        rng = np.random.default_rng(7)
        weights = rng.dirichlet(np.ones(len(history.assets)), size=len(dates)) * 0.9
        return pd.DataFrame(weights, index=dates, columns=history.assets)


@pytest.fixture(scope="module", params=["daily", "weekly", "monthly", 5])
def backtested(request):
    scenario = ra.scenario("bull-2010")
    result = ra.backtest(scenario, _FixedWeights(), rebalance=request.param,
                         costs_bps=COSTS_BPS, risk_free=RISK_FREE)  # fmt: skip
    market = ra.MarketData(scenario.prices)
    span = market.dates[market.dates.get_loc(result.split.train_end) :]
    # Every date of the span but the last decides; off the schedule the weights are unused.
    weights = result.weights.reindex(span[:-1]).fillna(0.0).to_numpy()
    inputs = LossInputs(
        weights=torch.as_tensor(np.array(weights[None])),
        asset_returns=torch.as_tensor(np.array(market.returns.loc[span[1:]].to_numpy()[None])),
        cost_rate=COSTS_BPS / 1e4,
        cash_return=daily_rate(RISK_FREE),
        decision_mask=torch.as_tensor(block_decision_mask(Rebalance.parse(request.param), span)),
    )
    return result, inputs


def test_the_block_mask_is_the_backtests_schedule(backtested):
    result, inputs = backtested
    assert int(inputs.decision_mask.sum()) == len(result.weights)


def test_a_blocks_sharpe_loss_is_minus_the_backtests_sharpe(backtested):
    result, inputs = backtested
    expected = ra.performance(result)["sharpe"]
    assert float(negative_sharpe(RISK_FREE)(inputs)) == pytest.approx(-expected, abs=1e-9)


def test_a_blocks_sortino_loss_is_minus_the_backtests_sortino(backtested):
    result, inputs = backtested
    expected = ra.performance(result)["sortino"]
    # In excess of cash, as the evaluator's Sortino ratio.
    loss = negative_sortino(daily_rate(RISK_FREE))(inputs)
    assert float(loss) == pytest.approx(-expected, abs=1e-9)


def test_a_blocks_mean_cvar_loss_is_the_backtests_mean_and_cvar(backtested):
    result, inputs = backtested
    metrics = ra.performance(result)
    expected = -result.returns.mean() + 2.0 * metrics["cvar_95"]
    assert float(mean_cvar(2.0, 0.95)(inputs)) == pytest.approx(expected, abs=1e-9)


def test_a_blocks_log_wealth_loss_is_minus_the_log_of_the_backtests_wealth(backtested):
    result, inputs = backtested
    expected = np.log1p(ra.performance(result)["cumulative_return"])
    assert float(negative_log_wealth()(inputs)) == pytest.approx(-expected, abs=1e-9)


def test_off_schedule_weights_do_not_move_the_loss(backtested):
    _, inputs = backtested
    mask = inputs.decision_mask
    noise = torch.rand_like(inputs.weights) * 0.1
    changed = torch.where(mask[None, :, None], inputs.weights, noise)
    moved = LossInputs(**{**inputs.__dict__, "weights": changed})
    assert float(negative_sharpe(RISK_FREE)(moved)) == float(negative_sharpe(RISK_FREE)(inputs))
