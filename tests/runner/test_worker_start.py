"""Local workers start together: the data reaches them from a file, not down their start pipes.

A spawned worker reads its start arguments only after importing riskalloc (seconds), and
the driver's write into the 64 KiB pipe blocks until it does: with the data among those
arguments the workers started one after another. The pool here runs its worker in this
process, so the test takes no process start-up; ``test_backends`` runs real ones.
"""

import pickle
import tempfile
from concurrent.futures import Future
from typing import ClassVar

import pytest

from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    _backends,
    plan_grid,
    run_cell,
)

PIPE_BUFFER = 64 * 1024


class InlinePool:
    """A one-worker stand-in for ProcessPoolExecutor that records its start arguments."""

    started: ClassVar[list[tuple]] = []

    def __init__(self, max_workers, mp_context, initializer, initargs):
        self.started.append(initargs)
        initializer(*initargs)

    def submit(self, function, *args):
        future = Future()
        future.set_result(function(*args))
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def data():
    loaded = {"bull-2010": DataSource(SourceKind.SCENARIO, "bull-2010").load()}
    assert len(pickle.dumps(loaded)) > PIPE_BUFFER  # else the test proves nothing
    return loaded


def test_the_workers_start_arguments_fit_in_a_pipe_and_the_results_are_unchanged(
    data, tmp_path, monkeypatch
):
    specs = plan_grid(
        data,
        [StrategyChoice("equal_weight"), StrategyChoice("inverse_volatility", {"window": 30})],
        1,
        BacktestSettings(),
    )
    monkeypatch.setattr(InlinePool, "started", [])
    monkeypatch.setattr(_backends, "ProcessPoolExecutor", InlinePool)
    monkeypatch.setattr(_backends, "set_thread_budget", lambda threads: None)  # this process's
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    outcomes = list(_backends.execute(specs, data, workers=2))

    assert len(InlinePool.started) == 1
    assert len(pickle.dumps(InlinePool.started[0])) < PIPE_BUFFER // 16
    assert list(tmp_path.iterdir()) == []  # the data file went with the pool
    assert sorted(outcome.spec.cell_id for outcome in outcomes) == sorted(
        spec.cell_id for spec in specs
    )
    for outcome in outcomes:
        in_process = run_cell(outcome.spec, data["bull-2010"])
        assert outcome.ok, outcome.error
        assert outcome.weights.equals(in_process.weights)
        assert outcome.returns.equals(in_process.returns)
