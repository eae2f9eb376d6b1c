"""Per-rebalance time of riskalloc's batched optimisers vs skfolio's walk-forward, same data, same run.

Run: ``.venv/bin/python bench/classical_walkforward.py`` (``--quick`` for fewer skfolio dates)

For each case and strategy: riskalloc allocates every daily rebalance of the
span in one batched call; skfolio runs ``cross_val_predict`` with
``WalkForward(train_size=50, test_size=1)`` and the equivalent estimator on
the same returns (on an evenly spaced sample of dates when the full span
would take too long). Both objectives are evaluated by riskalloc.risk on the
same sample covariance (ddof=1) and mean; "gap" is the largest relative
amount by which riskalloc's objective is worse than skfolio's (negative:
riskalloc is better everywhere).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

import riskalloc as ra
from riskalloc.risk import (
    diversification_ratio,
    estimate_covariance,
    estimate_mean,
    portfolio_variance,
    risk_contributions,
    sharpe,
)

WINDOW = 50


def skfolio_estimator(name: str):
    from skfolio import RiskMeasure
    from skfolio.moments import EmpiricalCovariance, EmpiricalMu
    from skfolio.optimization import (
        MaximumDiversification,
        MeanRisk,
        ObjectiveFunction,
        RiskBudgeting,
    )
    from skfolio.prior import EmpiricalPrior

    prior = EmpiricalPrior(mu_estimator=EmpiricalMu(), covariance_estimator=EmpiricalCovariance())
    if name == "minimum_variance":
        return MeanRisk(risk_measure=RiskMeasure.VARIANCE, prior_estimator=prior)
    if name == "maximum_sharpe":
        return MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
            risk_measure=RiskMeasure.VARIANCE,
            prior_estimator=prior,
        )
    if name == "risk_parity":
        return RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, prior_estimator=prior)
    if name == "maximum_diversification":
        return MaximumDiversification(prior_estimator=prior)
    raise ValueError(name)


def objective(name: str, weights: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Lower is better for every strategy."""
    if name == "minimum_variance":
        return portfolio_variance(weights, cov)
    if name == "maximum_sharpe":
        return -sharpe(weights, mean, cov)
    if name == "maximum_diversification":
        return -diversification_ratio(weights, cov)
    contributions = risk_contributions(weights, cov)
    shares = contributions / contributions.sum(axis=-1, keepdims=True)
    return np.abs(shares - 1.0 / weights.shape[-1]).max(axis=-1)  # risk parity: budget gap


def run_skfolio(name: str, returns: pd.DataFrame, positions: np.ndarray):
    """skfolio walk-forward over the decision positions; returns seconds per rebalance and weights."""
    from skfolio.model_selection import WalkForward, cross_val_predict

    weights, seconds, solved = [], 0.0, 0
    # WalkForward over contiguous blocks around each sampled date: train on the 50 returns
    # up to and including the decision date, test on the next day. skfolio raises where the
    # problem has no answer (maximum Sharpe with every expected return below the risk-free
    # rate; riskalloc falls back to minimum variance there): those dates are counted, not timed.
    for position in positions:
        block = returns.iloc[position - WINDOW + 1 : position + 2]
        start = time.perf_counter()
        try:
            prediction = cross_val_predict(
                skfolio_estimator(name), block, cv=WalkForward(train_size=WINDOW, test_size=1)
            )
        except ValueError:
            weights.append(np.full(returns.shape[1], np.nan))
            continue
        seconds += time.perf_counter() - start
        solved += 1
        weights.append(np.asarray(prediction.portfolios[0].weights))
    return seconds / max(solved, 1), np.array(weights)


def case(
    label: str,
    prices: pd.DataFrame,
    strategies: list[str],
    skfolio_dates: int,
    rebalances: int | None = None,
) -> list[dict]:
    market = ra.MarketData(prices)
    dates = market.dates[WINDOW:-1]  # every daily rebalance with a full window and a next day
    if rebalances is not None:
        dates = dates[:rebalances]
    positions = market.dates.get_indexer(dates)
    sample = np.unique(np.linspace(0, len(dates) - 1, min(skfolio_dates, len(dates))).astype(int))
    windows = market.return_windows(dates[sample], WINDOW)
    mean, cov = estimate_mean(windows), estimate_covariance(windows)
    rows = []
    for name in strategies:
        strategy = ra.get_strategy(name, window=WINDOW).fit(market.until(dates[0]))
        strategy.allocate(market, dates[:5])  # warm-up (imports, first torch call)
        start = time.perf_counter()
        ours = strategy.allocate(market, dates).to_numpy()
        ours_seconds = (time.perf_counter() - start) / len(dates)
        theirs_seconds, theirs = run_skfolio(name, market.returns, positions[sample])
        answered = ~np.isnan(theirs).any(axis=1)
        ours_obj = objective(name, ours[sample][answered], mean[answered], cov[answered])
        theirs_obj = objective(name, theirs[answered], mean[answered], cov[answered])
        if name == "risk_parity":
            gap = float(np.max(ours_obj - theirs_obj))  # absolute gap in contribution shares
        else:
            gap = float(np.max((ours_obj - theirs_obj) / np.abs(theirs_obj)))
        rows.append(
            {
                "case": label,
                "strategy": name,
                "assets": prices.shape[1],
                "rebalances": len(dates),
                "riskalloc_ms": 1e3 * ours_seconds,
                "skfolio_ms": 1e3 * theirs_seconds,
                "speedup": theirs_seconds / ours_seconds,
                "skfolio_dates": len(sample),
                "gap": gap,
                "max_weight_diff": float(np.abs(ours[sample][answered] - theirs[answered]).max()),
                "skfolio_failed": int((~answered).sum()),
            }
        )
        print_row(rows[-1])
    return rows


def print_row(row: dict) -> None:
    print(
        f"| {row['case']} | {row['strategy']} | {row['assets']} | {row['rebalances']} | {row['riskalloc_ms']:.3f} "
        f"| {row['skfolio_ms']:.2f} ({row['skfolio_dates']} dates) | {row['speedup']:.0f}x | {row['gap']:.1e} "
        f"| {row['max_weight_diff']:.1e} | {row['skfolio_failed']} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer skfolio dates")
    parser.add_argument("--only", choices=["bull", "all20", "synthetic"], help="run one case")
    args = parser.parse_args()
    sample = 40 if args.quick else 200
    import torch

    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numpy {np.__version__}"
    )
    print(
        "| case | strategy | assets | rebalances | riskalloc ms/rebalance | skfolio ms/rebalance | speed-up "
        "| objective gap | max weight diff | skfolio raised |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    core = ["minimum_variance", "maximum_sharpe", "risk_parity", "maximum_diversification"]
    if args.only in (None, "bull"):
        case("bull-2010, daily 2010-2016", ra.scenario("bull-2010").prices, core, sample)
    if args.only in (None, "all20"):
        case(
            "20 assets, daily 2010-2016",
            ra.load_dataset("sp500").loc["2010":"2016"],
            core,
            sample // 2,
        )
    if args.only not in (None, "synthetic"):
        return
    rng = np.random.default_rng(0)
    factor = rng.normal(0, 0.01, size=(300, 1))
    synthetic = np.exp(np.cumsum(3e-4 + factor + rng.normal(0, 0.015, size=(300, 500)), axis=0))
    synthetic = pd.DataFrame(
        synthetic,
        index=pd.bdate_range("2015-01-01", periods=300),
        columns=[f"A{i:03d}" for i in range(500)],
    )
    # 50-day windows of 500 assets are singular (regularised); few rebalances, as the
    # active-set method needs about one iteration per asset that ends at a bound.
    case("synthetic 500 assets", synthetic, ["minimum_variance", "risk_parity"], 3, rebalances=10)


if __name__ == "__main__":
    main()
