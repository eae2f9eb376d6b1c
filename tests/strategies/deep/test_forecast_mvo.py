"""forecast_mvo: forecasts that learn a planted signal, the two allocation rules against
known answers and the classical solver, causality, reproducibility, the forecasts contract,
saving and loading, and parameter checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.risk import estimate_covariance, estimate_mean, regularise_covariance
from riskalloc.strategies import load_model
from riskalloc.strategies.classical import MeanVariance
from riskalloc.strategies.deep._forecast_mvo import (
    AllocationRule,
    ForecastMVO,
    mean_variance_weights,
    proportional_weights,
)

torch.set_num_threads(1)

# A one-layer LSTM of 8 units on 10-day windows, no market-index features, 60-day covariance.
SMALL = {
    "retrain_every": None,  # fitted once: refits are test_walk_forward.py's
    "lookback": 10,
    "hidden_size": 8,
    "n_layers": 1,
    "volatility_windows": (5,),
    "ma_windows": (5, 60),
    "rsi_window": None,
    "drawdown_window": 60,
    "market": False,
    "covariance_window": 60,
    "learning_rate": 1e-2,
    "epochs": 3,
}
TEST_START = 800


def drift_market(seed: int = 0, n_days: int = 1200) -> pd.DataFrame:
    """1 % daily volatility everywhere; ``A1`` drifts up 0.25 %/day, the others down 0.05 %."""
    rng = np.random.default_rng(seed)
    drift = np.array([-0.0005, 0.0025, -0.0005, -0.0005])
    returns = rng.normal(drift, 0.01, size=(n_days, len(drift)))
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(prices, index=dates, columns=[f"A{i}" for i in range(len(drift))])


def autoregressive_market(phi: float = 0.5, n_days: int = 1200) -> pd.DataFrame:
    """Zero-mean AR(1) daily returns ``r_t = phi r_{t-1} + e_t``: tomorrow is predictable
    from today with correlation ``phi``, the same in every asset."""
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 0.01, size=(n_days, 3))
    returns = np.zeros_like(noise)
    for day in range(1, n_days):
        returns[day] = phi * returns[day - 1] + noise[day]
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(prices, index=dates, columns=["B0", "B1", "B2"])


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return drift_market()


@pytest.fixture(scope="module")
def fitted(market) -> ForecastMVO:
    """Mean-variance rule, fitted on the first 800 days of the drift market."""
    return ForecastMVO(covariance="sample", **SMALL).fit(ra.MarketData(market.iloc[:TEST_START]))


@pytest.fixture(scope="module")
def test_dates(market) -> pd.DatetimeIndex:
    return market.index[TEST_START - 1 :: 5]


# --- learning a planted signal ----------------------------------------------------------------
def test_forecasts_of_a_planted_drift_beat_chance_and_mean_variance_buys_the_best_asset(market):
    """A1 earns 1.9 % more than the others over 5 days out of sample. Trained, the forecasts
    put it 0.72 % ahead of their average (MSE shrinks a noisy signal), correlate 0.18 with
    the outcome, and mean-variance gives A1 0.91 on average. Untrained (learning_rate 1e-9, checked by hand
    for seeds 0-2) the lead is at most 0.20 %, the correlation at most 0.11 and A1's
    weight at most 0.45."""
    strategy = ForecastMVO(**SMALL)
    result = ra.backtest(market, strategy, rebalance="weekly", test_start=market.index[TEST_START])
    predictions = result.predictions
    assert np.corrcoef(predictions["predicted"], predictions["realised"])[0, 1] > 0.12
    by_asset = predictions.groupby("asset")["predicted"].mean()
    assert by_asset["A1"] - by_asset.drop("A1").max() > 0.004
    assert result.weights["A1"].mean() > 0.75
    np.testing.assert_allclose(result.weights.sum(axis=1), 1.0, atol=1e-9)
    assert (result.weights.to_numpy() >= -1e-12).all()


def test_forecasts_of_a_planted_autocorrelation_track_each_asset_out_of_sample():
    """With AR(1) returns (phi = 0.5) the best one-day forecast correlates 0.5 with the
    outcome; the trained network's out-of-sample forecasts must get most of that in every
    asset, which no cross-sectional drift can explain (the assets are alike)."""
    prices = autoregressive_market()
    strategy = ForecastMVO(horizon=1, rule="proportional", **{**SMALL, "epochs": 5})
    result = ra.backtest(prices, strategy, rebalance="daily", test_start=prices.index[TEST_START])
    for asset, rows in result.predictions.groupby("asset"):
        assert np.corrcoef(rows["predicted"], rows["realised"])[0, 1] > 0.35, asset


# --- the allocation rules ---------------------------------------------------------------------
def _covariance(draw: st.DrawFn, n_assets: int) -> np.ndarray:
    factor = draw(
        hnp.arrays(np.float64, (n_assets, n_assets), elements=st.floats(-0.03, 0.03, width=64))
    )
    return factor @ factor.T + 1e-6 * np.eye(n_assets)


@st.composite
def forecast_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, float]:
    n_assets = draw(st.integers(1, 6))
    expected = draw(hnp.arrays(np.float64, (1, n_assets), elements=st.floats(-0.01, 0.01)))
    limit = draw(st.floats(0.01, 0.5))
    max_weight = draw(st.floats(0.05, 1.0))
    return expected, _covariance(draw, n_assets)[None], limit, max_weight


@settings(max_examples=150, deadline=None)
@given(forecast_problems())
def test_proportional_weights_respect_the_volatility_limit_the_cap_and_the_signs(problem):
    expected, covariance, limit, max_weight = problem
    weights = proportional_weights(expected, covariance, limit, max_weight)
    volatility = np.sqrt(252 * np.einsum("di,dij,dj->d", weights, covariance, weights))
    assert (volatility <= limit * (1 + 1e-12)).all()
    assert (weights >= 0).all() and (weights <= max_weight + 1e-15).all()
    assert weights.sum() <= 1 + 1e-12
    assert (weights[expected <= 0] == 0).all()
    positive = np.clip(expected, 0, None)
    if positive.sum() > 0:
        # One scale in (0, 1] times the capped proportions of the positive forecasts.
        proportions = np.minimum(positive / positive.sum(), max_weight)
        scale = weights.sum() / proportions.sum()
        assert 0 < scale <= 1 + 1e-12
        np.testing.assert_allclose(weights, scale * proportions, rtol=1e-9, atol=1e-15)


def test_proportional_weights_known_answer_and_all_cash_without_a_positive_forecast():
    covariance = np.diag([0.01**2, 0.02**2])[None]
    # 3:1, then volatility sqrt(252 (0.75² 1e-4 + 0.25² 4e-4)) = 0.1423 > 0.10: scaled down.
    weights = proportional_weights(np.array([[0.003, 0.001]]), covariance, 0.10)
    scale = 0.10 / np.sqrt(252 * (0.75**2 * 1e-4 + 0.25**2 * 4e-4))
    np.testing.assert_allclose(weights, [[0.75 * scale, 0.25 * scale]], rtol=1e-12)
    # Under the limit: fully invested.
    np.testing.assert_allclose(
        proportional_weights(np.array([[0.0, 1e-3]]), covariance, 0.5), [[0, 1]]
    )
    assert (proportional_weights(np.array([[-1e-3, 0.0]]), covariance, 0.10) == 0).all()


def test_a_strategy_forecasting_losses_everywhere_holds_cash(market, fitted, test_dates):
    strategy = ForecastMVO(rule="proportional", covariance="sample", **SMALL)
    strategy.fit(ra.MarketData(market.iloc[:TEST_START]))
    strategy.target_mean_ = -0.5  # every forecast becomes a loss
    weights = strategy.allocate(ra.MarketData(market), test_dates)
    assert (strategy.forecasts_["predicted"] < 0).all()
    assert (weights.to_numpy() == 0).all()


def test_proportional_strategy_keeps_forecast_volatility_under_the_limit_on_every_date(market):
    strategy = ForecastMVO(rule="proportional", volatility_limit=0.05, **SMALL)
    result = ra.backtest(market, strategy, rebalance="weekly", test_start=market.index[TEST_START])
    history = ra.MarketData(market)
    covariance = strategy.covariances(history, result.weights.index)
    weights = result.weights.to_numpy()
    volatility = np.sqrt(252 * np.einsum("di,dij,dj->d", weights, covariance, weights))
    assert (volatility <= 0.05 * (1 + 1e-12)).all()
    assert np.isclose(volatility, 0.05).mean() > 0.5  # the limit binds: 1 % daily vol each
    assert (weights.sum(axis=1) < 1).all()


def test_mean_variance_weights_two_asset_known_answer():
    """``min -mu'w + lam w'Sw`` on ``w = (x, 1-x)``: ``x = (mu1 - mu2 + 2 lam (s2² - s12))
    / (2 lam (s1² + s2² - 2 s12))`` when it lies in [0, 1]."""
    mu = np.array([[4e-4, 1e-4]])
    covariance = np.array([[[1e-4, 2e-5], [2e-5, 2e-4]]])
    lam = 2.0
    x = (3e-4 + 2 * lam * (2e-4 - 2e-5)) / (2 * lam * (1e-4 + 2e-4 - 4e-5))
    weights = mean_variance_weights(mu, covariance, lam, dates=pd.DatetimeIndex(["2020-01-01"]))
    np.testing.assert_allclose(weights, [[x, 1 - x]], atol=1e-12)


def test_mean_variance_weights_match_the_classical_strategy_on_the_same_estimates(market):
    """Sample mean and covariance of a window fed to mean_variance_weights give the
    weights of the classical ``mean_variance`` strategy on that window."""
    data = ra.MarketData(market)
    dates = market.index[[300, 500, 900]]
    for lam, cap in ((1.0, 1.0), (5.0, 0.4)):
        classical = MeanVariance(risk_aversion=lam, window=120, max_weight=cap)
        expected = classical.fit(data.until(dates[0])).allocate(data, dates).to_numpy()
        windows = data.return_windows(dates, 120)
        covariance = regularise_covariance(estimate_covariance(windows, "sample"))[0]
        mean = estimate_mean(windows, "sample")
        weights = mean_variance_weights(mean, covariance, lam, cap, dates=dates)
        np.testing.assert_allclose(weights, expected, atol=1e-6)


def test_strategy_weights_are_mean_variance_of_its_forecasts_and_trailing_covariance(
    market, fitted, test_dates
):
    history = ra.MarketData(market)
    weights = fitted.allocate(history, test_dates).to_numpy()
    forecasts = fitted.forecasts_.pivot(index="date", columns="asset", values="predicted")
    daily = (1 + forecasts.loc[test_dates, list(market.columns)].to_numpy()) ** (1 / 5) - 1
    # Independent covariance: numpy's sample covariance of the 60 returns up to each date.
    returns = market.pct_change()
    covariance = np.stack(
        [np.cov(returns.loc[:date].iloc[-60:].to_numpy(), rowvar=False) for date in test_dates]
    )
    np.testing.assert_allclose(fitted.covariances(history, test_dates), covariance, rtol=1e-9)
    expected = mean_variance_weights(daily, covariance, 1.0, dates=test_dates)
    np.testing.assert_allclose(weights, expected, atol=1e-6)


# --- causality and reproducibility -------------------------------------------------------------
def test_changing_prices_after_a_date_leaves_earlier_weights_and_forecasts_alone(
    market, fitted, test_dates
):
    cut = test_dates[len(test_dates) // 2]
    poisoned = market.copy()
    after = poisoned.index > cut
    poisoned.loc[after] *= np.random.default_rng(2).uniform(0.5, 1.5, (int(after.sum()), 4))
    clean_weights = fitted.allocate(ra.MarketData(market), test_dates)
    clean_forecasts = fitted.forecasts_
    dirty_weights = fitted.allocate(ra.MarketData(poisoned), test_dates)
    dirty_forecasts = fitted.forecasts_
    early = test_dates[test_dates <= cut]
    pd.testing.assert_frame_equal(clean_weights.loc[early], dirty_weights.loc[early])
    keep = clean_forecasts["date"] <= cut
    pd.testing.assert_frame_equal(clean_forecasts[keep], dirty_forecasts[keep])
    assert not clean_weights.equals(dirty_weights)


def test_training_uses_the_training_span_only_with_an_embargo_before_validation(market, fitted):
    dates = fitted.training_dates_
    assert market.index.get_loc(dates[-1]) + fitted.horizon == TEST_START - 1
    history = fitted.history_
    assert history.validation_samples[0] - history.train_samples[-1] > fitted.horizon
    assert np.isfinite(history.train_loss).all()


def test_same_seed_same_weights_bit_for_bit_and_another_seed_differs(market, test_dates):
    train, history = ra.MarketData(market.iloc[:TEST_START]), ra.MarketData(market)

    def weights(seed: int) -> np.ndarray:
        return ForecastMVO(seed=seed, **SMALL).fit(train).allocate(history, test_dates).to_numpy()

    first = weights(3)
    assert np.array_equal(first, weights(3))
    assert not np.array_equal(first, weights(4))


# --- the forecasts contract, saving ------------------------------------------------------------
def test_forecasts_follow_the_contract_and_the_backtest_realises_them(market):
    strategy = ForecastMVO(horizon=3, **SMALL)
    result = ra.backtest(market, strategy, rebalance="weekly", test_start=market.index[TEST_START])
    assert list(strategy.forecasts_.columns) == ["date", "asset", "target", "predicted"]
    assert set(strategy.forecasts_["target"]) == {"return"}
    assert strategy.forecast_horizon == 3
    predictions = result.predictions
    assert len(predictions) > 0
    row = predictions.iloc[7]
    after = market.index.get_loc(row["date"])
    path = market[row["asset"]].iloc[after : after + 4].to_numpy()
    assert row["realised"] == pytest.approx(path[-1] / path[0] - 1, rel=1e-12)


def test_walk_forward_refits_report_the_forecasts_of_every_model(market, test_dates):
    strategy = ForecastMVO(**{**SMALL, "retrain_every": 150}).fit(
        ra.MarketData(market.iloc[:TEST_START])
    )
    weights = strategy.allocate(ra.MarketData(market), test_dates)
    assert len(strategy.refit_dates_) == 2
    forecasts = strategy.forecasts_
    assert list(pd.DatetimeIndex(forecasts["date"].unique())) == list(test_dates)
    assert len(forecasts) == len(test_dates) * market.shape[1]
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-9)


def test_save_and_load_give_identical_weights_and_forecasts(market, tmp_path, test_dates):
    history = ra.MarketData(market)
    strategy = ForecastMVO(rule="proportional", **SMALL).fit(ra.MarketData(market.iloc[:800]))
    expected = strategy.allocate(history, test_dates)
    strategy.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert isinstance(loaded, ForecastMVO) and loaded.rule == "proportional"
    assert loaded.target_scale_ == strategy.target_scale_
    pd.testing.assert_frame_equal(loaded.allocate(history, test_dates), expected)
    pd.testing.assert_frame_equal(loaded.forecasts_, strategy.forecasts_)


# --- parameters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("rule", "kelly"),
        ("covariance", "shrunk"),
        ("covariance_window", 1),
        ("risk_aversion", 0.0),
        ("risk_aversion", -1.0),
        ("volatility_limit", 0.0),
        ("volatility_limit", float("nan")),
        ("max_weight", 0.1),  # four assets cannot sum to one
        ("horizon", 0),
        ("epochs", 0),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(market, parameter, value):
    strategy = ForecastMVO(**{**SMALL, parameter: value})
    with pytest.raises(ConfigError, match=parameter):
        strategy.fit(ra.MarketData(market.iloc[:TEST_START]))


def test_parameters_are_stored_as_given_and_listed():
    strategy = ForecastMVO(rule="PROPORTIONAL", volatility_limit=0.2, epochs=2)
    params = strategy.get_params()
    assert params["rule"] == "PROPORTIONAL" and params["volatility_limit"] == 0.2
    assert params["epochs"] == 2 and params["horizon"] == 5
    assert set(ForecastMVO.param_annotations()) == set(ForecastMVO.param_names())
    assert {"rule", "risk_aversion", "covariance_window", "lookback"} <= set(
        ForecastMVO.param_names()
    )
    assert strategy._rule is AllocationRule.PROPORTIONAL
    assert ForecastMVO(covariance_window=500).min_history == 501


def test_runs_end_to_end_on_real_data():
    strategy = ForecastMVO(epochs=1, lookback=10, hidden_size=4, n_layers=1)
    result = ra.backtest(ra.scenario("bull-2010"), strategy, rebalance="weekly")
    assert np.isfinite(result.returns.to_numpy()).all()
    np.testing.assert_allclose(result.weights.sum(axis=1), 1.0, atol=1e-9)
    assert (result.weights.to_numpy() >= -1e-12).all()
    assert len(result.predictions) > 0
