"""Synthetic markets: regime-switching Gaussian paths, block bootstraps of real returns, specs."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskalloc.cli import app
from riskalloc.core import ConfigError
from riskalloc.data import (
    DEFAULT_REGIMES,
    MarketData,
    Regime,
    bootstrap_prices,
    canonical_synthetic_spec,
    load_dataset,
    regime_path,
    regime_switching_prices,
    synthetic_prices,
)
from riskalloc.data._datasets import _generate
from riskalloc.runner import DataSource, SourceKind

THREE_REGIMES = (
    Regime("bull", mean=0.40, volatility=0.10, correlation=0.2, persistence=0.98),
    Regime("bear", mean=-0.80, volatility=0.50, correlation=0.8, persistence=0.90),
    Regime("flat", mean=0.00, volatility=0.25, correlation=0.5, persistence=0.95),
)


def transition_matrix(regimes) -> np.ndarray:
    """The documented chain, written out independently: stay, else move to the others evenly."""
    count = len(regimes)
    matrix = np.empty((count, count))
    for i, regime in enumerate(regimes):
        matrix[i] = (1 - regime.persistence) / (count - 1)
        matrix[i, i] = regime.persistence
    return matrix


# --- regime-switching Gaussian ----------------------------------------------------------
def test_sample_moments_in_each_regime_match_its_parameters():
    days, assets = 30_000, 12
    prices = regime_switching_prices(assets, days, THREE_REGIMES, seed=7)
    path = regime_path(days, THREE_REGIMES, seed=7)
    assert path.index.equals(prices.index)
    log_returns = np.diff(np.log(prices.to_numpy()), axis=0)
    in_regime = path.to_numpy()[1:]  # the return of date t is drawn in the regime of t
    for regime in THREE_REGIMES:
        sample = log_returns[in_regime == regime.name]
        n = len(sample)
        assert n > 2_000, regime.name
        daily_mean = regime.mean / 252
        daily_vol = regime.volatility / np.sqrt(252)
        rho = regime.correlation
        # The cross-asset average has variance vol^2 (rho + (1 - rho) / assets) a day.
        mean_error = daily_vol * np.sqrt((rho + (1 - rho) / assets) / n)
        assert abs(sample.mean() - daily_mean) < 5 * mean_error, regime.name
        # Standard error of a sample sd is about sd / sqrt(2 n); 5 of them, per asset.
        volatility = sample.std(axis=0, ddof=1)
        assert np.all(np.abs(volatility / daily_vol - 1) < 5 / np.sqrt(2 * n)), regime.name
        correlation = np.corrcoef(sample, rowvar=False)[np.triu_indices(assets, 1)]
        assert abs(correlation.mean() - rho) < 5 * (1 - rho**2) / np.sqrt(n), regime.name


def test_regime_persistence_matches_the_transition_matrix():
    states = regime_path(100_000, THREE_REGIMES, seed=3).to_numpy()
    names = [regime.name for regime in THREE_REGIMES]
    expected = transition_matrix(THREE_REGIMES)
    for i, origin in enumerate(names):
        leaving = states[:-1] == origin
        n = leaving.sum()
        for j, target in enumerate(names):
            observed = np.mean(states[1:][leaving] == target)
            p = expected[i, j]
            assert abs(observed - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-12, (origin, target)


def test_default_chain_spends_its_stationary_share_in_stress():
    calm, stressed = DEFAULT_REGIMES
    path = regime_path(200_000, seed=11)
    # Two states: pi_stressed = (1 - p_calm) / ((1 - p_calm) + (1 - p_stressed)).
    share = (1 - calm.persistence) / ((1 - calm.persistence) + (1 - stressed.persistence))
    assert abs((path == "stressed").mean() - share) < 0.02
    assert set(path.unique()) == {"calm", "stressed"}


def test_regime_prices_are_business_days_from_100_with_synthetic_names():
    prices = regime_switching_prices(assets=3, days=10, seed=0, start="2021-12-30")
    assert list(prices.columns) == ["SYN01", "SYN02", "SYN03"]
    assert prices.index.equals(pd.bdate_range("2021-12-30", periods=10))
    assert (prices.iloc[0] == 100.0).all() and (prices.to_numpy() > 0).all()
    MarketData(prices, name="synthetic")  # the market type takes them as they are


def test_two_thousand_assets_by_ten_years_generate_quickly_and_fit_in_memory():
    began = time.perf_counter()
    prices = regime_switching_prices(assets=2_000, days=2_520, seed=0)
    elapsed = time.perf_counter() - began
    assert prices.shape == (2_520, 2_000)
    assert prices.columns[0] == "SYN0001" and prices.columns[-1] == "SYN2000"
    assert prices.to_numpy().nbytes == 2_520 * 2_000 * 8  # 40 MB, one copy
    assert np.isfinite(prices.to_numpy()).all()
    assert elapsed < 15, f"{elapsed:.1f} s (about 0.5 s on an idle core)"


# --- block bootstrap of real returns ----------------------------------------------------
def source_rows_of(output: pd.DataFrame, source: pd.DataFrame) -> np.ndarray:
    """For each daily return of ``output``, the position of the identical row of ``source``'s
    returns; fails if some day's return vector is not a row of the source."""
    source_returns = (source / source.shift(1) - 1).iloc[1:].to_numpy()
    returns = output.to_numpy()[1:] / output.to_numpy()[:-1] - 1
    direction = np.random.default_rng(0).standard_normal(source_returns.shape[1])
    keys = source_returns @ direction
    order = np.argsort(keys)
    place = np.searchsorted(keys[order], returns @ direction)
    candidates = order[np.clip(place[:, None] + np.array([-1, 0, 1]), 0, len(keys) - 1)]
    distance = np.abs(source_returns[candidates] - returns[:, None, :]).max(axis=2)
    best = distance.argmin(axis=1)
    assert distance[np.arange(len(returns)), best].max() < 1e-10
    return candidates[np.arange(len(returns)), best]


def test_bootstrap_days_are_whole_rows_of_the_source_in_blocks_of_the_mean_length():
    source = load_dataset("sp500")
    prices = bootstrap_prices("sp500", days=6_001, block=20, seed=1)
    assert list(prices.columns) == list(source.columns)
    assert (prices.iloc[0] == 100.0).all()
    rows = source_rows_of(prices, source)
    continues = rows[1:] == (rows[:-1] + 1) % (len(source) - 1)
    blocks = 1 + np.count_nonzero(~continues)
    # ~300 geometric blocks of mean 20 (sd ~19.5): the mean's standard error is ~1.1 days.
    assert abs(len(rows) / blocks - 20) < 5
    assert len(np.unique(rows)) > 2_000  # resampled from all over the history


def test_bootstrap_of_a_window_and_a_subset_resamples_only_those_returns():
    source = load_dataset("sp500")[["JPM", "BAC"]]
    prices = bootstrap_prices(
        "sp500", days=400, block=5, seed=2, assets=["JPM", "BAC"], source_start="2008-01-01",
        source_end="2008-12-31",
    )  # fmt: skip
    assert list(prices.columns) == ["JPM", "BAC"]
    rows = source_rows_of(prices, source)
    dates = source.index[1:][rows]  # the date of each resampled return
    assert dates.min() >= pd.Timestamp("2008-01-01") and dates.max() <= pd.Timestamp("2008-12-31")


def test_bootstrap_of_prices_given_as_a_frame_is_the_bootstrap_of_the_named_dataset():
    by_name = bootstrap_prices("factors", days=300, block=5, seed=4, assets=["QUAL", "VLUE"])
    by_frame = bootstrap_prices(
        load_dataset("factors"), days=300, block=5, seed=4, assets=["QUAL", "VLUE"]
    )
    assert by_name.to_numpy().tobytes() == by_frame.to_numpy().tobytes()
    with pytest.raises(ConfigError, match="source: unknown dataset 'nasdaq'"):
        bootstrap_prices("nasdaq")
    with pytest.raises(ConfigError, match="unknown asset 'XYZ' of factors"):
        bootstrap_prices("factors", assets=["XYZ"])


# --- reproducibility: the same spec, the same prices ------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        "synthetic:regime:assets=30,days=500,seed=5",
        "synthetic:bootstrap:source=factors,days=500,block=10,seed=5",
    ],
)
def test_the_same_spec_gives_the_same_prices_bit_for_bit(spec):
    first = synthetic_prices(spec)
    _generate.cache_clear()  # a second, independent generation
    second = load_dataset(spec)
    assert first.index.equals(second.index) and first.columns.equals(second.columns)
    assert first.to_numpy().tobytes() == second.to_numpy().tobytes()
    other = synthetic_prices(spec.replace("seed=5", "seed=6"))
    assert not np.allclose(first.to_numpy(), other.to_numpy())


@pytest.mark.parametrize("generator", ["regime", "bootstrap"])
def test_more_days_extend_the_same_history_without_changing_the_past(generator):
    short = synthetic_prices(f"synthetic:{generator}:days=300,seed=9")
    long = synthetic_prices(f"synthetic:{generator}:days=900,seed=9")
    assert short.to_numpy().tobytes() == long.iloc[:300].to_numpy().tobytes()


def test_the_label_is_the_spec_with_parameters_in_a_fixed_order():
    assert (
        canonical_synthetic_spec("synthetic:regime: seed=3 , days=400,assets=4")
        == "synthetic:regime:assets=4,days=400,seed=3"
    )
    source = DataSource(SourceKind.DATASET, "synthetic:regime:seed=3,days=400,assets=4")
    loaded = source.load()
    assert loaded.label == source.label == "synthetic:regime:assets=4,days=400,seed=3"
    assert loaded.data_hash == MarketData(regime_switching_prices(4, 400, seed=3)).fingerprint()


# --- bad specs --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("synthetic:garch:assets=3", "unknown generator 'garch'"),
        ("synthetic:regime:asets=3", "unknown parameter 'asets'"),
        ("synthetic:bootstrap:assets=3", "unknown parameter 'assets'"),
        ("synthetic:regime:days=ten", "'days' must be an integer"),
        ("synthetic:regime:days", "'days' is not key=value"),
        ("synthetic:regime:seed=1,seed=2", "'seed' given twice"),
        ("synthetic:regime:days=1", "days must be an integer >= 2"),
        ("synthetic:regime:stressed_persistence=1", "regime 'stressed': persistence"),
        ("synthetic:regime:calm_correlation=-0.2", "regime 'calm': correlation"),
        ("synthetic:regime:calm_volatility=inf", "'calm_volatility' must be finite"),
        ("synthetic:regime:start=someday", "'start' must be a date"),
        ("synthetic:bootstrap:source=nasdaq", "unknown dataset 'nasdaq'"),
        ("synthetic:bootstrap:block=0", "block must be >= 1"),
        ("synthetic:bootstrap:source_start=2023-06-01", "0 complete daily returns"),
        ("synthetic:", "name a generator"),
    ],
)
def test_a_bad_spec_raises_a_config_error_naming_the_culprit(spec, named):
    with pytest.raises(ConfigError, match="synthetic dataset") as raised:
        load_dataset(spec)
    assert named in str(raised.value)


# --- every command takes it: a backtest end to end ----------------------------------------
runner = CliRunner()


def test_backtest_on_a_regime_market_with_an_asset_subset_and_test_start(tmp_path):
    out = tmp_path / "ew"
    spec = "synthetic:regime:seed=0,days=300,assets=6"
    result = runner.invoke(
        app,
        ["backtest", "--dataset", spec, "--assets", "SYN02,SYN05", "--test-start", "2000-10-02",
         "--strategy", "equal_weight", "--out", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(out / "metrics.csv")
    assert metrics.loc[0, "scenario"] == "synthetic:regime:assets=6,days=300,seed=0"
    weights = pd.read_parquet(out / "weights.parquet")
    assert set(weights["asset"]) == {"SYN02", "SYN05"}
    np.testing.assert_allclose(weights.groupby("date")["weight"].sum(), 1.0)
    returns = pd.read_parquet(out / "returns.parquet")
    # Earned from the test start on, by weights decided at the close of the day before.
    assert pd.Timestamp(returns["date"].min()) == pd.Timestamp("2000-10-02")
    assert pd.Timestamp(weights["date"].min()) == pd.Timestamp("2000-09-29")
    assert len(returns) > 0 and np.isfinite(returns["return"]).all()
    config = json.loads((out / "config.json").read_text())
    expected = regime_switching_prices(6, 300, seed=0)[["SYN02", "SYN05"]]
    assert MarketData(expected).fingerprint() in json.dumps(config)


def test_backtest_on_a_bootstrap_market_with_a_train_fraction(tmp_path):
    out = tmp_path / "boot"
    result = runner.invoke(
        app,
        ["backtest", "--dataset", "synthetic:bootstrap:source=sp500,days=250,block=10,seed=1",
         "--assets", "AAPL,MSFT,KO", "--train-fraction", "0.6", "--strategy", "equal_weight",
         "--out", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    weights = pd.read_parquet(out / "weights.parquet")
    assert set(weights["asset"]) == {"AAPL", "MSFT", "KO"}
    returns = pd.read_parquet(out / "returns.parquet")
    dates = pd.bdate_range("2000-01-03", periods=250)
    assert pd.Timestamp(returns["date"].min()) == dates[150]  # the last 40 % is the test span


def test_a_bad_spec_on_the_command_line_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(
        app,
        ["backtest", "--dataset", "synthetic:regime:volatility=0.2", "--strategy",
         "equal_weight", "--out", str(tmp_path / "bad")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "unknown parameter 'volatility'" in lines[0]


def test_features_of_a_synthetic_market_use_its_own_index_not_the_real_sp500():
    # Synthetic dates fall inside the bundled index's span, but the real market state
    # on those dates has nothing to do with the synthetic prices.
    import warnings

    from riskalloc.features import FeatureBuilder

    spec = "synthetic:regime:assets=5,days=800,seed=0"
    market = MarketData(load_dataset(spec), name=spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning either: it is by design
        builder = FeatureBuilder().fit(market)
    assert builder.market_source_ == "equal_weight"
    # The mark travels with the prices, not the name: unnamed, and sliced, it still holds.
    unnamed = MarketData(load_dataset(spec))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FeatureBuilder().fit(unnamed.until(unnamed.dates[600])).market_source_ == (
            "equal_weight"
        )
    real = MarketData(load_dataset("sp500").iloc[:800, :5], name="sp500")
    assert FeatureBuilder().fit(real).market_source_ == "sp500_index"
