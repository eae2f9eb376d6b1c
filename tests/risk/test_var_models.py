"""VaR/CVaR forecasts against scipy, the evaluator's historical VaR, closed forms, and the future.

Forecasts are positive losses (riskalloc's convention): a return quantile q is the
VaR -q, a return tail mean m the CVaR -m.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskalloc import evaluation as ev
from riskalloc.risk import VaRMethod, forecast_var

WINDOW = 60


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    """Skewed, fat-tailed daily returns (a Student t plus a skewing square)."""
    rng = np.random.default_rng(7)
    draws = rng.standard_t(5, 400)
    values = 0.0003 + 0.01 * (draws - 0.15 * (draws**2 - 5 / 3))
    return pd.Series(values, index=pd.bdate_range("2015-01-01", periods=400), name="fund")


def _windows(series: pd.Series):
    for end in range(WINDOW - 1, len(series)):
        yield end, series.to_numpy()[end - WINDOW + 1 : end + 1]


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_gaussian_matches_scipy_norm(returns, confidence):
    forecast = forecast_var(returns, confidence, VaRMethod.GAUSSIAN, WINDOW)
    alpha = 1 - confidence
    for end, window in list(_windows(returns))[::37]:
        distribution = stats.norm(window.mean(), window.std(ddof=1))
        quantile = distribution.ppf(alpha)
        # Expected shortfall: the mean of the distribution below its alpha quantile.
        tail_mean = distribution.expect(lambda x: x, ub=quantile, conditional=True)
        # As losses: VaR = -(mu + sigma z_alpha), CVaR = -(mean below that quantile).
        assert forecast["var"].iloc[end] == pytest.approx(-quantile, rel=1e-10)
        assert forecast["cvar"].iloc[end] == pytest.approx(-tail_mean, rel=1e-7)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_historical_is_the_evaluators_var_on_each_window(returns, confidence):
    forecast = forecast_var(returns, confidence, VaRMethod.HISTORICAL, WINDOW)
    assert forecast.iloc[: WINDOW - 1].isna().all().all()
    for end, window in _windows(returns):
        # Independently: the smallest z with P(loss <= z) >= confidence, no interpolation.
        assert forecast["var"].iloc[end] == np.quantile(-window, confidence, method="inverted_cdf")
        # Exactly the evaluator's historical VaR and CVaR of the window.
        assert forecast["var"].iloc[end] == ev.value_at_risk(window, confidence)
        assert forecast["cvar"].iloc[end] == ev.conditional_value_at_risk(window, confidence)


def test_cornish_fisher_without_skew_or_excess_kurtosis_is_gaussian():
    # Each window of this period-6 series holds a, -a and four zeros in equal
    # numbers (plus a drift): skew 0 and kurtosis m4/m2² = (2/6)/(2/6)² = 3 exactly.
    pattern = np.array([-0.02, 0.0, 0.0, 0.02, 0.0, 0.0])
    series = pd.Series(np.tile(pattern, 40) + 0.0005)
    assert stats.skew(series.iloc[:WINDOW]) == pytest.approx(0.0, abs=1e-12)
    assert stats.kurtosis(series.iloc[:WINDOW]) == pytest.approx(0.0, abs=1e-12)
    gaussian = forecast_var(series, 0.99, VaRMethod.GAUSSIAN, WINDOW)
    cornish_fisher = forecast_var(series, 0.99, VaRMethod.CORNISH_FISHER, WINDOW)
    pd.testing.assert_frame_equal(cornish_fisher, gaussian, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_cornish_fisher_matches_the_closed_form_tail_mean(returns, confidence):
    # Independent of the quadrature: with the partial moments of the normal,
    # int_{-inf}^z u phi = -phi(z), int (u²-1) phi = -z phi(z),
    # int (u³-3u) phi = (1-z²) phi(z), int (2u³-5u) phi = (1-2z²) phi(z).
    forecast = forecast_var(returns, confidence, VaRMethod.CORNISH_FISHER, WINDOW)
    alpha = 1 - confidence
    z = stats.norm.ppf(alpha)
    phi = stats.norm.pdf(z)
    for end, window in list(_windows(returns))[::23]:
        mu, sigma = window.mean(), window.std(ddof=1)
        s, k = stats.skew(window), stats.kurtosis(window)
        quantile = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
        tail = -phi - z * phi * s / 6 + (1 - z**2) * phi * k / 24 - (1 - 2 * z**2) * phi * s**2 / 36
        assert forecast["var"].iloc[end] == pytest.approx(-(mu + sigma * quantile), rel=1e-10)
        assert forecast["cvar"].iloc[end] == pytest.approx(-(mu + sigma * tail / alpha), rel=1e-9)


@pytest.mark.parametrize("method", list(VaRMethod))
def test_cvar_is_beyond_var_and_both_are_losses(returns, method):
    forecast = forecast_var(returns, 0.99, method, WINDOW).dropna()
    assert len(forecast) == len(returns) - WINDOW + 1
    # As positive losses: the CVaR, a mean loss beyond the VaR, is at least the VaR.
    assert (forecast["cvar"] >= forecast["var"] - 1e-15).all()
    assert (forecast["var"] > 0).all()


@pytest.mark.parametrize("method", list(VaRMethod))
def test_poisoning_the_future_leaves_past_forecasts_unchanged(returns, method):
    cut = returns.index[200]
    poisoned = returns.copy()
    poisoned.loc[poisoned.index > cut] = -0.5
    clean = forecast_var(returns, 0.95, method, WINDOW)
    dirty = forecast_var(poisoned, 0.95, method, WINDOW)
    pd.testing.assert_frame_equal(clean.loc[:cut], dirty.loc[:cut], check_exact=True)
    assert not clean.loc[cut:].iloc[1:].equals(dirty.loc[cut:].iloc[1:])


def test_methods_accept_their_names_and_keep_the_index(returns):
    forecast = forecast_var(returns, 0.95, "cornish_fisher", WINDOW)
    assert list(forecast.columns) == ["var", "cvar"]
    assert forecast.index.equals(returns.index)


def test_constant_window_forecasts_its_value():
    # A window of ten 0.1 % gains forecasts the loss -0.001 (a sure gain) for both.
    series = pd.Series(np.r_[np.full(10, 0.001), 0.01])
    for method in VaRMethod:
        forecast = forecast_var(series, 0.95, method, window=10)
        assert forecast.iloc[9].tolist() == pytest.approx([-0.001, -0.001], abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"window": 1}, "window"),
        ({"window": 500}, "fewer than one window"),
        ({"method": "monte_carlo"}, "monte_carlo"),
    ],
)
def test_bad_arguments_are_named(returns, kwargs, message):
    with pytest.raises(ValueError, match=message):
        forecast_var(returns, **kwargs)


def test_missing_returns_are_refused_with_their_date(returns):
    holed = returns.copy()
    holed.iloc[5] = np.nan
    with pytest.raises(ValueError, match=str(returns.index[5].date())):
        forecast_var(holed, window=WINDOW)
