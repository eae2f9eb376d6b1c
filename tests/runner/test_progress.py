"""The progress display shows the training of running cells, and changes no result.

Events travel one way, from the trainers to the driver: directly with ``--workers 1``,
over a queue from worker processes; metrics are the same, byte for byte, with or
without the display.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from riskalloc.runner import (
    DataSource,
    SourceKind,
    StrategyChoice,
    execute,
    plan_grid,
    run_benchmark,
)
from riskalloc.runner._grid import BacktestSettings
from riskalloc.runner._progress import GridProgress
from riskalloc.strategies import TrainingStep, TrainingUnit

MARKET = "synthetic:regime:assets=4,days=900,seed=0"
TINY_DEEP = {
    "retrain_every": None,
    "lookback": 10,
    "hidden_size": 8,
    "n_layers": 1,
    "epochs": 3,
    "validation_fraction": 0.0,  # trains every epoch: the events are known in advance
    "volatility_windows": (5,),
    "ma_windows": (5,),
    "rsi_window": None,
    "drawdown_window": 60,
    "market": False,
}
STRATEGIES = [StrategyChoice("equal_weight"), StrategyChoice("deep_sharpe", TINY_DEEP)]
SETTINGS = BacktestSettings(rebalance="weekly", train_fraction=0.6)


@pytest.fixture(scope="module")
def grid():
    source = DataSource(SourceKind.DATASET, MARKET)
    data = {source.label: source.load()}
    return data, plan_grid(data, STRATEGIES, seeds=1, settings=SETTINGS)


def _metrics(outcomes) -> dict:
    return {outcome.spec.cell_id: outcome.metrics for outcome in outcomes}


def test_worker_processes_report_each_cells_start_and_every_epoch(grid):
    data, specs = grid
    events: list[tuple[str, TrainingStep | None]] = []
    watched = list(
        execute(
            specs, data, workers=2, on_event=lambda spec, step: events.append((spec.strategy, step))
        )
    )
    quiet = list(execute(specs, data, workers=2))
    assert all(outcome.ok for outcome in watched)
    assert _metrics(watched) == _metrics(quiet)
    assert sorted(strategy for strategy, step in events if step is None) == [
        "deep_sharpe",
        "equal_weight",
    ]
    assert [step for strategy, step in events if step is not None] == [
        TrainingStep(TrainingUnit.EPOCH, epoch, 3) for epoch in (1, 2, 3)
    ]


def test_a_benchmark_writes_the_same_metrics_with_the_display_on_and_off(tmp_path):
    # In the driver's process (--workers 1): the display and the trainers share a thread.
    common = {"seeds": 1, "workers": 1, "settings": SETTINGS}
    source = [DataSource(SourceKind.DATASET, MARKET)]
    shown = run_benchmark(source, STRATEGIES, tmp_path / "shown", progress=True, **common)
    hidden = run_benchmark(source, STRATEGIES, tmp_path / "hidden", progress=False, **common)
    assert shown.ok and hidden.ok
    assert (tmp_path / "shown" / "metrics.csv").read_bytes() == (
        tmp_path / "hidden" / "metrics.csv"
    ).read_bytes()


def test_the_display_keeps_a_line_per_running_cell_with_its_epoch(grid, monkeypatch):
    _, specs = grid
    deep = next(spec for spec in specs if spec.strategy == "deep_sharpe")
    classical = next(spec for spec in specs if spec.strategy == "equal_weight")
    output = io.StringIO()
    monkeypatch.setattr("rich.console.Console", lambda **kwargs: Console(file=output, width=150))
    with GridProgress(True, total=2, done=0) as display:
        display.on_event(deep, None)
        display.on_event(classical, None)
        for done in (1, 2):
            display.on_event(deep, TrainingStep(TrainingUnit.EPOCH, done, 20))
        display.on_event(deep, TrainingStep(TrainingUnit.EPOCH, 1, 5))  # a refit begins
        lines = {task.fields["count"].strip() for task in display.bar.tasks}
        assert lines == {"[bold]cells[/bold] 0/2", "refit 1: epoch 1/5", "starting"}
        display.finished(classical, ok=True)
        display.on_event(classical, TrainingStep(TrainingUnit.EPOCH, 1, 1))  # late: ignored
        display.finished(deep, ok=False)
        assert [task.fields["count"] for task in display.bar.tasks] == ["[bold]cells[/bold] 2/2"]
    assert "failed: deep_sharpe / seed 0" in output.getvalue()
