"""`vol_risk_budget`: the head's gradients and guarantees, a planted volatility regime,
causality, reproducibility, persistence, parameters and real data."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.strategies import load_model
from riskalloc.strategies.deep._vol_risk_budget import VolRiskBudget
from riskalloc.strategies.deep._vol_risk_budget_model import VolatilityRiskBudgetHead

torch.set_num_threads(1)

SMALL = {
    "retrain_every": None,  # fitted once: refits are test_walk_forward.py's
    "lookback": 10,
    "hidden_size": 8,
    "volatility_windows": (5, 21),
    "ma_windows": (5,),
    "rsi_window": None,
    "drawdown_window": 60,
    "market": False,
    "correlation_window": 60,
}
BLOCK = 150  # days per volatility regime
CALM, STRESSED = 0.01, 0.03  # daily volatility


def planted_volatility(n_days: int = 1400) -> np.ndarray:
    """Daily volatility of every asset: 1 % and 3 % in alternating blocks of 150 days."""
    return np.where((np.arange(n_days) // BLOCK) % 2 == 0, CALM, STRESSED)


def planted_market(seed: int = 0, n_days: int = 1400, n_assets: int = 4) -> pd.DataFrame:
    """Independent assets with a small drift and the planted volatility regime."""
    rng = np.random.default_rng(seed)
    volatility = planted_volatility(n_days)
    returns = rng.normal(0.0003, 1.0, size=(n_days, n_assets)) * volatility[:, None]
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(prices, index=dates, columns=[f"A{i}" for i in range(n_assets)])


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return planted_market()


@pytest.fixture(scope="module")
def fitted(market):
    """Trained briefly on the first 900 days (three calm and three stressed blocks)."""
    strategy = VolRiskBudget(epochs=5, learning_rate=1e-2, **SMALL)
    result = ra.backtest(market, strategy, rebalance="weekly", test_start=market.index[900])
    return strategy, result


def _outputs(strategy, prices, dates):
    history = ra.MarketData(prices)
    with torch.no_grad():
        return strategy.model_(
            strategy.inputs(history, dates), *strategy.risk_inputs(history, dates)
        )


def _oracle_covariance(prices, date, volatility, window, shrinkage):
    """``D R D`` with R the shrunk pandas correlation of the window's returns (independent)."""
    returns = prices.pct_change().loc[:date].iloc[-window:]
    correlation = (1 - shrinkage) * returns.corr().to_numpy() + shrinkage * np.eye(len(volatility))
    daily = volatility / np.sqrt(252)
    return daily[:, None] * correlation * daily[None, :]


# --- the head -----------------------------------------------------------------------------
def test_head_gradients_match_finite_differences_in_float64():
    generator = torch.Generator().manual_seed(0)
    n = 3
    factor = torch.randn(2, n, n, generator=generator, dtype=torch.float64)
    covariance = factor @ factor.transpose(-1, -2) + n * torch.eye(n, dtype=torch.float64)
    scale = torch.diagonal(covariance, dim1=-2, dim2=-1).sqrt()
    correlation = covariance / (scale[:, :, None] * scale[:, None, :])
    budgets = torch.softmax(torch.randn(2, n, generator=generator, dtype=torch.float64), -1)
    volatility = torch.tensor([[0.2, 0.3, 0.15], [0.1, 0.4, 0.25]], dtype=torch.float64)
    # The first row is scaled down to its target, the second is below it and stays invested.
    target = torch.tensor([0.08, 0.60], dtype=torch.float64)
    head = VolatilityRiskBudgetHead()
    inputs = tuple(t.clone().requires_grad_(True) for t in (budgets, volatility, target))
    assert torch.autograd.gradcheck(
        lambda b, v, t: head(b, v, correlation, t), inputs, eps=1e-6, atol=1e-7
    )
    weights = head(budgets, volatility, correlation, target)
    assert weights[0].sum() < 1 - 1e-3
    torch.testing.assert_close(weights[1].sum(), torch.tensor(1.0, dtype=torch.float64))


def test_weights_are_long_only_unlevered_and_within_the_target_on_every_date(fitted, market):
    strategy, result = fitted
    dates = result.weights.index
    output = _outputs(strategy, market, dates)
    weights = output.weights.numpy()
    np.testing.assert_array_equal(weights, result.weights.to_numpy())
    assert (weights >= 0).all()
    assert (weights.sum(axis=1) <= 1 + 1e-12).all()
    volatility = output.volatility.numpy()
    target = output.target_volatility.numpy()
    for k, date in enumerate(dates):
        covariance = _oracle_covariance(
            market, date, volatility[k], strategy.correlation_window, strategy.correlation_shrinkage
        )
        forecast = np.sqrt(252 * weights[k] @ covariance @ weights[k])
        assert forecast <= target[k] + 1e-8, date
    # regimes_ reports the same target and forecast volatility.
    np.testing.assert_allclose(strategy.regimes_["target_volatility"], target)
    assert (strategy.regimes_["forecast_volatility"] <= target + 1e-8).all()


def test_risky_weights_spend_the_risk_budgets(fitted, market):
    strategy, result = fitted
    dates = result.weights.index[[0, 7, 19, 40]]
    output = _outputs(strategy, market, dates)
    for k, date in enumerate(dates):
        covariance = _oracle_covariance(
            market,
            date,
            output.volatility[k].numpy(),
            strategy.correlation_window,
            strategy.correlation_shrinkage,
        )
        risky = output.weights[k].numpy()
        contributions = risky * (covariance @ risky) / (risky @ covariance @ risky)
        np.testing.assert_allclose(contributions, output.budgets[k].numpy(), atol=1e-6)


# --- a planted volatility regime ----------------------------------------------------------
def test_forecasts_track_a_planted_volatility_regime_and_exposure_falls_in_it(fitted, market):
    strategy, result = fitted
    volatility = planted_volatility(len(market))
    forecasts = result.predictions
    positions = market.index.get_indexer(forecasts["date"])
    # The regime of the days forecast (the first held day decides; blocks are long).
    stressed = volatility[positions + 1] == STRESSED
    calm_mean = forecasts.loc[~stressed, "predicted"].mean()
    stressed_mean = forecasts.loc[stressed, "predicted"].mean()
    assert stressed_mean > 1.6 * calm_mean, (calm_mean, stressed_mean)
    # In the right range: 1 % a day is 15.9 % a year, 3 % is 47.6 %.
    assert 0.08 < calm_mean < 0.30 and 0.30 < stressed_mean < 0.70
    truth = volatility[positions + 1] * np.sqrt(252)
    assert np.corrcoef(forecasts["predicted"], truth)[0, 1] > 0.7
    exposure = result.weights.sum(axis=1).to_numpy()
    decided_stressed = volatility[market.index.get_indexer(result.weights.index) + 1] == STRESSED
    assert exposure[decided_stressed].mean() < 0.75 * exposure[~decided_stressed].mean()
    assert strategy.forecast_horizon == strategy.horizon
    assert set(forecasts["target"]) == {"volatility"}


# --- causality and reproducibility --------------------------------------------------------
def test_weights_before_a_date_ignore_prices_after_it(fitted, market):
    strategy, result = fitted
    dates = result.weights.index
    cut = dates[len(dates) // 2]
    poisoned = market.copy()
    after = poisoned.index > cut
    poisoned.loc[after] = poisoned.loc[after].to_numpy() * np.random.default_rng(1).uniform(
        0.5, 1.5, size=(int(after.sum()), market.shape[1])
    )
    clean = strategy.allocate(ra.MarketData(market), dates)
    clean_forecasts = strategy.forecasts_
    dirty = strategy.allocate(ra.MarketData(poisoned), dates)
    before = dates <= cut
    pd.testing.assert_frame_equal(clean[before], dirty[before])
    assert not clean[~before].equals(dirty[~before])
    kept = clean_forecasts["date"] <= cut
    pd.testing.assert_frame_equal(clean_forecasts[kept], strategy.forecasts_[kept])


def test_same_seed_same_weights_bit_for_bit_and_another_seed_differs(market, fitted):
    _, first = fitted
    strategy = VolRiskBudget(epochs=5, learning_rate=1e-2, **SMALL)
    again = ra.backtest(market, strategy, rebalance="weekly", test_start=market.index[900])
    assert np.array_equal(first.weights.to_numpy(), again.weights.to_numpy())
    other = VolRiskBudget(epochs=5, learning_rate=1e-2, seed=1, **SMALL).fit(
        ra.MarketData(market.iloc[:900])
    )
    dates = first.weights.index[:5]
    assert not np.array_equal(
        other.allocate(ra.MarketData(market), dates).to_numpy(), first.weights.to_numpy()[:5]
    )


def test_refits_record_the_regimes_of_every_decision_date(market):
    strategy = VolRiskBudget(
        **{**SMALL, "epochs": 1, "retrain_every": 100, "validation_fraction": 0.0}
    )
    train = ra.MarketData(market.iloc[:900])
    strategy.fit(train)
    dates = market.index[900:1050]
    weights = strategy.allocate(ra.MarketData(market), dates)
    assert len(strategy.refit_dates_) == 1
    assert strategy.regimes_.index.equals(weights.index)
    np.testing.assert_allclose(strategy.regimes_["risky_weight"], weights.sum(axis=1))
    assert set(strategy.forecasts_["date"]) == set(dates)


# --- persistence --------------------------------------------------------------------------
def test_save_and_load_give_identical_weights(fitted, market, tmp_path):
    strategy, result = fitted
    dates = result.weights.index
    history = ra.MarketData(market)
    expected = strategy.allocate(history, dates)
    expected_forecasts, expected_regimes = strategy.forecasts_, strategy.regimes_
    loaded = load_model(strategy.save(tmp_path / "model"))
    assert isinstance(loaded, VolRiskBudget)
    pd.testing.assert_frame_equal(loaded.allocate(history, dates), expected)
    pd.testing.assert_frame_equal(loaded.forecasts_, expected_forecasts)
    pd.testing.assert_frame_equal(loaded.regimes_, expected_regimes)


# --- parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("objective", "sortino"),
        ("risk_aversion", -1.0),
        ("confidence", 1.0),
        ("forecast_weight", -0.5),
        ("n_regimes", 0),
        ("regime_window", 1),
        ("target_volatility", 0.5),
        ("volatility_half_life", 0),
        ("min_target_volatility", 0.0),
        ("max_target_volatility", 0.01),
        ("correlation_window", 1),
        ("correlation_shrinkage", 1.0),
        ("costs_bps", -1.0),
        ("horizon", 1),
        ("network", "gru"),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(market, parameter, value):
    strategy = VolRiskBudget(**{**SMALL, parameter: value})
    with pytest.raises(ConfigError, match=parameter):
        strategy.fit(ra.MarketData(market.iloc[:900]))


def test_parameters_are_stored_as_given_and_history_covers_the_correlation_window():
    strategy = VolRiskBudget(objective="sharpe", n_regimes=3, epochs=2, correlation_window=400)
    params = strategy.get_params()
    assert params["objective"] == "sharpe" and params["n_regimes"] == 3 and params["epochs"] == 2
    assert set(VolRiskBudget.param_annotations()) == set(VolRiskBudget.param_names())
    assert "lookback" in VolRiskBudget.param_names() and VolRiskBudget.stochastic
    assert strategy.min_history == 401
    assert "negative_sharpe" in repr(strategy.training_loss())
    assert "qlike" not in repr(strategy.training_loss())  # forecast_weight=0 by default
    assert "qlike" in repr(VolRiskBudget(forecast_weight=1.0).training_loss())


# --- real data ----------------------------------------------------------------------------
def test_runs_end_to_end_on_real_data_with_a_regime_gate(tmp_path):
    strategy = VolRiskBudget(epochs=1, lookback=10, hidden_size=4, n_regimes=2)
    scenario = ra.scenario("bull-2010")
    result = ra.backtest(scenario, strategy, rebalance="weekly")
    weights = result.weights.to_numpy()
    assert np.isfinite(result.returns.to_numpy()).all()
    assert (weights >= 0).all() and (weights.sum(axis=1) <= 1 + 1e-12).all()
    regimes = strategy.regimes_
    assert list(regimes.columns[:2]) == ["regime_0", "regime_1"]
    np.testing.assert_allclose(regimes[["regime_0", "regime_1"]].sum(axis=1), 1.0)
    assert regimes["target_volatility"].between(0.02, 0.40).all()
    assert (regimes["forecast_volatility"] <= regimes["target_volatility"] + 1e-8).all()
    assert result.predictions is not None and np.isfinite(result.predictions["realised"]).all()
    loaded = load_model(strategy.save(tmp_path / "model"))
    history = ra.MarketData(scenario.prices)
    dates = result.weights.index[:10]
    pd.testing.assert_frame_equal(loaded.allocate(history, dates), result.weights.iloc[:10])


# --- the regimes and the baseline ----------------------------------------------------------
def test_the_long_run_average_target_is_the_users_whatever_the_learned_tilt(fitted):
    strategy, _ = fitted
    gate = copy.deepcopy(strategy.model_.gate)
    stationary = gate.hmm().stationary()
    targets = gate.regime_targets().detach().numpy()
    assert targets[0] > targets[1]  # trained: more risk in the calm (low-volatility) state
    with torch.no_grad():
        gate.tilt.copy_(torch.tensor([0.05, -0.04], dtype=torch.float64))
        tilted = gate.regime_targets().numpy()
    for values in (targets, tilted):
        if ((values > gate.low) & (values < gate.high)).all():  # unclipped
            assert stationary @ values == pytest.approx(strategy.target_volatility, rel=1e-12)


def test_the_forecasts_are_the_ewma_baseline_when_their_loss_is_off(fitted, market):
    strategy, result = fitted
    assert strategy.forecast_weight == 0 and float(strategy.model_.correction_gain) == 0.0
    date = result.weights.index[17]
    returns = market.pct_change().loc[:date].iloc[-strategy.correlation_window :].to_numpy()
    age = np.arange(len(returns))[::-1]
    weights = 0.5 ** (age / strategy.volatility_half_life)
    expected = np.sqrt(252 * (weights / weights.sum()) @ returns**2)
    forecasts = result.predictions
    got = forecasts.loc[forecasts["date"] == date, "predicted"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9)
