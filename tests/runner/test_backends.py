"""Local processes and Ray give identical results; failures are recorded, not fatal."""

from riskalloc.runner import Backend, DataSource, SourceKind, StrategyChoice, run_benchmark
from riskalloc.store import RunStore

SOURCES = [
    DataSource(SourceKind.SCENARIO, "bull-2010"),
    DataSource(SourceKind.SCENARIO, "bear-2003"),
]
STRATEGIES = [
    StrategyChoice("equal_weight"),
    StrategyChoice("inverse_volatility", {"window": 30}),
    StrategyChoice("fixed_mix"),
]


def test_ray_and_local_processes_write_identical_metrics(tmp_path):
    local = run_benchmark(
        SOURCES, STRATEGIES, tmp_path / "local", backend=Backend.LOCAL, workers=2, progress=False
    )
    ray = run_benchmark(
        SOURCES, STRATEGIES, tmp_path / "ray", backend=Backend.RAY, workers=2, progress=False
    )
    assert local.ok and ray.ok
    assert len(local.metrics) == 6
    assert (tmp_path / "local" / "metrics.csv").read_bytes() == (
        tmp_path / "ray" / "metrics.csv"
    ).read_bytes()
    assert RunStore(tmp_path / "ray").config()["backend"] == "ray"


def test_in_process_and_process_pool_agree(tmp_path):
    serial = run_benchmark(SOURCES[:1], STRATEGIES, tmp_path / "serial", workers=1, progress=False)
    pool = run_benchmark(SOURCES[:1], STRATEGIES, tmp_path / "pool", workers=2, progress=False)
    assert serial.ok and pool.ok
    assert (tmp_path / "serial" / "metrics.csv").read_bytes() == (
        tmp_path / "pool" / "metrics.csv"
    ).read_bytes()


def test_a_failing_cell_is_recorded_and_the_others_finish(tmp_path, plugin_env):
    summary = run_benchmark(
        SOURCES[:1],
        [StrategyChoice("broken"), StrategyChoice("equal_weight")],
        tmp_path / "run",
        workers=2,
        progress=False,
    )
    assert not summary.ok
    assert list(summary.metrics["strategy"]) == ["equal_weight"]
    failures = (tmp_path / "run" / "failures.csv").read_text()
    assert "broken on purpose" in failures
    # A rerun retries the failed cell and skips the finished one.
    again = run_benchmark(
        SOURCES[:1],
        [StrategyChoice("broken"), StrategyChoice("equal_weight")],
        tmp_path / "run",
        workers=1,
        progress=False,
    )
    assert again.skipped == 1 and len(again.failures) == 1
