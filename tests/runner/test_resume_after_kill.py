"""A benchmark killed with SIGKILL part-way loses no finished cell, corrupts nothing, and resumes."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd

ARGS = (
    "benchmark",
    "--scenario",
    "bull-2010",
    "--strategies",
    "slow_random,equal_weight",
    "--seeds",
    "6",
    "--workers",
    "1",
    "--no-progress",
    "--rebalance",
    "weekly",
)
N_CELLS = 7  # six seeds of slow_random and one equal_weight


def finished_cells(run: Path) -> list[Path]:
    cells = run / "cells"
    if not cells.exists():
        return []
    return sorted(
        p for p in cells.iterdir() if not p.name.startswith(".") and (p / "cell.json").exists()
    )


def test_sigkill_then_rerun_matches_uninterrupted_run(tmp_path, plugin_env, riskalloc_command):
    reference = tmp_path / "reference"
    done = subprocess.run(
        riskalloc_command(*ARGS, "--out", str(reference)),
        env=plugin_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert len(finished_cells(reference)) == N_CELLS

    killed = tmp_path / "killed"
    process = subprocess.Popen(
        riskalloc_command(*ARGS, "--out", str(killed)),
        env=plugin_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while (
        len(finished_cells(killed)) < 2 and time.monotonic() < deadline and process.poll() is None
    ):
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    survivors = finished_cells(killed)
    assert 2 <= len(survivors) < N_CELLS, (
        "the run must be killed part-way for this test to mean anything"
    )

    # Nothing half-written: every table present parses, every finished cell is whole.
    if (killed / "metrics.csv").exists():
        partial = pd.read_csv(killed / "metrics.csv")
        assert len(partial) <= len(survivors)
    for cell in survivors:
        pd.read_parquet(cell / "weights.parquet")
        pd.read_parquet(cell / "returns.parquet")
    stamps = {cell.name: (cell / "cell.json").stat().st_mtime_ns for cell in survivors}

    rerun = subprocess.run(
        riskalloc_command(*ARGS, "--out", str(killed)),
        env=plugin_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(survivors)} done earlier" in rerun.stdout
    # Finished cells were not recomputed ...
    for cell in survivors:
        assert (killed / "cells" / cell.name / "cell.json").stat().st_mtime_ns == stamps[cell.name]
    # ... and the result is the same as a run that was never interrupted.
    assert (killed / "metrics.csv").read_bytes() == (reference / "metrics.csv").read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "weights.parquet"), pd.read_parquet(reference / "weights.parquet")
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "returns.parquet"), pd.read_parquet(reference / "returns.parquet")
    )
    assert not list((killed / "cells").glob(".*.tmp"))
