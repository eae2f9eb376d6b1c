"""The ``riskalloc`` command. Options become typed values here; the work is in the library."""

from __future__ import annotations

# Importing the command modules registers their commands on the app.
from riskalloc.cli import (  # noqa: F401
    _explain_commands,
    _export_commands,
    _info_commands,
    _model_commands,
    _risk_commands,
    _robustness_commands,
    _run_commands,
)
from riskalloc.cli._common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``riskalloc`` console script."""
    app()
