"""The ``riskalloc`` command. Options become typed values here; the work is in the library."""

from __future__ import annotations

import warnings

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


def _one_line(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main() -> None:
    """Entry point of the ``riskalloc`` console script."""
    # A warning (dates sorted, a figure left out) is one line for a person, not a source line.
    warnings.formatwarning = _one_line
    app()
