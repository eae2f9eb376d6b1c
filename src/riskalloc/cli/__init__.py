"""The ``riskalloc`` command line."""

from riskalloc.cli._app import app, main

__all__ = ["app", "main"]
