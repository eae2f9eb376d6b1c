import os
import sys
from pathlib import Path

import pytest

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
