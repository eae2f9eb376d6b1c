"""Which network should a deep strategy use by default? Fit time and validation objective.

For each network and scenario, one default fit of a deep strategy (same seed, weekly
rebalancing, 10 bps) records the wall time of ``fit`` and the best validation objective
of early stopping (the end of the training span: the test span is never read here, so
this choice is not made on test data). Lower validation loss is better (minus Sharpe
for deep_sharpe).

    .venv/bin/python bench/deep_networks.py [--strategy deep_sharpe] [--seeds 2]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

import riskalloc as ra
from riskalloc.core import RunContext

NETWORKS = ("mlp", "lstm", "tcn", "transformer")
SCENARIOS = ("bull-2010", "bear-2003", "covid-2017")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", default="deep_sharpe")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} thread(s), {args.strategy}, seeds 0..{args.seeds - 1}"
    )
    print("| network | scenario | fit s (median) | best validation loss (median) | epochs run |")
    print("|---|---|---|---|---|")
    for network in args.networks.split(","):
        for name in SCENARIOS:
            scenario = ra.scenario(name)
            market = ra.MarketData(scenario.prices, name=name)
            train_end = scenario.train_end
            train = market.until(train_end)
            seconds, losses, epochs = [], [], []
            for seed in range(args.seeds):
                strategy = ra.get_strategy(args.strategy, network=network, seed=seed)
                started = time.perf_counter()
                strategy.fit(train, RunContext(costs_bps=10, rebalance="weekly"))
                seconds.append(time.perf_counter() - started)
                history = strategy.history_
                losses.append(history.validation_loss[history.best_epoch])
                epochs.append(len(history.train_loss))
            print(
                f"| {network} | {name} | {np.median(seconds):.1f} | {np.median(losses):.3f} | "
                f"{int(np.median(epochs))} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
