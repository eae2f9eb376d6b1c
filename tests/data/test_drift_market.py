"""The ``synthetic:drift`` market: slow AR(1) drifts under i.i.d. noise, a learnable signal.

Model (``riskalloc.data.drift_prices``): ``m[t] = mean + phi (m[t-1] - mean) +
sqrt(1 - phi^2) signal e[t]`` and ``R[t+1] = m[t] + noise z[t+1]``; ``drifts.loc[t]`` is
``m[t]``, the expected return of the day after ``t``, known at the close of ``t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.data import (
    MarketData,
    canonical_synthetic_spec,
    drift_market,
    drift_prices,
    load_dataset,
    synthetic_prices,
)
from riskalloc.data._datasets import _generate
from riskalloc.data._synthetic_spec import SYNTHETIC_ATTR
from riskalloc.evaluation import sharpe_ratio

NOISE, PHI, SIGNAL, MEAN = 0.01, 0.99, 0.001, 0.0001  # the documented defaults


@pytest.fixture(scope="module")
def long_market() -> tuple[np.ndarray, np.ndarray]:
    """Returns ``R[t+1]`` (rows 1..) and drifts ``m[t]`` of 20 assets over 20,000 days."""
    prices, drifts = drift_prices(assets=20, days=20_000, seed=11)
    values = prices.to_numpy()
    return values[1:] / values[:-1] - 1.0, drifts.to_numpy()


# --- the spec and reproducibility -------------------------------------------------------
def test_the_spec_has_documented_defaults_and_a_canonical_label():
    assert canonical_synthetic_spec("synthetic:drift: seed=3 ,signal=0.002,assets=4") == (
        "synthetic:drift:assets=4,seed=3,signal=0.002"
    )
    prices = load_dataset("synthetic:drift")
    assert prices.shape == (2520, 10)
    assert list(prices.columns[:2]) == ["SYN01", "SYN02"]
    assert prices.index.equals(pd.bdate_range("2000-01-03", periods=2520, name="date"))
    assert (prices.iloc[0] == 100.0).all()
    assert prices.attrs[SYNTHETIC_ATTR] == "synthetic:drift"
    defaults, _ = drift_prices()
    spelled = "synthetic:drift:assets=10,days=2520,seed=0,noise=0.01,persistence=0.99,"
    spelled += "signal=0.001,mean=0.0001,start=2000-01-03"
    assert defaults.to_numpy().tobytes() == prices.to_numpy().tobytes()
    assert load_dataset(spelled).to_numpy().tobytes() == prices.to_numpy().tobytes()


def test_the_same_spec_gives_the_same_prices_and_drifts_bit_for_bit():
    spec = "synthetic:drift:assets=7,days=600,seed=5,signal=0.002"
    first = synthetic_prices(spec)
    _generate.cache_clear()  # a second, independent generation
    second = load_dataset(spec)
    prices, drifts = drift_market(spec)
    again_prices, again_drifts = drift_market(spec)
    for other in (second, prices, again_prices):
        assert other.index.equals(first.index) and other.columns.equals(first.columns)
        assert other.to_numpy().tobytes() == first.to_numpy().tobytes()
    assert prices.attrs == first.attrs == {SYNTHETIC_ATTR: canonical_synthetic_spec(spec)}
    assert drifts.to_numpy().tobytes() == again_drifts.to_numpy().tobytes()
    assert drifts.index.equals(prices.index) and drifts.columns.equals(prices.columns)
    other_prices, other_drifts = drift_market(spec.replace("seed=5", "seed=6"))
    assert not np.allclose(first.to_numpy(), other_prices.to_numpy())
    assert not np.allclose(drifts.to_numpy(), other_drifts.to_numpy())


def test_more_days_extend_the_market_so_a_drift_depends_on_the_past_only():
    # The drift of date t (and the prices up to t) are the same whatever follows t.
    short_prices, short_drifts = drift_market("synthetic:drift:days=300,seed=9,assets=3")
    long_prices, long_drifts = drift_market("synthetic:drift:days=900,seed=9,assets=3")
    assert short_prices.to_numpy().tobytes() == long_prices.iloc[:300].to_numpy().tobytes()
    assert short_drifts.to_numpy().tobytes() == long_drifts.iloc[:300].to_numpy().tobytes()


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("synthetic:drift:persistence=1", "persistence must be in [0, 1)"),
        ("synthetic:drift:persistence=-0.5", "persistence must be in [0, 1)"),
        ("synthetic:drift:noise=-0.01", "noise must be >= 0"),
        ("synthetic:drift:signal=-1", "signal must be >= 0"),
        ("synthetic:drift:mean=nan", "'mean' must be finite"),
        ("synthetic:drift:noise=0.6,seed=1", "at most -100 %"),
        ("synthetic:drift:assets=0", "assets must be an integer >= 1"),
        ("synthetic:drift:block=3", "unknown parameter 'block'"),
    ],
)
def test_a_bad_drift_spec_raises_a_config_error_naming_the_culprit(spec, named):
    with pytest.raises(ConfigError, match="synthetic dataset") as raised:
        load_dataset(spec)
    assert named in str(raised.value)
    with pytest.raises(ConfigError, match="synthetic dataset") as raised:
        drift_market(spec)
    assert named in str(raised.value)


def test_only_a_drift_market_has_drifts():
    with pytest.raises(ConfigError, match=r"synthetic:regime market, which has no drifts"):
        drift_market("synthetic:regime:assets=3")


# --- the model's moments ----------------------------------------------------------------
def test_returns_scatter_around_the_previous_close_drift_with_the_noise(long_market):
    returns, drifts = long_market
    surprise = returns - drifts[:-1]  # R[t+1] - m[t]
    n = surprise.size
    # Mean of n i.i.d. N(0, noise^2): standard error noise / sqrt(n); 5 of them.
    assert abs(surprise.mean()) < 5 * NOISE / np.sqrt(n)
    # Standard error of a sample sd is about sd / sqrt(2 n); 5 of them, per asset too.
    assert abs(surprise.std(ddof=1) / NOISE - 1) < 5 / np.sqrt(2 * n)
    per_asset = surprise.std(axis=0, ddof=1)
    assert np.all(np.abs(per_asset / NOISE - 1) < 5 / np.sqrt(2 * len(surprise)))
    # The drift of t is what governs R[t+1]: regressed on it the slope is 1, with standard
    # error noise / (signal sqrt(n)).
    centred = drifts[:-1] - drifts[:-1].mean()
    slope = (centred * (returns - returns.mean())).sum() / (centred**2).sum()
    assert abs(slope - 1.0) < 5 * NOISE / (SIGNAL * np.sqrt(n))
    # and the surprise is unrelated to the drift it follows.
    assert abs(np.corrcoef(surprise.ravel(), drifts[:-1].ravel())[0, 1]) < 5 / np.sqrt(n)


def test_the_drifts_are_a_stationary_ar1_with_the_given_persistence(long_market):
    _, drifts = long_market
    days, assets = drifts.shape
    deviation = drifts - MEAN
    # Least squares of d[t] on d[t-1] around the known mean: phi, standard error
    # sqrt((1 - phi^2) / n) over n pooled pairs.
    previous, current = deviation[:-1], deviation[1:]
    phi = (previous * current).sum() / (previous**2).sum()
    pairs = previous.size
    assert abs(phi - PHI) < 5 * np.sqrt((1 - PHI**2) / pairs)
    lag1 = np.mean(
        [np.corrcoef(drifts[:-1, i], drifts[1:, i])[0, 1] for i in range(assets)]
    )  # the plain sample autocorrelation, biased down by about (1 + 3 phi) / days
    assert abs(lag1 - PHI) < 5 * np.sqrt((1 - PHI**2) / pairs) + 5 / days
    innovation = current - PHI * previous
    assert abs(innovation.std() / (np.sqrt(1 - PHI**2) * SIGNAL) - 1) < 5 / np.sqrt(2 * pairs)
    # Stationary mean and sd: an AR(1) has effectively n (1 - phi) / (1 + phi) samples.
    effective = drifts.size * (1 - PHI) / (1 + PHI)
    assert abs(drifts.mean() - MEAN) < 5 * SIGNAL / np.sqrt(effective)
    assert abs(drifts.std() / SIGNAL - 1) < 5 / np.sqrt(2 * effective)
    # It starts stationary: the first day's drifts are N(mean, signal^2) across markets.
    first = np.concatenate(
        [drift_prices(assets=500, days=2, seed=seed)[1].to_numpy()[0] for seed in range(4)]
    )
    assert abs(first.mean() - MEAN) < 5 * SIGNAL / np.sqrt(first.size)
    assert abs(first.std() / SIGNAL - 1) < 5 / np.sqrt(2 * first.size)


def test_a_trailing_mean_of_past_returns_carries_the_signal(long_market):
    returns, drifts = long_market
    window = 63
    # Trailing mean up to the close of t: R[t-62..t] = m[t-63..t-1] + noise; against m[t].
    sums = np.cumsum(np.vstack([np.zeros((1, returns.shape[1])), returns]), axis=0)
    trailing = (sums[window:] - sums[:-window]) / window  # row k: R[k+1..k+63], known at k+63
    target = drifts[window : window + len(trailing)]
    measured = np.corrcoef(trailing.ravel() - MEAN, target.ravel() - MEAN)[0, 1]
    # The model's correlation: cov = signal^2 mean_k phi^(k+1); var of the trailing mean
    # = signal^2 mean_{j,k} phi^|j-k| + noise^2 / window.
    lags = np.arange(window)
    covariance = SIGNAL**2 * np.mean(PHI ** (lags + 1))
    variance = SIGNAL**2 * np.mean(PHI ** np.abs(lags[:, None] - lags[None, :]))
    expected = covariance / np.sqrt((variance + NOISE**2 / window) * SIGNAL**2)
    assert expected == pytest.approx(0.48, abs=0.01)
    assert abs(measured - expected) < 0.05


# --- the oracle, 1/N and a momentum rule on the default market ---------------------------
class TrailingMomentum:
    """Weights proportional to the positive part of each asset's mean return over the last
    ``window`` days up to the decision date (1/N when none is positive)."""

    name = "trailing_momentum"

    def __init__(self, window: int) -> None:
        self.window = window

    def fit(self, train: MarketData) -> TrailingMomentum:
        return self

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        positions = history.dates.get_indexer(dates)
        returns = np.nan_to_num(history.returns.to_numpy())  # the first row's NaN
        sums = np.vstack([np.zeros((1, returns.shape[1])), np.cumsum(returns, axis=0)])
        trailing = (sums[positions + 1] - sums[positions + 1 - self.window]) / self.window
        positive = np.maximum(trailing, 0.0)
        totals = positive.sum(axis=1, keepdims=True)
        weights = np.where(totals > 0, positive / np.where(totals > 0, totals, 1.0), 0.0)
        weights[totals[:, 0] == 0] = 1.0 / returns.shape[1]
        return pd.DataFrame(weights, index=dates, columns=history.assets)


@pytest.fixture(scope="module")
def sharpes() -> dict[str, float]:
    """Annualised Sharpe ratios, net of the default 10 bp costs, daily rebalancing, on the
    last 30 % (756 days) of the default market of 10 assets x 2,520 days."""
    prices = load_dataset("synthetic:drift")
    strategies = {
        "oracle": ra.get_strategy("drift_oracle", dataset="synthetic:drift"),
        "equal_weight": ra.get_strategy("equal_weight"),
        "momentum_63": TrailingMomentum(63),
        "momentum_21": TrailingMomentum(21),
    }
    measured = {}
    for label, strategy in strategies.items():
        result = ra.backtest(prices, strategy, train_fraction=0.7)
        assert len(result.returns) == 756
        measured[label] = sharpe_ratio(result.returns)
    print({label: round(value, 2) for label, value in measured.items()})
    return measured


def test_the_oracle_has_a_clearly_positive_sharpe_far_above_one_over_n(sharpes):
    # Measured: oracle 2.79, 1/N 0.11 (expected mean / (noise / sqrt 10) sqrt 252 = 0.50).
    assert sharpes["oracle"] > 2.3
    assert abs(sharpes["equal_weight"]) < 0.6
    assert sharpes["oracle"] > sharpes["equal_weight"] + 2.0


def test_a_momentum_rule_on_past_prices_beats_one_over_n(sharpes):
    # Measured: 63-day 2.63, 21-day 2.23 (this market is kind to momentum: over seeds 0-3
    # the 63-day rule beats 1/N each time, the 21-day one not always).
    assert sharpes["momentum_63"] > sharpes["equal_weight"] + 1.5
    assert sharpes["momentum_21"] > sharpes["equal_weight"] + 1.0
    assert sharpes["momentum_63"] < sharpes["oracle"] + 0.3  # no better than knowing
