"""The deep quantile VaR model: its losses, coverage, adaptation, causality and seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from riskalloc.core import ConfigError, DataError
from riskalloc.data import load_dataset
from riskalloc.risk import (
    christoffersen_test,
    forecast_quantile_var,
    forecast_var,
    fz0_loss,
    kupiec_test,
    pinball_loss,
    quantile_var_backtest,
    quantile_var_features,
)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _series(values: np.ndarray, start: str = "2010-01-01") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), name="fund")


def _violations(returns: pd.Series, forecast: pd.DataFrame) -> pd.Series:
    """True on day t+1 when its loss -r exceeds the VaR forecast (a positive loss) made at
    the close of t."""
    return (-returns > forecast["var"].shift(1)).where(forecast["var"].shift(1).notna())


@pytest.fixture(scope="module")
def student_t() -> pd.Series:
    """I.i.d. Student-t(5) returns scaled to a daily volatility of 1 %."""
    rng = np.random.default_rng(11)
    return _series(0.01 * rng.standard_t(5, 1500) / np.sqrt(5 / 3))


@pytest.fixture(scope="module")
def student_t_forecast(student_t) -> pd.DataFrame:
    return forecast_quantile_var(student_t, 0.95, window=500, refit_every=250)


# --- losses: known answers ------------------------------------------------------------------
def test_pinball_loss_known_answers():
    # Below the quantile a unit costs 1 - alpha, above it alpha: (0.01 * 0.95 + 0.03 * 0.05) / 2.
    assert pinball_loss(np.array([-0.03, 0.01]), -0.02, 0.05) == pytest.approx(0.0055, abs=1e-15)
    assert pinball_loss(np.array([1.0, 2.0, 3.0]), 2.0, 0.5) == pytest.approx(1 / 3)
    assert pinball_loss(np.array([0.0]), 0.0, 0.3) == 0.0
    # The torch version (used in training) is the same function.
    y, q = np.array([-0.05, -0.01, 0.02, 0.04]), np.array([-0.02, -0.02, -0.01, 0.0])
    as_tensor = pinball_loss(torch.tensor(y), torch.tensor(q), 0.1)
    assert float(as_tensor) == pytest.approx(pinball_loss(y, q, 0.1), rel=1e-14)


def test_pinball_loss_is_minimised_by_the_sample_quantile():
    # The slope of the mean loss between order statistics k and k+1 is k/n - alpha: with
    # n = 1000 and alpha = 0.05 it is flat between the 50th and 51st smallest values.
    sample = np.sort(np.random.default_rng(0).standard_normal(1000))
    losses = np.array([pinball_loss(sample, q, 0.05) for q in sample])
    assert set(np.flatnonzero(np.isclose(losses, losses.min(), rtol=0, atol=1e-15))) == {49, 50}


def test_fz0_known_answer_and_consistency():
    y, v, e = torch.tensor([-0.03]), torch.tensor([-0.02]), torch.tensor([-0.025])
    # -(v - y) / (alpha e) + v / e + ln(-e) - 1 = 8 + 0.8 + ln 0.025 - 1
    assert float(fz0_loss(y, v, e, 0.05)) == pytest.approx(7.8 + np.log(0.025), rel=1e-6)
    # The true Gaussian (VaR, ES) scores better than any nearby pair on a large sample.
    draws = torch.tensor(0.01 * np.random.default_rng(1).standard_normal(200_000))
    z = stats.norm.ppf(0.05)
    var, es = 0.01 * z, -0.01 * stats.norm.pdf(z) / 0.05
    best = float(fz0_loss(draws, torch.tensor(var), torch.tensor(es), 0.05))
    for dv, de in [(0.1, 0), (-0.1, 0), (0, 0.1), (0, -0.08), (0.1, 0.1), (-0.1, -0.1)]:
        other = fz0_loss(draws, torch.tensor(var * (1 + dv)), torch.tensor(es * (1 + de)), 0.05)
        assert float(other) > best


# --- forecasts --------------------------------------------------------------------------------
def test_coverage_on_iid_student_t_is_nominal(student_t, student_t_forecast):
    hits = _violations(student_t, student_t_forecast).dropna().astype(bool)
    assert len(hits) == 1000
    low, high = stats.binom.ppf([0.005, 0.995], 1000, 0.05)
    assert low <= hits.sum() <= high
    # The tail mean is forecast too: the realised mean loss beyond VaR is near the forecast CVaR.
    following_loss = -student_t.shift(-1)
    beyond = following_loss > student_t_forecast["var"]
    ratio = following_loss[beyond].mean() / student_t_forecast["cvar"][beyond].mean()
    assert 0.75 < ratio < 1.4


def test_shape_warm_up_and_cvar_beyond_var(student_t, student_t_forecast):
    assert list(student_t_forecast.columns) == ["var", "cvar"]
    assert student_t_forecast.index.equals(student_t.index)
    assert student_t_forecast.iloc[:499].isna().all().all()
    issued = student_t_forecast.iloc[499:]
    assert issued.notna().all().all()
    # Positive losses, the CVaR (mean loss beyond the VaR) at least the VaR.
    assert (issued["var"] > 0).all()
    assert (issued["cvar"] >= issued["var"]).all()


def test_coverage_and_independence_under_garch():
    rng = np.random.default_rng(3)
    values, variance = np.empty(1500), 1e-4
    for day in range(1500):
        values[day] = np.sqrt(variance) * rng.standard_t(6) / np.sqrt(1.5)
        variance = 2e-6 + 0.08 * values[day] ** 2 + 0.9 * variance
    returns = _series(values)
    hits = _violations(returns, forecast_quantile_var(returns, 0.95, 500, refit_every=250))
    hits = hits.dropna().astype(bool)
    low, high = stats.binom.ppf([0.005, 0.995], len(hits), 0.05)
    assert low <= hits.sum() <= high
    assert christoffersen_test(hits).p_value > 0.01


def test_adapts_to_a_planted_volatility_regime_faster_than_a_long_window():
    rng = np.random.default_rng(5)
    returns = _series(np.r_[0.006 * rng.standard_normal(750), 0.024 * rng.standard_normal(250)])
    deep = _violations(returns, forecast_quantile_var(returns, 0.95, 500, refit_every=125))
    historical = _violations(returns, forecast_var(returns, 0.95, "historical", 500))
    storm = returns.index[751:]
    assert historical[storm].mean() > 0.15  # a 500-day window barely notices the new regime
    assert deep[storm].mean() < 0.10


def test_real_data_covid_crash_is_met_by_the_deep_model():
    """Equal-weight portfolio of the bundled S&P 500 stocks, 2017-2020."""
    prices = load_dataset("sp500")
    returns = prices.pct_change().dropna().mean(axis=1).loc["2017":"2020"]
    deep = _violations(returns, forecast_quantile_var(returns, 0.95, 500, refit_every=250))
    historical = _violations(returns, forecast_var(returns, 0.95, "historical", 500))
    crash = slice("2020-02-20", "2020-04-30")
    assert deep.loc[crash].sum() < historical.loc[crash].sum() / 2
    assert kupiec_test(deep.dropna().astype(bool), 0.95).p_value > 0.05


def test_poisoning_the_future_leaves_earlier_forecasts_unchanged(student_t):
    returns = student_t.iloc[:900]
    # Refits at rows 499, 599, 699, 799: the one at the cut may use its own day, not the next.
    cut = returns.index[699]
    poisoned = returns.copy()
    poisoned.loc[poisoned.index > cut] = -0.5
    clean = forecast_quantile_var(returns, 0.95, 500, refit_every=100, epochs=30)
    dirty = forecast_quantile_var(poisoned, 0.95, 500, refit_every=100, epochs=30)
    pd.testing.assert_frame_equal(clean.loc[:cut], dirty.loc[:cut], check_exact=True)
    assert not np.allclose(clean.loc[cut:].iloc[1:], dirty.loc[cut:].iloc[1:])


def test_features_use_only_the_past(student_t):
    cut = student_t.index[300]
    poisoned = student_t.copy()
    poisoned.loc[poisoned.index > cut] = 0.3
    pd.testing.assert_frame_equal(
        quantile_var_features(student_t).loc[:cut],
        quantile_var_features(poisoned).loc[:cut],
        check_exact=True,
    )


def test_same_seed_same_forecasts_and_the_callers_random_state_is_kept(student_t):
    returns = student_t.iloc[:700]
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    first = forecast_quantile_var(returns, 0.95, 500, refit_every=100, epochs=20, seed=4)
    assert torch.equal(torch.rand(1), before)
    again = forecast_quantile_var(returns, 0.95, 500, refit_every=100, epochs=20, seed=4)
    other = forecast_quantile_var(returns, 0.95, 500, refit_every=100, epochs=20, seed=5)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert not first.iloc[499:].equals(other.iloc[499:])


def test_backtest_row_counts_the_forecasts_by_hand(student_t, student_t_forecast):
    table = quantile_var_backtest(student_t, 0.95, 500, refit_every=250)
    hits = _violations(student_t, student_t_forecast).dropna().astype(bool)
    row = table.loc["deep_quantile"]
    assert row["n_observations"] == 1000
    assert row["violations"] == hits.sum()
    assert row["kupiec_lr"] == pytest.approx(kupiec_test(hits, 0.95).statistic, rel=1e-12)
    assert row["christoffersen_lr"] == pytest.approx(christoffersen_test(hits).statistic)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"window": 20}, "window"),
        ({"window": 5000}, "fewer than one window"),
        ({"refit_every": 0}, "refit_every"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_bad_arguments_are_named(student_t, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        forecast_quantile_var(student_t, **kwargs)


def test_missing_returns_are_refused_with_their_date(student_t):
    holed = student_t.copy()
    holed.iloc[7] = np.nan
    with pytest.raises(DataError, match=str(student_t.index[7].date())):
        forecast_quantile_var(holed)
