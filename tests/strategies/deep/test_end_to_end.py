"""End-to-end deep allocators: reproducibility, learning a planted signal, real data,
and training on the training span only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.evaluation import sharpe_ratio
from riskalloc.strategies import get_strategy
from riskalloc.strategies.deep import DeepCVaR, DeepSharpe

torch.set_num_threads(1)

# Tiny settings: small network, short windows, no market-index features.
SMALL = {
    "retrain_every": None,  # fitted once: refits are test_walk_forward.py's
    "lookback": 10,
    "hidden_size": 8,
    "volatility_windows": (5,),
    "ma_windows": (5, 60),
    "rsi_window": None,
    "drawdown_window": 60,
    "market": False,
}
NAMES = ["deep_sharpe", "deep_cvar"]


def planted_market(seed: int = 0, n_days: int = 1800, n_assets: int = 4) -> pd.DataFrame:
    """Same daily volatility (1%) everywhere; asset ``A1`` drifts up 0.25%/day, the rest down 0.05%."""
    rng = np.random.default_rng(seed)
    drift = np.full(n_assets, -0.0005)
    drift[1] = 0.0025
    returns = rng.normal(drift, 0.01, size=(n_days, n_assets))
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(prices, index=dates, columns=[f"A{i}" for i in range(n_assets)])


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return planted_market()


def _weights(name, prices, **params):
    strategy = get_strategy(name, epochs=2, **SMALL, **params)
    result = ra.backtest(prices, strategy, rebalance="weekly", test_start=prices.index[1000])
    return result.weights.to_numpy()


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_weights_bit_for_bit_and_another_seed_differs(market, name):
    first = _weights(name, market, seed=3)
    again = _weights(name, market, seed=3)
    other = _weights(name, market, seed=4)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_training_leaves_the_global_random_state_and_determinism_setting_alone(market):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    np.random.seed(5)  # noqa: NPY002
    expected_numpy = np.random.rand(2)  # noqa: NPY002
    np.random.seed(5)  # noqa: NPY002
    was = torch.are_deterministic_algorithms_enabled()
    _weights("deep_sharpe", market)
    assert torch.equal(torch.rand(3), expected)
    assert np.array_equal(np.random.rand(2), expected_numpy)  # noqa: NPY002
    assert torch.are_deterministic_algorithms_enabled() == was


def test_deep_sharpe_learns_a_planted_drift_and_beats_equal_weight_out_of_sample(market):
    """A1 has the same volatility and a far higher drift; trained briefly, the network
    must tilt towards it. Untrained (optimiser step disabled), it stays near equal weight
    and the test fails: checked by hand, Sharpe 1.53 untrained vs 2.93 trained."""
    test_start = market.index[1000]
    strategy = get_strategy("deep_sharpe", epochs=10, learning_rate=1e-2, seed=0, **SMALL)
    deep = ra.backtest(market, strategy, rebalance="weekly", test_start=test_start)
    equal = ra.backtest(
        market, get_strategy("equal_weight"), rebalance="weekly", test_start=test_start
    )
    assert sharpe_ratio(deep.returns) > sharpe_ratio(equal.returns) + 0.5
    assert deep.weights["A1"].mean() > 0.35  # equal weight is 0.25
    assert np.isfinite(strategy.history_.train_loss).all()


@pytest.mark.parametrize("name", NAMES)
def test_runs_end_to_end_on_real_data(name):
    strategy = get_strategy(name, epochs=1, lookback=10, hidden_size=4, network="lstm")
    result = ra.backtest(ra.scenario("bull-2010"), strategy, rebalance="weekly")
    assert np.isfinite(result.returns.to_numpy()).all()
    np.testing.assert_allclose(result.weights.sum(axis=1), 1.0, atol=1e-12)
    assert (result.weights.to_numpy() >= 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_fit_sees_the_training_span_only(market, name):
    test_start = market.index[1000]
    train_end = market.index[999]
    poisoned = market.copy()
    after = poisoned.index >= test_start
    poisoned.loc[after] = poisoned.loc[after].to_numpy() * np.random.default_rng(1).uniform(
        0.5, 1.5, size=(int(after.sum()), market.shape[1])
    )
    fitted = []
    for prices in (market, poisoned):
        strategy = get_strategy(name, epochs=2, **SMALL)
        ra.backtest(prices, strategy, rebalance="weekly", test_start=test_start)
        fitted.append(strategy)
    clean, dirty = fitted
    for key, value in clean.model_.state_dict().items():
        assert torch.equal(value, dirty.model_.state_dict()[key]), key
    np.testing.assert_array_equal(clean.features_.mean_, dirty.features_.mean_)
    # Every training decision's next-day return lies inside the training span: the last
    # decision is the day before its end.
    dates = clean.training_dates_
    last = market.index.get_loc(dates[-1]) + 1
    assert market.index[last] == train_end
    assert dates[0] == market.index[clean.min_history - 1]


def test_capped_weights_respect_max_weight(market):
    weights = _weights("deep_sharpe", market, max_weight=0.3)
    assert weights.max() <= 0.3 + 1e-12
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("network", "gru"),
        ("optimizer", "adagrad"),
        ("epochs", 0),
        ("lookback", 1.5),
        ("learning_rate", -1.0),
        ("validation_fraction", 1.0),
        ("dropout", 1.2),
        ("max_weight", 0.1),
        ("horizon", 1),
        ("seed", -1),
        ("device", "not-a-device"),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(market, parameter, value):
    strategy = DeepSharpe(**{**SMALL, parameter: value})
    train = ra.MarketData(market.iloc[:1000])
    with pytest.raises(ConfigError, match=parameter):
        strategy.fit(train)


@pytest.mark.parametrize(("parameter", "value"), [("risk_aversion", -1.0), ("confidence", 1.0)])
def test_deep_cvar_checks_its_own_parameters(market, parameter, value):
    with pytest.raises(ConfigError, match=parameter):
        DeepCVaR(**{parameter: value}).fit(ra.MarketData(market.iloc[:1000]))


def test_parameters_are_stored_as_given_and_listed():
    strategy = get_strategy("deep_cvar", risk_aversion=2.0, epochs=3)
    params = strategy.get_params()
    assert params["risk_aversion"] == 2.0 and params["epochs"] == 3
    assert set(DeepCVaR.param_annotations()) == set(DeepCVaR.param_names())
    assert DeepSharpe.stochastic and DeepCVaR.stochastic
    assert strategy.min_history == strategy.feature_builder().min_history
