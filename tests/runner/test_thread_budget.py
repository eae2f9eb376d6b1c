"""Parallel workers share the cores: each gets ``cores // workers`` threads, and
``threads_for`` never raises torch above a process's budget."""

import json
import os

import numba
import pytest
import torch

from riskalloc.core import available_cores, thread_budget, thread_budget_scope, threads_for
from riskalloc.runner import DataSource, SourceKind, StrategyChoice, run_benchmark

SMALL, LARGE = 10, 10**9


@pytest.fixture
def probe_env(plugin_env, monkeypatch):
    monkeypatch.setenv("RISKALLOC_PLUGINS", "slow_strategy,thread_probe")


def probe_run(tmp_path, workers):
    reports = tmp_path / "reports"
    reports.mkdir()
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, "bull-2010")],
        [StrategyChoice("thread_probe", {"report_dir": str(reports)})],
        tmp_path / "run",
        seeds=4,
        workers=workers,
        progress=False,
    )
    assert summary.ok, summary.failures
    return [json.loads(path.read_text()) for path in sorted(reports.glob("*.json"))]


def test_each_of_two_workers_gets_half_the_cores(tmp_path, probe_env):
    share = max(1, available_cores() // 2)
    reports = probe_run(tmp_path, workers=2)
    assert len(reports) == 4
    for report in reports:
        assert report["pid"] != os.getpid()  # ran in a worker process
        assert report["budget"] == share
        assert report["torch"] == share
        assert report["torch_large_op"] == share
        assert report["numba"] == min(share, numba.config.NUMBA_NUM_THREADS)
        assert report["blas"] == [share]


def test_one_worker_runs_in_process_on_every_core_and_restores_the_caller(tmp_path, probe_env):
    cores = available_cores()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        reports = probe_run(tmp_path, workers=1)
        assert {report["pid"] for report in reports} == {os.getpid()}
        assert {report["torch"] for report in reports} == {cores}
        assert torch.get_num_threads() == 1
        assert thread_budget() is None
    finally:
        torch.set_num_threads(before)


def test_threads_for_never_goes_above_the_budget():
    with thread_budget_scope(1):
        torch.set_num_threads(2)  # someone raised torch past the budget
        with threads_for(LARGE):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
        with threads_for(SMALL):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1


def test_threads_for_uses_one_thread_for_small_work_and_restores_the_count():
    with thread_budget_scope(2):
        assert torch.get_num_threads() == 2
        with threads_for(SMALL):
            assert torch.get_num_threads() == 1
            with threads_for(LARGE):  # nested: never back up inside a one-thread block
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with threads_for(LARGE):
            assert torch.get_num_threads() == 2


def test_a_budget_scope_restores_every_setting():
    before = (torch.get_num_threads(), numba.get_num_threads(), os.environ.get("OMP_NUM_THREADS"))
    with thread_budget_scope(1):
        assert thread_budget() == 1
        assert (torch.get_num_threads(), numba.get_num_threads()) == (1, 1)
        assert os.environ["OMP_NUM_THREADS"] == "1"
    after = (torch.get_num_threads(), numba.get_num_threads(), os.environ.get("OMP_NUM_THREADS"))
    assert after == before
    assert thread_budget() is None


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_a_budget_is_a_whole_number_of_at_least_one(threads):
    with pytest.raises(ValueError, match="thread budget"), thread_budget_scope(threads):
        pass
