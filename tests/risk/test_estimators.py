"""Covariance and mean estimators: each window against an independent implementation,
and the regularisation of singular matrices."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.covariance

import riskalloc as ra
from riskalloc.risk import (
    estimate_covariance,
    estimate_mean,
    ewma_weights,
    regularise_covariance,
)

BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]


@pytest.fixture(scope="module")
def prices():
    return ra.load_dataset("sp500")


@pytest.fixture(scope="module")
def market(prices):
    return ra.MarketData(prices, name="sp500")


def _windows(market, window, positions, assets=None):
    data = market if assets is None else market.select(assets)
    return data.return_windows(data.dates[positions], window)


# Decision dates from 1991 on: RRC's price is constant for the first 68 days of the data.
POSITIONS = [400, 1234, 2500, 4321, 6000, 7000, 8312]


@pytest.mark.parametrize("window", [2, 10, 50, 252])
def test_sample_covariance_is_numpy_cov_of_each_window(market, window):
    windows = _windows(market, window, POSITIONS)
    covariance = estimate_covariance(windows, "sample")
    assert covariance.shape == (len(POSITIONS), 20, 20)
    for k, returns in enumerate(windows):
        expected = np.cov(returns, rowvar=False, ddof=1)
        np.testing.assert_allclose(
            covariance[k], expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max()
        )


def test_sample_covariance_gives_the_sample_variance_of_a_portfolio(market):
    # w'Sw is exactly the (ddof=1) variance of the portfolio's window returns.
    windows = _windows(market, 50, POSITIONS, BULL_ASSETS)
    covariance = estimate_covariance(windows)
    weights = np.random.default_rng(0).dirichlet(np.ones(8), size=len(windows))
    for k in range(len(windows)):
        expected = np.var(windows[k] @ weights[k], ddof=1)
        assert weights[k] @ covariance[k] @ weights[k] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("window", [10, 50, 252])
@pytest.mark.parametrize("assets", [BULL_ASSETS, None], ids=["8-assets", "20-assets"])
def test_ledoit_wolf_is_sklearn_per_window(market, window, assets):
    windows = _windows(market, window, POSITIONS, assets)
    covariance = estimate_covariance(windows, "ledoit_wolf")
    for k, returns in enumerate(windows):
        expected, _ = sklearn.covariance.ledoit_wolf(returns)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(covariance[k] / scale, expected / scale, rtol=0, atol=1e-12)


def test_ledoit_wolf_shrinks_towards_the_average_variance(market):
    windows = _windows(market, 10, POSITIONS)  # 10 days, 20 assets: heavy shrinkage
    shrunk = estimate_covariance(windows, "ledoit_wolf")
    biased = estimate_covariance(windows, "sample") * 9 / 10
    average = np.trace(biased, axis1=1, axis2=2) / 20
    # Shrinkage keeps the trace and makes the matrix positive definite.
    np.testing.assert_allclose(np.trace(shrunk, axis1=1, axis2=2) / 20, average, rtol=1e-12)
    assert (np.linalg.eigvalsh(shrunk)[:, 0] > 0).all()
    assert (np.linalg.eigvalsh(biased)[:, 0] < 1e-12 * average).all()


def _ewma_loop(returns: np.ndarray, half_life: float) -> tuple[np.ndarray, np.ndarray]:
    """EWMA mean and unbiased covariance written out one observation at a time."""
    n_obs, n_assets = returns.shape
    raw = [0.5 ** ((n_obs - 1 - t) / half_life) for t in range(n_obs)]  # the last day has age 0
    total = sum(raw)
    weights = [value / total for value in raw]
    mean = np.zeros(n_assets)
    for t in range(n_obs):
        mean += weights[t] * returns[t]
    covariance = np.zeros((n_assets, n_assets))
    for t in range(n_obs):
        deviation = returns[t] - mean
        covariance += weights[t] * np.outer(deviation, deviation)
    return mean, covariance / (1.0 - sum(w * w for w in weights))


@pytest.mark.parametrize("half_life", [5.0, 20.0, 63.0])
def test_ewma_mean_and_covariance_match_a_loop(market, half_life):
    windows = _windows(market, 50, POSITIONS, BULL_ASSETS)
    mean = estimate_mean(windows, "ewma", half_life)
    covariance = estimate_covariance(windows, "ewma", half_life)
    for k, returns in enumerate(windows):
        expected_mean, expected_covariance = _ewma_loop(returns, half_life)
        np.testing.assert_allclose(mean[k], expected_mean, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            covariance[k],
            expected_covariance,
            rtol=1e-11,
            atol=1e-12 * np.abs(expected_covariance).max(),
        )


def test_ewma_with_a_long_half_life_tends_to_the_sample_estimates(market):
    windows = _windows(market, 50, POSITIONS, BULL_ASSETS)
    np.testing.assert_allclose(
        estimate_mean(windows, "ewma", 1e12), estimate_mean(windows), rtol=1e-9
    )
    sample = estimate_covariance(windows)
    np.testing.assert_allclose(
        estimate_covariance(windows, "ewma", 1e12), sample, rtol=0, atol=1e-9 * np.abs(sample).max()
    )


def test_ewma_weights_halve_every_half_life_and_sum_to_one():
    weights = ewma_weights(60, 20.0)
    assert weights.sum() == pytest.approx(1.0, abs=1e-15)
    assert weights[-1] == weights.max()  # the decision date weighs most
    assert weights[-21] / weights[-1] == pytest.approx(0.5, rel=1e-13)
    assert weights[-41] / weights[-1] == pytest.approx(0.25, rel=1e-13)


def test_ewma_weights_refuse_a_non_positive_half_life():
    with pytest.raises(ra.ConfigError, match="half_life"):
        ewma_weights(10, 0.0)


def test_sample_mean_is_the_window_average(market):
    windows = _windows(market, 50, POSITIONS)
    mean = estimate_mean(windows)
    for k, returns in enumerate(windows):
        np.testing.assert_allclose(mean[k], returns.sum(axis=0) / 50, rtol=1e-13, atol=1e-17)


def test_unknown_estimators_are_refused(market):
    windows = _windows(market, 10, POSITIONS[:1], BULL_ASSETS)
    with pytest.raises(ValueError, match="median"):
        estimate_mean(windows, "median")
    with pytest.raises(ValueError, match="shrunk"):
        estimate_covariance(windows, "shrunk")


# --- regularisation -------------------------------------------------------------------------


def _is_positive_definite(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return bool(np.linalg.eigvalsh(matrix)[0] > 0)


def test_more_assets_than_days_is_regularised_to_positive_definite(market):
    windows = _windows(market, 10, POSITIONS)  # 10 returns, 20 assets: rank <= 9
    singular = estimate_covariance(windows)
    assert (np.linalg.matrix_rank(singular) <= 9).all()
    regularised, flags = regularise_covariance(singular)
    assert flags.tolist() == [True] * len(POSITIONS)
    for k in range(len(POSITIONS)):
        assert _is_positive_definite(regularised[k])
        # A ridge on the diagonal only, and a negligible one relative to the variances.
        off_diagonal = ~np.eye(20, dtype=bool)
        np.testing.assert_array_equal(regularised[k][off_diagonal], singular[k][off_diagonal])
        ridge = np.diag(regularised[k] - singular[k])
        average_variance = np.trace(singular[k]) / 20
        assert np.ptp(ridge) <= 1e-15 * average_variance  # the same delta for every asset
        assert 0 < ridge.min() and ridge.max() <= 1e-8 * average_variance


def test_constant_price_asset_is_regularised(prices):
    # The bundled data hold one: RRC's price does not move for its first 68 days.
    market = ra.MarketData(prices[[*BULL_ASSETS, "RRC"]])
    positions = np.arange(50, 120)
    windows = market.return_windows(market.dates[positions], 50)
    constant = (windows[:, :, -1] == 0).all(axis=1)
    assert 5 < constant.sum() < len(positions)  # both kinds of dates
    covariance = estimate_covariance(windows)
    assert (covariance[constant, -1, -1] == 0).all()
    regularised, flags = regularise_covariance(covariance)
    np.testing.assert_array_equal(flags, constant)
    for k in np.flatnonzero(constant):
        assert _is_positive_definite(regularised[k])
        assert regularised[k, -1, -1] > 0
    for k in np.flatnonzero(~constant):
        np.testing.assert_array_equal(regularised[k], covariance[k])


def test_synthetic_constant_price_in_the_middle_of_the_history(prices):
    frozen = prices[BULL_ASSETS].copy()
    span = frozen.index[(frozen.index >= "2012-03-01") & (frozen.index <= "2012-06-29")]
    frozen.loc[span, "MSFT"] = frozen.loc[span[0], "MSFT"]
    market = ra.MarketData(frozen)
    dates = market.dates[(market.dates >= "2012-03-01") & (market.dates <= "2012-09-28")]
    windows = market.return_windows(dates, 20)
    flat = (windows[:, :, BULL_ASSETS.index("MSFT")] == 0).all(axis=1)
    assert 10 < flat.sum() < len(dates)
    regularised, flags = regularise_covariance(estimate_covariance(windows))
    np.testing.assert_array_equal(flags, flat)
    assert all(_is_positive_definite(matrix) for matrix in regularised)


@pytest.mark.parametrize("method", ["sample", "ledoit_wolf", "ewma"])
def test_estimated_covariances_are_exactly_symmetric(market, method):
    covariance = estimate_covariance(_windows(market, 50, POSITIONS), method)
    np.testing.assert_array_equal(covariance, np.swapaxes(covariance, -1, -2))


def test_well_conditioned_matrices_are_untouched_bit_for_bit(market):
    for window, assets in [(50, BULL_ASSETS), (252, None), (50, None)]:
        for method in ("sample", "ledoit_wolf", "ewma"):
            covariance = estimate_covariance(_windows(market, window, POSITIONS, assets), method)
            regularised, flags = regularise_covariance(covariance)
            assert not flags.any()
            np.testing.assert_array_equal(regularised, covariance)


def test_a_mixed_batch_flags_exactly_the_singular_matrices(market):
    healthy = estimate_covariance(_windows(market, 50, POSITIONS))
    singular = estimate_covariance(_windows(market, 10, POSITIONS))
    batch = np.concatenate([healthy[:3], singular[:2], healthy[3:], singular[2:3]])
    expected = np.array([False] * 3 + [True] * 2 + [False] * (len(POSITIONS) - 3) + [True])
    regularised, flags = regularise_covariance(batch)
    np.testing.assert_array_equal(flags, expected)
    np.testing.assert_array_equal(regularised[~expected], batch[~expected])
    assert all(_is_positive_definite(matrix) for matrix in regularised[expected])
