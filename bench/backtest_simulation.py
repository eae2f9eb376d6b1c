"""Speed of the backtest's vectorised simulation against a per-day loop reference.

Run: ``.venv/bin/python bench/backtest_simulation.py``

Both compute the same thing (drift between rebalances, proportional costs on
turnover): the reference steps day by day in Python with ``rebalance_step``,
as a naive backtester or an RL environment would; ``simulate`` does all days at
once. The table prints the time of each, the speed-up, and the largest
difference in net returns (it must stay at rounding level).
"""

from __future__ import annotations

import platform
import time

import numpy as np
import pandas as pd

import riskalloc as ra
from riskalloc.backtest import simulate
from riskalloc.core import Rebalance, rebalance_step


def loop_reference(weights, decision_days, returns, cost_rate):
    n_days, n_assets = returns.shape[0] - 1, returns.shape[1]
    decision_of = dict(zip(decision_days.tolist(), range(len(decision_days)), strict=True))
    drifted = np.zeros(n_assets)  # the portfolio starts in cash
    net = np.empty(n_days)
    for day in range(n_days):
        # Between decisions the target is the drifted portfolio itself: no trade, no cost.
        target = weights[decision_of[day]] if day in decision_of else drifted
        net[day], drifted, _ = rebalance_step(drifted, target, returns[day + 1], cost_rate)
    return net


def best_of(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), value


def case(label, returns, schedule, rng):
    span_index = pd.bdate_range("2000-01-03", periods=returns.shape[0])
    mask = Rebalance.parse(schedule).decision_mask(span_index)
    decision_days = np.flatnonzero(mask)
    weights = rng.dirichlet(np.ones(returns.shape[1]), size=len(decision_days))
    fast, simulation = best_of(lambda: simulate(weights, decision_days, returns, 1e-3), 20)
    slow, reference = best_of(lambda: loop_reference(weights, decision_days, returns, 1e-3), 3)
    gap = np.max(np.abs(simulation.net_returns - reference))
    n_days = returns.shape[0] - 1
    print(
        f"| {label} | {schedule} | {n_days} | {returns.shape[1]} | {slow * 1e3:.2f} | {fast * 1e3:.3f} "
        f"| {slow / fast:.0f}x | {gap:.1e} |"
    )


def main():
    rng = np.random.default_rng(0)
    sp500 = ra.MarketData(ra.load_dataset("sp500"))
    real = sp500.returns.to_numpy()[1:]  # 8312 days x 20 assets, 1990-2022
    real = np.vstack([np.zeros((1, real.shape[1])), real])
    synthetic = np.vstack([np.zeros((1, 500)), rng.normal(3e-4, 0.02, size=(2520, 500))])
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, numpy {np.__version__}")
    print(
        "| data | rebalance | days | assets | per-day loop (ms) | simulate (ms) | speed-up | max |net diff| |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for schedule in ("daily", "weekly", "monthly"):
        case("sp500 1990-2022", real, schedule, rng)
    case("synthetic 10 y", synthetic, "daily", rng)


if __name__ == "__main__":
    main()
