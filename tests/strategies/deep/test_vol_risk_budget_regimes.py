"""`vol_risk_budget` on the regime market: it must hold less risk in the stressed regime.

The market (``synthetic:regime``, :data:`riskalloc.data.DEFAULT_REGIMES`) switches between
a calm regime (15 % volatility, correlation 0.3, +8 % a year, spells of 100 days on
average) and a stressed one (40 %, 0.7, -20 %, spells of 20 days). The true path comes
from :func:`regime_market`, beside the prices; the strategies never see it.

**Held risk** of a decision is the annualised volatility of its target weights under the
true covariance of the regime of the day they are held, ``sqrt(252 w' S_k w)`` with
``S_k = vol_k**2 / 252 * ((1 - rho_k) I + rho_k 11')``: exact, with no sampling noise.
Dates are compared only where the regime is **established**: the day held and the five
days up to the decision are all in one regime. Nobody can see a switch coming, and with
spells of 20 days even a strategy told the right thresholds holds about as much risk on
all stressed days as on calm ones (the first days of each spell are held at full calm
exposure); after five stressed days the market's own volatility shows the regime.

The criterion: the median over three markets of ``mean held risk on established stressed
dates / mean on established calm dates`` is at most 0.75. It discriminates: 1/N holds
3.5 times more risk in stress, a volatility target without regimes about as much or more
(``n_regimes=1``), and a causal two-target rule passes by a wide margin.

Measured (5 assets, 2,520 days, 60 % train, daily rebalancing): 1/N 3.50 on each
market; the two-target rule 0.46, 0.28, 0.39; ``vol_risk_budget`` (``SMALL``) 0.84,
0.55, 0.66 (median 0.66; seeds 3-5 gave 0.67, 0.90, 0.71), and the same with
``n_regimes=1`` 1.64 on the first market. Before its regimes came from a filtered HMM
(a learned gate on 21-day market features, forecasts pulled by the portfolio loss, no
fixed average target) it held 2.25-2.55 times more risk in stress.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import riskalloc as ra
from riskalloc.data import DEFAULT_REGIMES, MarketData
from riskalloc.data._synthetic_spec import regime_market
from riskalloc.strategies._protocol import BaseAllocator, decision_positions

SEEDS = (0, 1, 2)
ASSETS = 5
MAX_RATIO = 0.75
ESTABLISHED = 5  # days of the regime up to the decision date
#: A small network on short windows (the regimes come from the HMM of the index returns).
SMALL = {
    "retrain_every": None,
    "epochs": 10,
    "lookback": 10,
    "hidden_size": 16,
    "volatility_windows": (5, 21),
    "ma_windows": (5,),
    "rsi_window": None,
    "drawdown_window": 60,
    "market": True,
}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _spec(seed: int) -> str:
    return f"synthetic:regime:assets={ASSETS},days=2520,seed={seed}"


def _covariances() -> dict[str, np.ndarray]:
    """Daily covariance of each regime's log returns (one-factor, equal correlation)."""
    return {
        regime.name: regime.volatility**2
        / 252
        * ((1 - regime.correlation) * np.eye(ASSETS) + regime.correlation)
        for regime in DEFAULT_REGIMES
    }


def held_risk_by_regime(weights: pd.DataFrame, regimes: pd.Series) -> dict[str, float]:
    """Mean held risk over the decision dates of each established regime (see the module)."""
    names = regimes.to_numpy()
    positions = regimes.index.get_indexer(weights.index)
    if (positions < ESTABLISHED - 1).any() or (positions + 1 >= len(names)).any():
        raise ValueError("decision dates need their held day and five past days in the path")
    # Regime of the held day t+1 and of the days t-4 .. t.
    window = names[positions[:, None] + np.arange(1 - ESTABLISHED, 2)[None, :]]
    held = window[:, -1]
    established = (window == held[:, None]).all(axis=1)
    covariances = _covariances()
    values = weights.to_numpy()
    risk = np.array(
        [np.sqrt(252 * w @ covariances[name] @ w) for w, name in zip(values, held, strict=True)]
    )
    return {name: float(risk[established & (held == name)].mean()) for name in ("calm", "stressed")}


def stressed_to_calm(strategy, seed: int) -> float:
    prices, regimes = regime_market(_spec(seed))
    result = ra.backtest(prices, strategy, rebalance="daily", train_fraction=0.6)
    risk = held_risk_by_regime(result.weights, regimes)
    return risk["stressed"] / risk["calm"]


class TwoTargets(BaseAllocator):
    """A causal regime rule that de-risks: 1/N scaled to a 10 % volatility target, 2 % when
    the equal-weight index's realised volatility over the last 5 days exceeds 20 %."""

    name = "two_targets"

    def __init__(self) -> None:
        pass

    @property
    def min_history(self) -> int:
        return 11

    def allocate(self, history: MarketData, dates: pd.DatetimeIndex) -> pd.DataFrame:
        positions = decision_positions(history, dates, self.name)
        index = history.returns.to_numpy().mean(axis=1)
        realised = np.array(
            [[np.std(index[p - n + 1 : p + 1], ddof=1) for n in (5, 10)] for p in positions]
        ) * np.sqrt(252)
        target = np.where(realised[:, 0] > 0.20, 0.02, 0.10)
        exposure = np.minimum(1.0, target / realised[:, 1])
        weights = np.repeat(exposure[:, None] / len(history.assets), len(history.assets), 1)
        return pd.DataFrame(weights, index=pd.DatetimeIndex(dates), columns=history.assets)


# --- the criterion discriminates -----------------------------------------------------------
def test_equal_weight_does_not_pass():
    ratios = [stressed_to_calm(ra.get_strategy("equal_weight"), seed) for seed in SEEDS]
    assert np.median(ratios) > 3.0, ratios  # 1/N carries each regime's own risk: 3.5


def test_a_causal_rule_that_de_risks_passes_by_a_wide_margin():
    ratios = [stressed_to_calm(TwoTargets(), seed) for seed in SEEDS]
    assert np.median(ratios) < 0.5, ratios  # measured: 0.46, 0.28, 0.39


def test_a_volatility_target_without_regimes_does_not_pass():
    strategy = ra.get_strategy("vol_risk_budget", seed=0, n_regimes=1, **SMALL)
    ratio = stressed_to_calm(strategy, SEEDS[0])
    assert ratio > MAX_RATIO, ratio  # measured: 1.64


# --- vol_risk_budget -----------------------------------------------------------------------
def test_vol_risk_budget_holds_less_risk_in_the_stressed_regime():
    ratios = [
        stressed_to_calm(ra.get_strategy("vol_risk_budget", seed=seed, **SMALL), seed)
        for seed in SEEDS
    ]
    assert np.median(ratios) <= MAX_RATIO, ratios
