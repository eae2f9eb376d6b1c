"""Parallel runs that are parallel: four deep cells on one worker, then on two.

Run: ``.venv/bin/python bench/parallel_deep.py`` (``--epochs``, ``--scenario``,
``--seeds``, ``--strategies``)

The grid is ``deep_sharpe`` and ``deep_cvar`` with 2 seeds each (four cells) on
``covid-2017`` (20 assets; trained on 2010-2016, tested 2017-2022), the MLP network (2 x 64,
lookback 50), ``epochs=50`` with no early stopping, fitted once (``retrain_every=None``: no
walk-forward refits), so the cells are the same work whatever the strategies' defaults.

It runs through :func:`riskalloc.runner.run_benchmark` twice, into fresh folders:
``--workers 1`` (in process, torch, numba and BLAS on every core) and ``--workers 2``
(two spawned processes, each with ``cores // 2`` threads). The end-of-run statistics
are off; data loading is in both times, and starting the worker processes in the
second. ``cell s`` sums the cells' own times.

A reference row, not through the runner: the same cells one after another in this
process on one thread. It separates the two things that make the 2-worker run
faster: parallel cells, and one thread per cell instead of two (on a busy machine a
two-thread operation waits for its slower thread).

Target: the 2-worker wall time at most 0.6x the 1-worker wall time on 2 cores.
Before the runner budgeted threads, each worker's torch took every core and two workers
on 2 cores trained ~15x slower.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from riskalloc.core import available_cores, thread_budget_scope
from riskalloc.evaluation import StatisticsSettings
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    plan_grid,
    run_benchmark,
    run_cell,
)
from riskalloc.store import RunStore

TARGET = 0.6


def strategies(args: argparse.Namespace) -> list[StrategyChoice]:
    # patience=epochs: no early stopping, so every run trains every epoch.
    params = {
        "network": "mlp",
        "epochs": args.epochs,
        "patience": args.epochs,
        "retrain_every": None,
    }
    return [StrategyChoice(name, params) for name in args.strategies]


def timed_run(out: Path, args: argparse.Namespace, workers: int) -> tuple[float, float]:
    """Wall seconds of the whole run, and the sum of the cells' own seconds."""
    started = time.perf_counter()
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, args.scenario)],
        strategies(args),
        out,
        seeds=args.seeds,
        workers=workers,
        progress=False,
        statistics=StatisticsSettings(enabled=False),
    )
    wall = time.perf_counter() - started
    if not summary.ok:
        raise SystemExit(f"cells failed: {summary.failures}")
    store = RunStore(out)
    cells = sum(store.load_cell(spec)["info"]["seconds"]["total"] for spec in summary.specs)
    return wall, cells


def timed_one_thread(args: argparse.Namespace) -> tuple[float, float]:
    """The same cells in this process, one after another, on one thread."""
    started = time.perf_counter()
    data = {args.scenario: DataSource(SourceKind.SCENARIO, args.scenario).load()}
    specs = plan_grid(data, strategies(args), args.seeds, BacktestSettings())
    with thread_budget_scope(1):
        outcomes = [run_cell(spec, data[spec.scenario]) for spec in specs]
    wall = time.perf_counter() - started
    failed = [outcome.error for outcome in outcomes if not outcome.ok]
    if failed:
        raise SystemExit(f"cells failed: {failed}")
    return wall, sum(outcome.info["seconds"]["total"] for outcome in outcomes)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="covid-2017")
    parser.add_argument(
        "--strategies", default="deep_sharpe,deep_cvar", type=lambda s: s.split(",")
    )
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()

    cores = available_cores()
    print(
        f"{platform.machine()} cores={cores} load={load()} "
        f"python {platform.python_version()} torch {torch.__version__}"
    )
    print(
        f"grid: {args.scenario} x {','.join(args.strategies)} x {args.seeds} seeds, "
        f"epochs={args.epochs}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            wall, cells = timed_run(Path(folder) / f"workers-{workers}", args, workers)
            rows.append((f"{workers} (runner)", max(1, cores // workers), wall, cells))
            print(f"  workers={workers}: {wall:.1f} s (load {load()})", flush=True)
    wall, cells = timed_one_thread(args)
    rows.append(("1 (reference, in process)", 1, wall, cells))
    print(f"  reference: {wall:.1f} s (load {load()})", flush=True)

    serial = rows[0][2]
    print()
    print("| workers | threads each | wall s | cell s (sum) | wall / 1-worker wall |")
    print("|---|---|---|---|---|")
    for workers, threads, wall, cells in rows:
        print(f"| {workers} | {threads} | {wall:.1f} | {cells:.1f} | {wall / serial:.2f}x |")
    ratio = rows[1][2] / serial
    verdict = "met" if ratio <= TARGET else "missed"
    print(f"\n2-worker / 1-worker wall time {ratio:.2f} (target <= {TARGET}: {verdict})")
    print(f"2-worker / 1-thread reference wall time {rows[1][2] / rows[2][2]:.2f}")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
