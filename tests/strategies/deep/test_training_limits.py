"""Deep strategies trained under risk limits: the loss scores the limited weights.

The limits' differentiable part (cap, VaR/CVaR, volatility target) sits in the training
graph, with each sample's risk measured as the allocation path measures it; a network
trained under a volatility target learns the portfolio that is best *after* the target,
where one trained without it learns the one that is best before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.runner._cell import make_strategy
from riskalloc.strategies import get_strategy
from riskalloc.strategies.limits import LimitedAllocator, Limits, differentiable_limits

SCENARIO = ra.scenario("covid-2017")
TRAIN = ra.MarketData(SCENARIO.prices, name="covid-2017").until(SCENARIO.train_end)
LIMITS = Limits(max_weight=0.055, var=0.012, limit_alpha=0.9, risk_window=60, vol_target=0.08)


def test_only_the_differentiable_limits_enter_training():
    limits = Limits(
        max_weight=0.3,
        vol_target=0.1,
        max_turnover=0.2,
        drawdown_stop=0.15,
        group_caps={"tech": 0.4},
        groups={"A": "tech"},
    )
    kept = differentiable_limits(limits)
    assert kept.to_dict() == {"max_weight": 0.3, "vol_target": 0.1}
    assert differentiable_limits(Limits(max_turnover=0.2, drawdown_stop=0.1)) is None


def test_the_limited_wrapper_hands_its_limits_to_a_deep_strategy_and_its_refits(tiny):
    limited = make_strategy("deep_cvar+limits", {**tiny, "epochs": 1, "limits": LIMITS.to_dict()})
    inner = limited.strategy
    assert inner.training_limits == LIMITS.to_dict()
    # A walk-forward refit is type(self)(**get_params()): the limits travel with it.
    assert type(inner)(**inner.get_params()).training_limits == LIMITS.to_dict()
    # The risk windows push the first training sample back, as at allocation.
    assert inner.min_history == max(get_strategy("deep_cvar", **tiny).min_history, 61)
    # Classical strategies are limited after the fact, with nothing to train.
    assert not hasattr(make_strategy("risk_parity+limits", {"limits": LIMITS.to_dict()}).strategy,
                       "training_limits")  # fmt: skip
    ensemble = make_strategy(
        "deep_ensemble+limits", {"base": "deep_sharpe", "members": 2, "limits": LIMITS.to_dict()}
    )
    assert ensemble.strategy.base_params()["training_limits"] == LIMITS.to_dict()
    other = make_strategy(
        "deep_ensemble+limits", {"base": "forecast_mvo", "members": 2, "limits": LIMITS.to_dict()}
    )
    assert "training_limits" not in other.strategy.base_params()


def test_training_sees_exactly_the_weights_the_limited_allocation_holds(tiny):
    # On real data: the layers in the training graph, on the training samples, give the
    # weights LimitedAllocator's exact path gives on the same dates.
    train = TRAIN
    strategy = get_strategy("deep_cvar", **tiny, epochs=1, seed=1)
    limited = LimitedAllocator(strategy, LIMITS).fit(train)
    dates = strategy.training_dates_
    hook = strategy._limits_hook(train, dates)
    index = torch.arange(0, len(dates), 7)
    with torch.no_grad():
        raw = strategy.model_(strategy.inputs(train, dates[index.numpy()])).to(torch.float64)
        trained_on = hook(raw, index).numpy()
    exact = limited.allocate(train, dates[index.numpy()]).to_numpy()
    np.testing.assert_allclose(trained_on, exact, rtol=0, atol=1e-9)
    # Every limit bound somewhere, so the comparison covers each layer.
    assert limited.limits_bound_[["max_weight", "var", "vol_target"]].any().all()
    assert (trained_on.sum(axis=1) < 1 - 1e-6).any()  # cash, where a risk limit bound


def test_the_gradient_reaches_the_network_through_the_limits(tiny):
    train = TRAIN
    strategy = get_strategy("deep_cvar", **tiny, epochs=1, training_limits=LIMITS.to_dict())
    strategy.fit(train)
    dates = strategy.training_dates_
    index = torch.arange(len(dates) - 64, len(dates))
    strategy.model_.train()
    weights = strategy.model_(strategy.inputs(train, dates[index.numpy()])).to(torch.float64)
    limited = strategy._limits_hook(train, dates)(weights, index)
    # The block of the last 64 training decisions, each earning its next day.
    returns = strategy.block_data(train).next_returns[index]
    loss = strategy.training_loss()
    from riskalloc.strategies.deep._losses import LossInputs

    block = LossInputs(weights=limited[None], asset_returns=returns[None], cost_rate=0.001)
    loss(block).backward()
    gradients = [p.grad for p in strategy.model_.parameters() if p.grad is not None]
    assert gradients and all(torch.isfinite(g).all() for g in gradients)
    assert sum(float(g.abs().sum()) for g in gradients) > 0


def _risky_and_steady_market() -> pd.DataFrame:
    """A0 drifts up 0.3 %/day at 2 % daily volatility; A1 0.1 %/day at 0.3 %; A2 falls.

    Unlimited, A0 has the higher mean return; under a 4 % volatility target A0 can be
    held at about 12 % of the portfolio and A1 at about 80 %, so A1 earns twice as much.
    """
    rng = np.random.default_rng(3)
    drift = np.array([0.003, 0.001, -0.0005])
    volatility = np.array([0.02, 0.003, 0.01])
    returns = rng.normal(drift, volatility, size=(1300, 3))
    dates = pd.bdate_range("2003-01-01", periods=len(returns))
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(prices, index=dates, columns=["A0", "A1", "A2"])


def test_a_network_trained_under_a_volatility_target_learns_the_portfolio_best_after_it(tiny):
    # Checked by hand: trained without the limit the network holds ~90 % A0 (limited
    # return 2.8 % a year), under it ~89 % A1 (19.6 %), both at ~4 % volatility.
    prices = _risky_and_steady_market()
    market = ra.MarketData(prices)
    limits = Limits(vol_target=0.04, vol_window=20)
    test_start = prices.index[1000]
    results, raw = {}, {}
    for trained_under_limits in (False, True):
        # risk_aversion 0: the loss is the mean net return alone.
        strategy = get_strategy(
            "deep_cvar", **tiny, epochs=10, learning_rate=1e-2, risk_aversion=0.0, seed=0
        )
        limited = LimitedAllocator(strategy, limits)
        if not trained_under_limits:
            strategy.training_limits = None
        result = ra.backtest(prices, limited, rebalance="weekly", test_start=test_start)
        results[trained_under_limits] = result
        raw[trained_under_limits] = strategy.allocate(market, result.weights.index).mean()
    # Without the limit in training the network buys the high-mean, high-volatility asset;
    # under it, the steady one, which the volatility target lets it hold far more of.
    assert raw[False]["A0"] > 0.6 and raw[True]["A1"] > 0.6
    annual = {key: ra.performance(result)["annual_return"] for key, result in results.items()}
    assert annual[True] > annual[False] + 0.05
    # Both hold the same 4 % target at allocation: the gain is not from taking more risk.
    for result in results.values():
        assert ra.performance(result)["annual_volatility"] < 0.05


def test_training_limits_must_be_a_mapping_of_known_limits(tiny):
    with pytest.raises(ConfigError, match="training_limits"):
        get_strategy("deep_sharpe", **tiny, training_limits="vol_target=0.1").fit(TRAIN)
    with pytest.raises(ConfigError, match="--limit vol_targt: unknown limit"):
        get_strategy("deep_sharpe", **tiny, training_limits={"vol_targt": 0.1}).fit(TRAIN)
