"""Shapley values of a deep strategy's features: efficiency, the exact values against an
independent enumeration of coalitions, reproducibility and no look-ahead."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.core import ConfigError, DataError
from riskalloc.explain import (
    FeatureFamily,
    attribution_over_time,
    feature_attribution,
    feature_family,
)
from riskalloc.risk import allocation_risk

FAMILIES = ["momentum", "volatility", "drawdown", "market_regime"]


@pytest.fixture(scope="module")
def date(market):
    return market.dates[-120]


def test_features_fall_into_their_families():
    expected = {
        "log_return": FeatureFamily.MOMENTUM,
        "ma_ratio_50": FeatureFamily.MOMENTUM,
        "rsi_14": FeatureFamily.MOMENTUM,
        "volatility_21": FeatureFamily.VOLATILITY,
        "drawdown_252": FeatureFamily.DRAWDOWN,
        "market_volatility_21": FeatureFamily.MARKET_REGIME,
        "market_trend_200": FeatureFamily.MARKET_REGIME,
        "market_drawdown_252": FeatureFamily.MARKET_REGIME,
        "extra:vix": FeatureFamily.EXTRA,
    }
    assert {name: feature_family(name) for name in expected} == expected


@pytest.mark.parametrize("by", ["family", "feature"])
@pytest.mark.parametrize("target", ["weights", "risk"])
def test_efficiency_shapley_values_sum_to_output_minus_base(deep_sharpe, market, date, target, by):
    # 4 families have 24 orders: all are used (exact); 8 features have 40320: 20 are sampled.
    n_samples = 24 if by == "family" else 20
    explained = feature_attribution(
        deep_sharpe, market, date, target=target, by=by, n_samples=n_samples
    )
    gap = explained.contributions.sum() - (explained.output - explained.base_value)
    assert np.abs(gap.to_numpy()).max() < 1e-6
    # The base is not the output: the efficiency check is not 0 == 0.
    assert np.abs(explained.contributions.to_numpy()).max() > 1e-6
    if by == "family":
        assert list(explained.contributions.index) == FAMILIES
        assert explained.method.startswith("captum ShapleyValues: exact, all 24")
    else:
        assert list(explained.contributions.index) == deep_sharpe.features_.feature_names_
        assert "ShapleyValueSampling: 20 random permutations" in explained.method


def test_outputs_are_the_allocation_and_its_forecast_volatility(deep_sharpe, market, date):
    weights = feature_attribution(deep_sharpe, market, date, target="weights")
    allocated = deep_sharpe.allocate(market.until(date), pd.DatetimeIndex([date])).iloc[0]
    np.testing.assert_allclose(weights.output[allocated.index], allocated, rtol=0, atol=1e-15)
    risk = feature_attribution(deep_sharpe, market, date, target="risk", risk_window=252)
    oracle = allocation_risk(allocated, market.until(date).returns, window=252)
    assert risk.output["volatility"] == pytest.approx(oracle.volatility, rel=1e-12)
    # The base value: the network with every standardised input at 0 (its training mean).
    zeros = torch.zeros_like(deep_sharpe.inputs(market, pd.DatetimeIndex([date])))
    with torch.no_grad():
        base = deep_sharpe.model_(zeros).numpy()[0]
    np.testing.assert_allclose(weights.base_value.to_numpy(), base, rtol=0, atol=1e-12)


def test_exact_values_match_an_independent_enumeration_of_coalitions(deep_sharpe, market, date):
    """The Shapley formula over every coalition of families, evaluated on the network itself."""
    explained = feature_attribution(deep_sharpe, market, date, target="weights", by="family")
    inputs = deep_sharpe.inputs(market, pd.DatetimeIndex([date]))
    families = [feature_family(name).value for name in deep_sharpe.features_.feature_names_]
    players = list(dict.fromkeys(families))

    def value(coalition: frozenset) -> np.ndarray:
        keep = torch.tensor([family in coalition for family in families])
        with torch.no_grad():
            masked = inputs * keep[None, :, None, None].to(inputs.dtype)
            return deep_sharpe.model_(masked).numpy()[0]

    n = len(players)
    for player in players:
        others = [p for p in players if p != player]
        phi = np.zeros(len(market.assets))
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in itertools.combinations(others, size):
                phi += weight * (
                    value(frozenset(coalition) | {player}) - value(frozenset(coalition))
                )
        np.testing.assert_allclose(
            explained.contributions.loc[player].to_numpy(), phi, rtol=0, atol=1e-7
        )


def test_sampling_is_reproducible_from_its_seed(deep_sharpe, market, date):
    first = feature_attribution(deep_sharpe, market, date, by="feature", n_samples=10, seed=3)
    again = feature_attribution(deep_sharpe, market, date, by="feature", n_samples=10, seed=3)
    pd.testing.assert_frame_equal(first.contributions, again.contributions)
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    feature_attribution(deep_sharpe, market, date, by="feature", n_samples=10, seed=3)
    assert torch.rand(1) == expected  # the caller's random state is left as it was


def test_over_time_agrees_with_each_day_and_is_efficient_every_day(deep_sharpe, market):
    dates = market.dates[-60::20]
    long = attribution_over_time(deep_sharpe, market, dates, target="risk")
    totals = long.groupby(["date", "output"]).agg(
        contribution=("contribution", "sum"),
        base=("base_value", "first"),
        output=("model_output", "first"),
    )
    gap = totals["contribution"] - (totals["output"] - totals["base"])
    assert gap.abs().max() < 1e-6
    for date in dates:
        day = feature_attribution(deep_sharpe, market, date, target="risk")
        rows = long[long["date"] == date].set_index("group")["contribution"]
        np.testing.assert_allclose(
            rows[FAMILIES], day.contributions["volatility"][FAMILIES], atol=1e-9
        )


def test_no_look_ahead_poisoned_future_prices_change_nothing(deep_sharpe, market, bull, date):
    honest = feature_attribution(deep_sharpe, market, date, target="risk", by="feature", seed=1)
    prices = bull.prices.copy()
    prices.loc[prices.index > date] = prices.loc[prices.index > date] * 7.0 + 1e4
    # The poison is a jump no market makes: lift the bound on one-day moves to keep it.
    poisoned = ra.MarketData(prices, name="poisoned", max_daily_return=None)
    seen = feature_attribution(deep_sharpe, poisoned, date, target="risk", by="feature", seed=1)
    pd.testing.assert_frame_equal(seen.contributions, honest.contributions)
    pd.testing.assert_series_equal(seen.output, honest.output)


def test_drivers_rank_contributions_by_size(deep_sharpe, market, date):
    explained = feature_attribution(deep_sharpe, market, date)
    drivers = explained.drivers(5)
    assert list(drivers.columns) == ["group", "output", "contribution"] and len(drivers) == 5
    sizes = drivers["contribution"].abs().to_numpy()
    assert (np.diff(sizes) <= 0).all()
    assert sizes[0] == pytest.approx(np.abs(explained.contributions.to_numpy()).max())


def test_bad_input_names_the_culprit(deep_sharpe, market, date):
    with pytest.raises(ConfigError, match="'target'"):
        feature_attribution(deep_sharpe, market, date, target="returns")
    with pytest.raises(ConfigError, match="'by'"):
        feature_attribution(deep_sharpe, market, date, by="asset")
    with pytest.raises(ConfigError, match="'date' is not a date"):
        feature_attribution(deep_sharpe, market, "someday")
    with pytest.raises(ConfigError, match="'dates' is empty"):
        attribution_over_time(deep_sharpe, market, [])
    with pytest.raises(DataError, match="not a trading date"):
        feature_attribution(deep_sharpe, market, "2016-12-25")
    with pytest.raises(DataError, match="lookback=10"):
        feature_attribution(deep_sharpe, market, market.dates[30])
    classical = ra.get_strategy("equal_weight").fit(market)
    with pytest.raises(ConfigError, match="not a fitted deep strategy"):
        feature_attribution(classical, market, date)


def test_model_weights_are_the_saved_models_even_with_walk_forward_refits(
    deep_sharpe, market, date
):
    # `explain` shows the risk of the weights it attributes: those of the model as saved.
    # With retrain_every, `allocate` would refit on the way to the date; model_weights never.
    import copy

    from riskalloc.explain import model_weights

    walking = copy.copy(deep_sharpe)
    walking.retrain_every = 5
    dates = pd.DatetimeIndex([date])
    saved = model_weights(walking, market.until(date), dates).iloc[0]
    explained = feature_attribution(walking, market, date, target="weights")
    np.testing.assert_allclose(saved[explained.output.index], explained.output, rtol=0, atol=1e-15)
    fixed = deep_sharpe.allocate(market.until(date), dates).iloc[0]
    np.testing.assert_allclose(saved, fixed, rtol=0, atol=1e-15)
