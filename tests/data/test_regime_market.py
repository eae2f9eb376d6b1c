"""``regime_market``: the prices of a ``synthetic:regime`` market beside its hidden regimes."""

from __future__ import annotations

import numpy as np
import pytest

from riskalloc.core import ConfigError
from riskalloc.data import DEFAULT_REGIMES, load_dataset, regime_path
from riskalloc.data._synthetic_spec import SYNTHETIC_ATTR, regime_market


def test_prices_are_load_datasets_bit_for_bit_and_the_path_is_regime_paths():
    spec = "synthetic:regime:seed=4, days=700,assets=3"
    prices, regimes = regime_market(spec)
    loaded = load_dataset(spec)
    assert prices.to_numpy().tobytes() == loaded.to_numpy().tobytes()
    assert prices.attrs[SYNTHETIC_ATTR] == loaded.attrs[SYNTHETIC_ATTR]
    assert regimes.index.equals(prices.index)
    assert regimes.equals(regime_path(days=700, seed=4))
    assert set(regimes) == {regime.name for regime in DEFAULT_REGIMES}
    assert "regime" not in prices.columns and len(prices.attrs) == 1  # nothing leaks


def test_the_path_is_the_one_the_returns_were_drawn_in():
    # A calm spell has a third of the stressed volatility: the path must say which is which.
    prices, regimes = regime_market("synthetic:regime:assets=20,days=3000,seed=1")
    log_returns = np.log(prices).diff().iloc[1:]
    cross_section = log_returns.std(axis=1)  # the idiosyncratic part, one number per day
    stressed = regimes.iloc[1:] == "stressed"
    assert cross_section[stressed].mean() > 1.3 * cross_section[~stressed].mean()


def test_regime_parameters_of_the_spec_reach_the_path():
    _, default = regime_market("synthetic:regime:days=2000,seed=3")
    _, sticky = regime_market("synthetic:regime:days=2000,seed=3,stressed_persistence=0.999")
    assert (sticky == "stressed").mean() > (default == "stressed").mean()


def test_only_a_regime_market_has_regimes():
    with pytest.raises(ConfigError, match="synthetic:regime"):
        regime_market("synthetic:drift:assets=3")
    with pytest.raises(ConfigError, match="days"):
        regime_market("synthetic:regime:days=1")
