"""Errors a user can cause, each with a message that names the culprit.

Anything that derives from :class:`RiskallocError` is a *user* error: the CLI
prints its message on one line and exits with status 2. Every other exception
is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "RiskallocError"]


class RiskallocError(Exception):
    """Base class of every error caused by the user's input or configuration."""


class DataError(RiskallocError, ValueError):
    """Prices or returns that cannot be used as given (names the column and date)."""


class ConfigError(RiskallocError, ValueError):
    """A parameter, option or name that is not valid (names the parameter)."""
