"""A training span shorter than a strategy's window plus one is a `DataError` naming both counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc


def random_walk_prices(n_rows: int, assets: tuple[str, ...] = ("A", "B", "C")) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0005, 0.01, size=(n_rows, len(assets)))
    prices = 100.0 * np.cumprod(1.0 + returns, axis=0)
    return pd.DataFrame(
        prices, index=pd.bdate_range("2019-01-01", periods=n_rows), columns=list(assets)
    )


def test_thirty_training_rows_for_a_window_of_fifty_is_a_data_error() -> None:
    prices = random_walk_prices(60)
    test_start = prices.index[30]  # 30 training rows before it
    strategy = riskalloc.get_strategy("inverse_volatility", window=50)
    with pytest.raises(riskalloc.DataError) as caught:
        riskalloc.backtest(prices, strategy, test_start=test_start)
    message = str(caught.value)
    assert "51" in message  # the window plus one
    assert "30 training rows" in message
    assert "inverse_volatility" in message
    assert str(prices.index[29].date()) in message  # the last training date


@pytest.mark.parametrize(("n_train", "fails"), [(50, True), (51, False)])
def test_the_boundary_is_window_plus_one_training_rows(n_train: int, fails: bool) -> None:
    prices = random_walk_prices(n_train + 20)
    strategy = riskalloc.get_strategy("inverse_volatility", window=50)
    test_start = prices.index[n_train]
    if fails:
        with pytest.raises(riskalloc.DataError, match="51"):
            riskalloc.backtest(prices, strategy, test_start=test_start)
    else:
        result = riskalloc.backtest(prices, strategy, test_start=test_start)
        assert result.returns.index[0] == test_start
        assert len(result.returns) == 20
