import os
import sys
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one test worker per core: one thread each for torch, numba and
    # BLAS (and what they start later), so the workers do not oversubscribe the cores.
    # riskalloc's own thread budget stays unset: tests of the runner set and check it.
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_variable] = "1"
    import numba
    import threadpoolctl
    import torch

    torch.set_num_threads(1)
    numba.set_num_threads(1)
    threadpoolctl.threadpool_limits(1)

PLUGIN_DIR = Path(__file__).parent / "runner" / "plugins"


@pytest.fixture
def plugin_env(monkeypatch):
    """Environment in which the test plugin strategies are registered (also in subprocesses)."""
    monkeypatch.setenv("RISKALLOC_PLUGINS", "slow_strategy")
    path = os.pathsep.join(filter(None, [str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    env = dict(os.environ)
    return env


@pytest.fixture
def riskalloc_command():
    """Build the CLI as a subprocess command, run with this interpreter."""

    def command(*args: str) -> list[str]:
        return [sys.executable, "-m", "riskalloc.cli", *args]

    return command
