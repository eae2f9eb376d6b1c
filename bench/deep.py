"""Deep allocators: training time of deep_cvar on covid-2017, and allocation latency by size.

Run: ``.venv/bin/python bench/deep.py`` (``--epochs``, ``--repeats``, ``--threads``,
``--skip-training``, ``--skip-tcn-training``,
``--models lstm,mlp,tcn,tcn-window,transformer-full,transformer-linear``,
``--sizes 50,500,2000``)

1. Training: one fit of ``deep_cvar`` with its default parameters (LSTM 2 x 64,
   lookback 50, 20 epochs with early stopping after 5 without a better
   validation loss) on the training span of ``covid-2017`` (20 assets,
   2010-2016), with torch on one thread and on every core. Target: under 2
   minutes on 2 cores.
2. Latency of one decision, batch of one, after warm-up, for 50, 500 and 2,000
   assets: ``forward`` is the trained network and allocation layer on a ready
   input tensor; ``features+forward`` also builds the standardised input windows
   from prices (the whole of what ``allocate`` does per date); ``stream step``
   is :meth:`DecisionStream.step`, the serving path: the new day's prices pushed
   into a :class:`~riskalloc.features.FeatureStream` (only the new feature row is
   computed), the forward pass on one thread, the weights as a Series. The LSTM
   is the model trained in part 1 (parameters are shared across assets, so one
   model serves any number of them); the MLP, TCN and two transformers are built
   with the default width and untrained (latency does not depend on parameter
   values). Reference in the same run: the 50-asset stream time of the same
   model, to show how time grows with the number of assets; the published claim
   to beat is 25 ms for 50 assets, the target a p50 under 1 ms end to end.
   The TCN's stream steps from its cached activations (one column per
   convolution); ``tcn-window`` times the same model run on the whole window
   each day, as the stream did before the cache.
3. TCN training, windowed vs sequence path: one fit of ``deep_sharpe`` with
   ``network="tcn"`` (defaults otherwise: lookback 50, 2 stacks x 64, 20 epochs
   with early stopping) on covid-2017's training span, weekly rebalancing, same
   seed, once on every date's window and once in one pass over each block's
   feature rows; wall and CPU seconds, the memory of the training inputs, and the
   largest difference of the two models' weights over the first 250 test dates.

The risk-budgeting layer's forward + backward against cvxpylayers is
``bench/risk_budgeting_layer.py``.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time

import numpy as np
import pandas as pd
import torch

import riskalloc as ra
from riskalloc.core import threads_for

SIZES = (50, 500, 2000)


def train(epochs: int | None, threads: int) -> tuple[object, float]:
    torch.set_num_threads(threads)
    s = ra.scenario("covid-2017")
    data = ra.MarketData(s.prices, name="covid-2017")
    params = {} if epochs is None else {"epochs": epochs}
    # One fitted model serves the streams (no walk-forward refits).
    strategy = ra.get_strategy("deep_cvar", seed=0, retrain_every=None, **params)
    started = time.perf_counter()
    strategy.fit(data.until(s.train_end))
    return strategy, time.perf_counter() - started


def train_tcn(sequence: bool, epochs: int | None, threads: int):
    """One fit of deep_sharpe (TCN) on covid-2017, weekly: (strategy, wall s, CPU s, input MB)."""
    torch.set_num_threads(threads)
    s = ra.scenario("covid-2017")
    data = ra.MarketData(s.prices, name="covid-2017")
    params = {} if epochs is None else {"epochs": epochs}
    strategy = ra.get_strategy("deep_sharpe", network="tcn", seed=0, **params)
    strategy.sequence_training = sequence
    train = data.until(s.train_end)
    wall, cpu = time.perf_counter(), time.process_time()
    strategy.fit(train, ra.RunContext(rebalance="weekly"))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    inputs = strategy.block_data(train)
    held = getattr(inputs, "rows", inputs.inputs)
    return strategy, wall, cpu, held.numel() * held.element_size() / 2**20


def tcn_training(epochs: int | None, threads: int) -> None:
    print("\n## TCN training (deep_sharpe, covid-2017, weekly): windowed vs sequence path\n")
    print("| path | seconds | CPU seconds | epochs run | best epoch | s / epoch | inputs MB |")
    print("|---|---|---|---|---|---|---|")
    s = ra.scenario("covid-2017")
    data = ra.MarketData(s.prices, name="covid-2017")
    dates = data.dates[data.dates > s.train_end][:250]
    results = {}
    for label, sequence in (("windowed", False), ("sequence", True)):
        strategy, wall, cpu, megabytes = train_tcn(sequence, epochs, threads)
        run = len(strategy.history_.train_loss)
        print(
            f"| {label} | {wall:.1f} | {cpu:.1f} | {run} | {strategy.history_.best_epoch + 1} "
            f"| {wall / run:.2f} | {megabytes:.1f} |"
        )
        results[label] = (wall, cpu, strategy.predict(data, dates).to_numpy())
    gap = np.abs(results["windowed"][2] - results["sequence"][2]).max()
    print(
        f"\nSequence path {results['windowed'][0] / results['sequence'][0]:.1f}x faster "
        f"(CPU {results['windowed'][1] / results['sequence'][1]:.1f}x); largest weight "
        f"difference over 250 test dates {gap:.1e}."
    )


def synthetic_history(n_assets: int, n_dates: int, seed: int = 0) -> ra.MarketData:
    """Random-walk prices on real trading dates (the market index covers them)."""
    dates = ra.load_dataset("sp500").index[-n_dates:]
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0003, 0.015, size=(n_dates, n_assets))
    prices = 100 * np.cumprod(1 + returns, axis=0)
    frame = pd.DataFrame(prices, index=dates, columns=[f"S{i}" for i in range(n_assets)])
    return ra.MarketData(frame, name=f"synthetic-{n_assets}")


def percentiles(call, repeats: int) -> tuple[float, float]:
    for _ in range(max(repeats // 10, 3)):
        call()
    times = np.empty(repeats)
    for k in range(repeats):
        started = time.perf_counter()
        call()
        times[k] = time.perf_counter() - started
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)


def latency(
    strategy, n_assets: int, repeats: int, cache: bool = True
) -> dict[str, tuple[float, float]]:
    # Enough days after the first full window for every timed and warm-up stream step.
    pushes = repeats + max(repeats // 10, 3)
    everything = synthetic_history(n_assets, strategy.min_history + pushes)
    history = everything.until(everything.dates[strategy.min_history - 1])
    date = history.dates[-1:]
    model = strategy.model_.eval()
    values = strategy.features_.n_features * strategy.lookback * n_assets

    def forward(inputs):
        with torch.inference_mode(), threads_for(values):
            return model(inputs)

    inputs = strategy.inputs(history, date)
    # The network is shared across assets: the same model serves these synthetic ones.
    serving = copy.copy(strategy)
    serving.assets_ = list(history.assets)
    stream = serving.decision_stream(history)
    if not cache:
        stream._tcn = None  # the whole window each day, as before the TCN's cache
    days = iter(everything.prices.iloc[len(history) :].iterrows())

    def step() -> None:
        day, prices = next(days)
        stream.step(day, prices.to_numpy())

    return {
        "forward": percentiles(lambda: forward(inputs), repeats),
        "features+forward": percentiles(lambda: forward(strategy.inputs(history, date)), repeats),
        "stream step": percentiles(step, repeats),
    }


def untrained(trained, network: str, attention: str = "full"):
    """A ``network`` on the trained LSTM's features (its scaler), default width, untrained."""
    strategy = ra.get_strategy(
        "deep_cvar", network=network, attention=attention, retrain_every=None
    )
    strategy.features_ = trained.features_
    strategy.assets_ = trained.assets_
    strategy.fit_end_ = trained.fit_end_
    with torch.random.fork_rng():
        torch.manual_seed(0)
        strategy.model_ = strategy.build_model(trained.features_.n_features, 20)
    return strategy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="Override deep_cvar's epochs.")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--skip-training", action="store_true", help="Train 1 epoch only.")
    parser.add_argument(
        "--skip-tcn-training", action="store_true", help="No windowed vs sequence TCN fits."
    )
    parser.add_argument(
        "--threads", type=int, nargs="*", default=None, help="Torch threads to train with."
    )
    parser.add_argument(
        "--models",
        default="lstm,mlp,tcn,tcn-window,transformer-full,transformer-linear",
        help="Comma-separated latency rows to time (default: all).",
    )
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="Comma-separated asset counts."
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    wanted = set(args.models.split(","))
    cores = os.cpu_count() or 1
    print(
        f"machine: {platform.processor() or platform.machine()}, {cores} cores; "
        f"torch {torch.__version__}; python {platform.python_version()}"
    )

    print("\n## Training deep_cvar (defaults) on covid-2017's training span\n")
    print("| torch threads | seconds | epochs run | best epoch | s / epoch | vs 120 s target |")
    print("|---|---|---|---|---|---|")
    epochs = 1 if args.skip_training else args.epochs
    trained = None
    for threads in args.threads or sorted({1, cores}):
        strategy, seconds = train(epochs, threads)
        history = strategy.history_
        run = len(history.train_loss)
        print(
            f"| {threads} | {seconds:.1f} | {run} | {history.best_epoch + 1} | "
            f"{seconds / run:.2f} | {seconds / 120:.2f}x |"
        )
        trained = strategy
    torch.set_num_threads(cores)

    print("\n## Latency of one decision (batch of one, after warm-up)\n")
    print(
        "| model | assets | forward p50 ms | forward p99 ms | features+forward p50 ms "
        "| features+forward p99 ms | stream step p50 ms | stream step p99 ms "
        "| stream p50 / p50 at 50 assets | 25 ms claim / stream p50 | stream p50 < 1 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    builders = {
        "lstm": ("lstm 2x64 (trained)", lambda: trained),
        "mlp": ("mlp 2x64", lambda: untrained(trained, "mlp")),
        "tcn": ("tcn 2x64", lambda: untrained(trained, "tcn")),
        "tcn-window": ("tcn 2x64, stream on the window", lambda: untrained(trained, "tcn")),
        "transformer-full": (
            "transformer, full attention",
            lambda: untrained(trained, "transformer", "full"),
        ),
        "transformer-linear": (
            "transformer, linear attention",
            lambda: untrained(trained, "transformer", "linear"),
        ),
    }
    unknown = sorted(wanted - set(builders))
    if unknown:
        parser.error(f"--models: unknown {unknown[0]!r}; choose from {', '.join(builders)}")
    models = {key: (label, build()) for key, (label, build) in builders.items() if key in wanted}
    for key, (label, strategy) in models.items():
        base = None
        for n in sizes:
            repeats = args.repeats if n <= 500 else max(args.repeats // 5, 20)
            result = latency(strategy, n, repeats, cache=key != "tcn-window")
            f50, f99 = result["forward"]
            a50, a99 = result["features+forward"]
            s50, s99 = result["stream step"]
            base = base or s50
            print(
                f"| {label} | {n} | {f50:.3f} | {f99:.3f} | {a50:.3f} | {a99:.3f} | "
                f"{s50:.3f} | {s99:.3f} | {s50 / base:.1f}x (assets {n / sizes[0]:.0f}x) | "
                f"{25 / s50:.0f}x | {'yes' if s50 < 1 else 'no'} |"
            )
    torch.set_num_threads(cores)
    if not args.skip_tcn_training:
        for threads in args.threads or [cores]:
            tcn_training(args.epochs, threads)


if __name__ == "__main__":
    main()
