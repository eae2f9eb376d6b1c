"""Run folders to build reports from: one real benchmark run, and small synthetic ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskalloc.report import Run, write_report
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    run_benchmark,
)

from ._runs import DETERMINISTIC, PLUGIN_DIR, SCENARIOS, SEEDS, STOCHASTIC, make_synthetic_run


@pytest.fixture(scope="session")
def benchmark_run(tmp_path_factory) -> Path:
    """A real benchmark: two scenarios, two deterministic strategies and a stochastic one
    with three seeds, weekly rebalancing; report.html not yet written."""
    out = tmp_path_factory.mktemp("runs") / "bench"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RISKALLOC_PLUGINS", "slow_strategy")
        patch.syspath_prepend(str(PLUGIN_DIR))
        summary = run_benchmark(
            [DataSource(SourceKind.SCENARIO, name) for name in SCENARIOS],
            [
                StrategyChoice(DETERMINISTIC[0]),
                StrategyChoice(STOCHASTIC, {"delay": 0.0}),
                StrategyChoice(DETERMINISTIC[1]),
            ],
            out,
            seeds=SEEDS,
            settings=BacktestSettings(rebalance="weekly"),
            workers=1,
            progress=False,
        )
    assert summary.ok, summary.failures
    return out


@pytest.fixture(scope="session")
def run(benchmark_run) -> Run:
    return Run.load(benchmark_run)


@pytest.fixture(scope="session")
def report_file(benchmark_run) -> Path:
    """report.html of the benchmark run, written once for the tests that read it."""
    return write_report(benchmark_run)


@pytest.fixture
def synthetic_run(tmp_path):
    def make(strategies: dict[str, int], **options) -> Path:
        name = "-".join(f"{k}{v}" for k, v in strategies.items())
        return make_synthetic_run(tmp_path / name, strategies, **options)

    return make
