"""Deep allocators learn: on a market with a persistent drift, every end-to-end objective
gets most of an oracle's out-of-sample Sharpe and beats 1/N, and does not without training.

The market (``synthetic:drift``): each asset's expected daily return follows a slow AR(1)
(persistence 0.99, 10 bp a day of stationary spread) under 1 % daily noise, so a trailing
mean of past returns carries information about tomorrow's drift. The oracle holds the
long-only maximum-Sharpe portfolio of the true drift known at each close. The budget is
small (an MLP of 16 units, 6 epochs); the full studies are in bench/.

``deep_cvar`` is trained with ``risk_aversion=0.05``: at 1.0 the daily CVaR term is some
twenty times the daily mean, so the objective's own optimum is close to the
minimum-CVaR portfolio (here about 1/N, whatever the signal); a test of learning asks for
an objective whose optimum follows the signal.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import riskalloc as ra

MARKET = "synthetic:drift:assets=10,days=2520,seed=0"
SMALL = {"network": "mlp", "hidden_size": 16, "epochs": 6}
OBJECTIVES = [
    ("deep_sharpe", {}),
    ("deep_sortino", {}),
    ("deep_cvar", {"risk_aversion": 0.05}),
    ("deep_log_wealth", {}),
]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _sharpe(prices, strategy) -> float:
    result = ra.backtest(prices, strategy, rebalance="daily", costs_bps=10, train_fraction=0.7)
    return float(ra.performance(result)["sharpe"])


@pytest.fixture(scope="module")
def market():
    prices = ra.load_dataset(MARKET)
    oracle = _sharpe(prices, ra.get_strategy("drift_oracle"))
    equal_weight = _sharpe(prices, ra.get_strategy("equal_weight"))
    assert oracle > equal_weight + 1.5  # the signal is there to be learned
    return prices, oracle, equal_weight


def _learns(sharpe: float, oracle: float, equal_weight: float) -> bool:
    return sharpe >= 0.5 * oracle and sharpe >= equal_weight + 0.5


@pytest.mark.parametrize(("name", "params"), OBJECTIVES, ids=[name for name, _ in OBJECTIVES])
def test_every_objective_learns_the_drift(market, name, params):
    prices, oracle, equal_weight = market
    sharpes = [
        _sharpe(prices, ra.get_strategy(name, seed=seed, **SMALL, **params)) for seed in range(5)
    ]
    median = float(np.median(sharpes))
    assert _learns(median, oracle, equal_weight), (sharpes, oracle, equal_weight)


@pytest.mark.parametrize(("name", "params"), OBJECTIVES, ids=[name for name, _ in OBJECTIVES])
def test_without_the_optimiser_step_the_same_check_fails(market, name, params, monkeypatch):
    prices, oracle, equal_weight = market
    # Everything runs (losses, gradients, early stopping) but no parameter ever moves.
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, closure=None: None)
    sharpe = _sharpe(prices, ra.get_strategy(name, seed=0, **SMALL, **params))
    assert not _learns(sharpe, oracle, equal_weight), (sharpe, oracle, equal_weight)
