"""Shared fixtures of the explain tests: the bundled bull-2010 scenario and a tiny deep model."""

from __future__ import annotations

import pytest
import torch

import riskalloc as ra

#: A small LSTM on short windows with the market-regime features: fast, and every family present.
TINY = {
    "retrain_every": None,
    "lookback": 10,
    "hidden_size": 8,
    "n_layers": 1,
    "volatility_windows": (5,),
    "ma_windows": (5, 20),
    "rsi_window": None,
    "drawdown_window": 20,
    "market": True,
    "epochs": 3,
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny batches run fastest, and reproducibly, on one thread."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def bull() -> ra.Scenario:
    return ra.scenario("bull-2010")


@pytest.fixture(scope="session")
def market(bull) -> ra.MarketData:
    return ra.MarketData(bull.prices, name="bull-2010")


@pytest.fixture(scope="session")
def deep_sharpe(bull, market):
    """deep_sharpe fitted on bull-2010's training span (real prices), seed 0."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return ra.get_strategy("deep_sharpe", seed=0, **TINY).fit(market.until(bull.train_end))
    finally:
        torch.set_num_threads(previous)
