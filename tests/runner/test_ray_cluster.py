"""Ray as a user runs it: a real cluster started with ``ray start``, a benchmark sent to it
with ``--backend ray --address``, one worker killed while it runs a cell.

The run completes (Ray retries the killed task once), and its metrics.csv holds the
same figures as the local backend's. Ray is installed by ``make test`` (the ``ray``
extra); the test is skipped only where it is absent.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("ray")

ARGS = (
    "benchmark", "--scenario", "bull-2010", "--strategies", "slow_random,equal_weight",
    "--param", "delay=2.0", "--seeds", "4", "--rebalance", "monthly", "--no-progress",
)  # fmt: skip
TASK_TITLE = "ray::_run_with_data"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ray(env: dict, *args: str) -> subprocess.CompletedProcess:
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    return subprocess.run([ray, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cluster(plugin_env):
    """A one-node Ray cluster on loopback, with its own session folder; stopped after."""
    port = _free_port()
    # Ray's socket paths must stay under 107 bytes: a short folder, not pytest's tmp_path.
    session = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))
    # Loopback only: no token authentication between this test's cluster and its client.
    env = dict(plugin_env, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    started = _ray(
        env, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
        "--num-cpus=2", "--include-dashboard=false", f"--temp-dir={session}",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield f"127.0.0.1:{port}", env
    finally:
        _ray(env, "stop", "--force")
        shutil.rmtree(session, ignore_errors=True)


def _task_processes() -> list[int]:
    """Process ids of Ray workers running a cell (Ray titles them ``ray::FUNCTION``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith(TASK_TITLE):
            found.append(int(entry.name))
    return found


def test_a_killed_worker_is_retried_and_the_run_matches_the_local_backend(
    cluster, tmp_path, riskalloc_command
):
    address, env = cluster
    local = subprocess.run(
        riskalloc_command(*ARGS, "--workers", "2", "--out", str(tmp_path / "local")),
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr[-2000:]
    run = subprocess.Popen(
        riskalloc_command(*ARGS, "--backend", "ray", "--address", address,
                          "--out", str(tmp_path / "ray")),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    killed = None
    deadline = time.monotonic() + 90
    while killed is None and time.monotonic() < deadline and run.poll() is None:
        tasks = _task_processes()
        if tasks:
            killed = tasks[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.2)
    _, err = run.communicate(timeout=300)
    assert killed is not None, "no Ray worker was seen running a cell"
    assert run.returncode == 0, err[-2000:]
    columns = ["scenario", "strategy", "seed", "annual_return", "sharpe", "max_drawdown"]
    ours = pd.read_csv(tmp_path / "ray" / "metrics.csv")[columns]
    theirs = pd.read_csv(tmp_path / "local" / "metrics.csv")[columns]
    key = ["scenario", "strategy", "seed"]
    pd.testing.assert_frame_equal(
        ours.sort_values(key).reset_index(drop=True),
        theirs.sort_values(key).reset_index(drop=True),
    )
