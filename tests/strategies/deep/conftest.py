"""Shared fixtures of the deep-strategy tests: a planted market and tiny network settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

#: A small network on short windows, without market-index features: fast, still learns.
#: Fitted once (the walk-forward refits have their own tests, test_walk_forward.py).
TINY = {
    "retrain_every": None,
    "lookback": 10,
    "hidden_size": 8,
    "n_layers": 1,
    "volatility_windows": (5,),
    "ma_windows": (5, 60),
    "rsi_window": None,
    "drawdown_window": 60,
    "market": False,
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny batches run fastest, and reproducibly, on one thread."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def tiny() -> dict:
    return dict(TINY)


@pytest.fixture(scope="module")
def planted_prices() -> pd.DataFrame:
    """1 % daily volatility everywhere; ``A1`` drifts up 0.25 %/day, the others down 0.05 %."""
    rng = np.random.default_rng(0)
    drift = np.array([-0.0005, 0.0025, -0.0005, -0.0005])
    returns = rng.normal(drift, 0.01, size=(1400, 4))
    dates = pd.bdate_range("2001-01-01", periods=len(returns))
    prices = 100 * np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(prices, index=dates, columns=[f"A{i}" for i in range(4)])
