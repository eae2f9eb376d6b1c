"""forecast_mvo keeps its forecasting loss but picks its epoch by a backtest of the validation
span: the score of an epoch is minus the Sharpe ratio that the engine's own simulator gives
the rule's weights there (schedule, drift, costs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import riskalloc as ra
from riskalloc.backtest import simulate
from riskalloc.core import RunContext
from riskalloc.evaluation import sharpe_ratio


def test_the_validation_score_is_minus_the_engines_sharpe_of_the_validation_span():
    torch.set_num_threads(1)
    scenario = ra.scenario("bull-2010")
    train = ra.MarketData(scenario.prices).until(scenario.train_end)
    strategy = ra.get_strategy("forecast_mvo", network="mlp", hidden_size=8, epochs=3, seed=0)
    strategy.fit(train, RunContext(costs_bps=10, risk_free=0.01, rebalance="weekly"))
    history = strategy.history_
    assert len(history.validation_loss) == len(history.train_loss)
    dates = strategy.training_dates_[history.validation_samples]
    sample_dates = strategy.training_dates_
    score = strategy.validation_backtest(train, sample_dates, strategy.inputs(train, sample_dates))(
        history.validation_samples
    )
    # The same span through the backtest's simulator.
    weights = strategy.predict(train, dates)
    mask = strategy.context_.rebalance.decision_mask(dates)
    positions = train.dates.get_indexer(dates)
    returns = train.returns.to_numpy()[np.concatenate([positions[:1], positions + 1])]
    simulation = simulate(
        weights.to_numpy()[mask], np.flatnonzero(mask), returns,
        cost_rate=0.001, cash_return=(1.01) ** (1 / 252) - 1,
    )  # fmt: skip
    expected = -sharpe_ratio(simulation.net_returns, 0.01)
    assert score == pytest.approx(expected, abs=1e-9)
    # The kept epoch is the best of those scores.
    assert history.validation_loss[history.best_epoch] == min(history.validation_loss)
