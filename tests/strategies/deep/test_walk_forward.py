"""``retrain_every``: walk-forward refits on the past only, on copies, reproducibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError, DataError

TEST_START = 1000


@pytest.fixture(scope="module")
def tiny(tiny):
    """The shared tiny settings without their retrain_every: these tests set their own."""
    return {key: value for key, value in tiny.items() if key != "retrain_every"}


def _backtest(prices: pd.DataFrame, **params):
    strategy = ra.get_strategy("deep_sharpe", epochs=1, **params)
    result = ra.backtest(prices, strategy, rebalance="weekly", test_start=prices.index[TEST_START])
    return strategy, result


def test_refits_every_n_trading_days_from_the_end_of_training(planted_prices, tiny):
    strategy, result = _backtest(planted_prices, retrain_every=100, **tiny)
    dates = planted_prices.index
    first_decision = dates[TEST_START - 1]  # the close of the last training date
    assert strategy.fit_end_ == first_decision
    positions = [dates.get_loc(d) for d in strategy.refit_dates_]
    # Weekly decisions: each refit is the first decision date at least 100 days after the last fit.
    gaps = np.diff([TEST_START - 1, *positions])
    assert len(positions) >= 3 and (gaps >= 100).all() and (gaps < 100 + 7).all()
    assert set(strategy.refit_dates_) <= set(result.weights.index)


def test_refitted_weights_differ_from_a_single_fit_only_after_the_first_refit(planted_prices, tiny):
    once, fixed = _backtest(planted_prices, retrain_every=None, **tiny)
    walking, walked = _backtest(planted_prices, retrain_every=100, **tiny)
    first_refit = walking.refit_dates_[0]
    before = fixed.weights.index < first_refit
    np.testing.assert_array_equal(
        fixed.weights.to_numpy()[before], walked.weights.to_numpy()[before]
    )
    assert not np.array_equal(fixed.weights.to_numpy()[~before], walked.weights.to_numpy()[~before])
    # The strategy itself is not changed by refitting: its model is still the first fit.
    for (key, a), b in zip(
        once.model_.state_dict().items(), walking.model_.state_dict().values(), strict=True
    ):
        assert np.array_equal(a.numpy(), b.numpy()), key


@pytest.mark.parametrize("training_window", [None, 400])
def test_a_refit_uses_no_price_after_its_date(planted_prices, tiny, training_window):
    """Poison the future: weights decided on or before D (after two refits) do not move."""
    params = {"retrain_every": 100, "training_window": training_window, **tiny}
    strategy, clean = _backtest(planted_prices, **params)
    date = strategy.refit_dates_[1] + pd.Timedelta(days=10)
    poisoned = planted_prices.copy()
    after = poisoned.index > date
    poisoned.loc[after] *= np.random.default_rng(3).uniform(0.5, 1.5, (int(after.sum()), 4))
    _, dirty = _backtest(poisoned, **params)
    decided = clean.weights.index <= date
    np.testing.assert_array_equal(
        clean.weights.to_numpy()[decided], dirty.weights.to_numpy()[decided]
    )
    assert not np.allclose(clean.weights.to_numpy()[~decided], dirty.weights.to_numpy()[~decided])


def test_a_rolling_window_refit_trains_on_that_window_only(planted_prices, tiny):
    strategy, _ = _backtest(planted_prices, retrain_every=100, training_window=400, **tiny)
    history = ra.MarketData(planted_prices)
    span = strategy._refit_span(history, strategy.refit_dates_[0])
    assert len(span) == 400 and span.dates[-1] == strategy.refit_dates_[0]


def test_walk_forward_is_reproducible_and_allocate_is_repeatable(planted_prices, tiny):
    first, a = _backtest(planted_prices, retrain_every=150, **tiny)
    _, b = _backtest(planted_prices, retrain_every=150, **tiny)
    np.testing.assert_array_equal(a.weights.to_numpy(), b.weights.to_numpy())
    history = ra.MarketData(planted_prices)
    dates = a.weights.index
    np.testing.assert_array_equal(
        first.allocate(history, dates).to_numpy(), first.allocate(history, dates).to_numpy()
    )


def test_bad_walk_forward_settings_are_named(planted_prices, tiny):
    train = ra.MarketData(planted_prices.iloc[:TEST_START])
    with pytest.raises(ConfigError, match="retrain_every"):
        ra.get_strategy("deep_sharpe", retrain_every=0, **tiny).fit(train)
    with pytest.raises(ConfigError, match="training_window"):
        ra.get_strategy("deep_sharpe", training_window=300, retrain_every=None, **tiny).fit(train)
    strategy = ra.get_strategy(
        "deep_sharpe", epochs=1, retrain_every=50, training_window=30, **tiny
    )
    with pytest.raises(DataError, match="training"):
        ra.backtest(planted_prices, strategy, test_start=planted_prices.index[TEST_START])


def test_a_refit_warm_starts_from_the_model_in_use_and_trains_refit_epochs(planted_prices, tiny):
    strategy = ra.get_strategy("deep_sharpe", epochs=3, refit_epochs=2, validation_fraction=0.0,
                               retrain_every=100, **tiny)  # fmt: skip
    train = ra.MarketData(planted_prices.iloc[:TEST_START])
    strategy.fit(train)
    span = ra.MarketData(planted_prices.iloc[: TEST_START + 100])
    refit = strategy.refitted(span)
    assert len(strategy.history_.train_loss) == 3 and len(refit.history_.train_loss) == 2
    assert refit.fit_end_ == span.dates[-1] and strategy.fit_end_ == train.dates[-1]
    # Warm: two epochs from the fitted model, not from a new initialisation.
    fresh = ra.get_strategy("deep_sharpe", epochs=2, validation_fraction=0.0,
                            retrain_every=None, **tiny).fit(span)  # fmt: skip
    warm_first, fresh_first = refit.history_.train_loss[0], fresh.history_.train_loss[0]
    assert warm_first < fresh_first  # it starts where the first fit left off
    # The fitted strategy is untouched, and its scaler is the one refits use.
    assert refit.features_ is not strategy.features_
    np.testing.assert_array_equal(refit.features_.mean_, strategy.features_.mean_)
