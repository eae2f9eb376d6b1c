"""``deep_ensemble``: the mean of the weights of independently seeded members."""

from __future__ import annotations

import numpy as np
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.strategies import load_model

TRAIN = 1000


def _fit(prices, tiny, **params):
    ensemble = ra.get_strategy("deep_ensemble", base="deep_sharpe", epochs=1, **tiny, **params)
    return ensemble.fit(ra.MarketData(prices.iloc[:TRAIN]))


def test_weights_are_the_mean_of_members_trained_with_their_own_seeds(planted_prices, tiny):
    ensemble = _fit(planted_prices, tiny, members=3, seed=2)
    assert [m.seed for m in ensemble.members_] == [6, 7, 8]
    history = ra.MarketData(planted_prices)
    dates = history.dates[TRAIN:]
    expected = np.mean(
        [
            ra.get_strategy("deep_sharpe", epochs=1, seed=s, **tiny)
            .fit(ra.MarketData(planted_prices.iloc[:TRAIN]))
            .allocate(history, dates)
            .to_numpy()
            for s in (6, 7, 8)
        ],
        axis=0,
    )
    np.testing.assert_allclose(ensemble.allocate(history, dates).to_numpy(), expected, atol=1e-15)


def test_ensembles_with_different_seeds_share_no_member_and_are_reproducible(planted_prices, tiny):
    a = _fit(planted_prices, tiny, members=2, seed=0)
    b = _fit(planted_prices, tiny, members=2, seed=0)
    c = _fit(planted_prices, tiny, members=2, seed=1)
    assert {m.seed for m in a.members_}.isdisjoint({m.seed for m in c.members_})
    history = ra.MarketData(planted_prices)
    dates = history.dates[TRAIN:]
    np.testing.assert_array_equal(
        a.allocate(history, dates).to_numpy(), b.allocate(history, dates).to_numpy()
    )


def test_parameters_reach_the_members_and_foreign_ones_are_refused(planted_prices, tiny):
    ensemble = ra.get_strategy("deep_ensemble", base="deep_cvar", risk_aversion=3.0, members=1)
    assert ensemble.base_params() == {"risk_aversion": 3.0}
    train = ra.MarketData(planted_prices.iloc[:TRAIN])
    with pytest.raises(ConfigError, match="risk_aversion"):
        ra.get_strategy("deep_ensemble", base="deep_sharpe", risk_aversion=3.0).fit(train)
    with pytest.raises(ConfigError, match="base"):
        ra.get_strategy("deep_ensemble", base="equal_weight").fit(train)
    with pytest.raises(ConfigError, match="members"):
        ra.get_strategy("deep_ensemble", members=0).fit(train)


def test_an_ensemble_saves_and_loads_to_the_same_weights(planted_prices, tiny, tmp_path):
    ensemble = _fit(planted_prices, tiny, members=2)
    directory = ensemble.save(tmp_path / "ens")
    assert (directory / "member_1" / "model.safetensors").is_file()
    loaded = load_model(directory)
    history = ra.MarketData(planted_prices)
    dates = history.dates[TRAIN:]
    np.testing.assert_array_equal(
        ensemble.allocate(history, dates).to_numpy(), loaded.allocate(history, dates).to_numpy()
    )
