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

Then where a 2-worker run's time goes, from one more 2-worker run through
:func:`riskalloc.runner.execute` (time stamps in the driver: each cell's start, heard
from its worker, and each outcome's arrival): starting the workers (spawning, importing
torch and riskalloc, reading the data) until each worker's first cell starts, the cells
(a worker's first cell also pays one-off lazy imports, e.g. ``torch._dynamo`` through
``torch.use_deterministic_algorithms``), the tail (one worker idle) and shutting the pool
down (the workers' interpreters tearing down torch).

Last, the hardware check, not through the runner: a fixed torch MLP training loop in one
process with one thread, in two processes at once with one thread each, and in one
process with two threads. Each process's time, and the CPU time the machine spent on
other processes meanwhile (from ``/proc/stat``: a number above ~0.2 s means someone
else's work skewed the row). If two one-thread processes each run as fast as one alone,
the cores are not shared; the best a 2-worker run can do against a 2-thread one is
then ``two-process time / (2 x two-thread time)`` before fixed costs.

Target: the 2-worker wall time at most 0.6x the 1-worker wall time on 2 cores.
Before the runner budgeted threads, each worker's torch took every core and two workers
on 2 cores trained ~15x slower.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time
from pathlib import Path
from statistics import mean, median

import torch

from riskalloc.core import available_cores, thread_budget_scope
from riskalloc.evaluation import StatisticsSettings
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    execute,
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


def timed_run(out: Path, args: argparse.Namespace, workers: int) -> tuple[float, float, float]:
    """Wall seconds of the whole run, the sum of the cells' own seconds and their median."""
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
    cells = [store.load_cell(spec)["info"]["seconds"]["total"] for spec in summary.specs]
    return wall, sum(cells), median(cells)


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


def phases(args: argparse.Namespace, workers: int = 2) -> dict[str, float]:
    """Where a ``workers``-worker run's time goes, from time stamps taken in the driver."""
    data = {args.scenario: DataSource(SourceKind.SCENARIO, args.scenario).load()}
    specs = plan_grid(data, strategies(args), args.seeds, BacktestSettings())
    started: list[float] = []
    finished: list[tuple[float, float]] = []  # (arrival, the cell's own seconds)
    clock = time.perf_counter()

    def on_event(spec, step) -> None:
        if step is None:
            started.append(time.perf_counter() - clock)

    for outcome in execute(specs, data, workers=workers, on_event=on_event):
        if not outcome.ok:
            raise SystemExit(f"cell failed: {outcome.error}")
        finished.append((time.perf_counter() - clock, outcome.info["seconds"]["total"]))
    done = time.perf_counter() - clock
    arrivals = sorted(arrival for arrival, _ in finished)
    seconds = [cell for _, cell in sorted(finished)]
    first, later = seconds[:workers], seconds[workers:]
    return {
        "first cell starts (s after the pool is asked for)": min(started),
        f"worker {workers}'s first cell starts": sorted(started)[workers - 1],
        "first cells, mean s (with one-off imports)": mean(first),
        "later cells, mean s": mean(later) if later else float("nan"),
        "tail: last cell alone, s": arrivals[-1] - arrivals[-2] if len(arrivals) > 1 else 0.0,
        "pool shutdown after the last cell, s": done - arrivals[-1],
        "wall s": done,
        "cores busy with cells": sum(seconds) / (workers * done),
    }


def _busy_seconds() -> float | None:
    """CPU seconds the machine has been busy since boot (Linux), or None."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:11]]
    except OSError:
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _train(threads: int, steps: int, ready, results) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    network = torch.nn.Sequential(
        torch.nn.Linear(1000, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 20),
    )
    optimiser = torch.optim.Adam(network.parameters(), 1e-3)
    inputs, targets = torch.randn(2048, 1000), torch.randn(2048, 20)

    def step() -> None:
        loss = ((network(inputs) - targets) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    for _ in range(5):
        step()
    ready.wait()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    results.put((time.perf_counter() - wall, time.process_time() - cpu))


def scaling_check(processes: int, threads: int, steps: int) -> tuple[float, float | None]:
    """The slowest process's seconds for ``steps`` training steps, ``processes`` at once
    with ``threads`` threads each; and other processes' CPU seconds meanwhile."""
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(processes + 1), context.Queue()
    workers = [
        context.Process(target=_train, args=(threads, steps, ready, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait()
    busy = _busy_seconds()
    times = [results.get() for _ in workers]
    busy_after = _busy_seconds()
    for worker in workers:
        worker.join()
    others = None
    if busy is not None and busy_after is not None:
        others = max(0.0, busy_after - busy - sum(cpu for _, cpu in times))
    return max(wall for wall, _ in times), others


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
    parser.add_argument("--steps", type=int, default=150, help="hardware check's steps")
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
    typical_cell: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            wall, cells, typical_cell[workers] = timed_run(
                Path(folder) / f"workers-{workers}", args, workers
            )
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

    print(f"\nWhere a 2-worker run's time goes (load {load()}):")
    breakdown = phases(args)
    for name, value in breakdown.items():
        print(f"  {name}: {value:.2f}")
    later = breakdown["later cells, mean s"]
    print(
        f"  a cell after the first: 1 worker {typical_cell[1]:.2f} s (median), 2 workers "
        f"{later:.2f} s; 2-worker / 1-worker ratio before fixed costs "
        f"{later / (2 * typical_cell[1]):.2f}"
    )

    print(f"\nHardware check: {args.steps} MLP training steps (load {load()})")
    print("| processes x threads | s (slowest process) | others' CPU s meanwhile |")
    print("|---|---|---|")
    checks = {}
    for processes, threads in ((1, 1), (2, 1), (1, 2)):
        seconds, others = scaling_check(processes, threads, args.steps)
        checks[processes, threads] = seconds
        shown = "n/a" if others is None else f"{others:.2f}"
        print(f"| {processes} x {threads} | {seconds:.2f} | {shown} |")
    print(
        f"two 1-thread processes at once: {checks[2, 1] / checks[1, 1]:.2f}x one alone; "
        f"2 threads: {checks[1, 1] / checks[1, 2]:.2f}x faster than 1; best 2-worker / "
        f"1-worker ratio before fixed costs {checks[2, 1] / (2 * checks[1, 2]):.2f}"
    )
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
