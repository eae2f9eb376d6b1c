"""One default fit of a deep strategy: block trainer vs the windowed trainer it replaced.

Both fit ``deep_sharpe`` on covid-2017's training span (20 assets, 2010-2016) at the same
run context (weekly rebalancing, 10 bps), the same seed, epochs and early stopping:

- **blocks** (today's default): the MLP on block objectives (``train_on_blocks``: blocks
  of 63 decision dates simulated with the schedule, drift, costs and cash; inputs built
  once per fit);
- **windowed** (the reference, the previous default): an LSTM 2 x 64 trained per decision
  date on the Sharpe ratio of its own 5 held days (``train_loop`` on ``(S, 5, N)``
  samples), the trainer issue 14 replaced. It is written out here so that both are
  timed in the same run.

    .venv/bin/python bench/deep_fit.py [--threads 2] [--scenario covid-2017] [--refit]

With ``--refit`` it also times a default walk-forward backtest (yearly warm-started
refits over the test span) against the first fit.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

import riskalloc as ra
from riskalloc.core import RunContext, seeded
from riskalloc.strategies.deep import LossInputs, negative_sharpe
from riskalloc.strategies.deep._training import decision_returns, train_loop


def blocks_fit(train: ra.MarketData, context: RunContext, seed: int) -> tuple[float, int]:
    strategy = ra.get_strategy("deep_sharpe", seed=seed)
    started = time.perf_counter()
    strategy.fit(train, context)
    return time.perf_counter() - started, len(strategy.history_.train_loss)


def windowed_fit(train: ra.MarketData, context: RunContext, seed: int) -> tuple[float, int]:
    """The previous trainer: one sample per decision date, its 5 held days, an LSTM."""
    strategy = ra.get_strategy("deep_sharpe", network="lstm", seed=seed, retrain_every=None)
    started = time.perf_counter()
    strategy._check_parameters()
    strategy.assets_ = list(train.assets)
    strategy.context_ = context
    strategy.features_ = strategy.feature_builder().fit(train)
    dates = strategy.sample_dates(train)
    returns = torch.as_tensor(decision_returns(train, dates, 5, "reference"), dtype=torch.float64)
    inputs = strategy.inputs(train, dates)
    loss = negative_sharpe()
    with seeded(seed) as generator:
        model = strategy.build_model(strategy.features_.n_features, len(strategy.assets_))

        def batch_loss(index: torch.Tensor) -> torch.Tensor:
            weights = model(inputs[index]).to(torch.float64)
            return loss(LossInputs(weights=weights, asset_returns=returns[index], cost_rate=0.001))

        optimizer = torch.optim.Adam(model.parameters(), lr=strategy.learning_rate)
        history = train_loop(
            model,
            batch_loss,
            len(dates),
            epochs=strategy.epochs,
            batch_size=strategy.batch_size,
            optimizer=optimizer,
            generator=generator,
            validation_fraction=strategy.validation_fraction,
            patience=strategy.patience,
            horizon=5,
            caller="reference",
        )
    return time.perf_counter() - started, len(history.train_loss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenario", default="covid-2017")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refit", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    scenario = ra.scenario(args.scenario)
    market = ra.MarketData(scenario.prices, name=args.scenario)
    train = market.until(scenario.train_end)
    context = RunContext(costs_bps=10, rebalance="weekly")
    print(f"# {platform.machine()}, torch {torch.__version__}, {args.threads} thread(s), "
          f"{args.scenario}: {len(train)} training dates x {len(train.assets)} assets")  # fmt: skip
    block_seconds, block_epochs = blocks_fit(train, context, args.seed)
    window_seconds, window_epochs = windowed_fit(train, context, args.seed)
    print("| trainer | network | seconds | epochs run | s / epoch | speed-up |")
    print("|---|---|---|---|---|---|")
    print(f"| windowed (reference) | lstm 2x64 | {window_seconds:.1f} | {window_epochs} | "
          f"{window_seconds / window_epochs:.2f} | 1.0x |")  # fmt: skip
    print(f"| blocks (default) | mlp 2x64 | {block_seconds:.1f} | {block_epochs} | "
          f"{block_seconds / block_epochs:.2f} | {window_seconds / block_seconds:.1f}x |")  # fmt: skip
    if args.refit:
        strategy = ra.get_strategy("deep_sharpe", seed=args.seed)
        result = ra.backtest(scenario, strategy, rebalance="weekly", costs_bps=10)
        refits = len(strategy.refit_dates_)
        print(f"\nwalk-forward backtest: first fit {result.seconds['fit']:.1f} s, allocate with "
              f"{refits} yearly warm-started refits {result.seconds['allocate']:.1f} s "
              f"({result.seconds['allocate'] / max(refits, 1):.1f} s a refit, "
              f"{result.seconds['allocate'] / max(refits, 1) / result.seconds['fit']:.2f}x "
              "the first fit)")  # fmt: skip


if __name__ == "__main__":
    main()
