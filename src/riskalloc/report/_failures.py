"""Parts of the report that cannot be drawn: left out with a note, never a failed run.

A run's results are saved before its report is written. A figure that raises (a
frontier on absurd data, a bug in one figure) must not take the report, or the
command's exit status, with it: the part is replaced by a card that says it could not
be drawn and why, and a warning names it.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from typing import TypeVar

__all__ = ["drawn_or_none", "drawn_or_note", "failed_card"]

T = TypeVar("T")


def _described(error: BaseException) -> str:
    reason = (str(error).splitlines() or [""])[0][:300]
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__


def failed_card(title: str, scenario: str, error: BaseException, wide: bool = True) -> str:
    """The card that stands for a part that raised ``error``, and a warning naming it."""
    described = _described(error)
    warnings.warn(
        f"report: '{title}' of {scenario} could not be drawn and is left out ({described})",
        UserWarning,
        stacklevel=3,
    )
    classes = "card wide" if wide else "card"
    return (
        f'<div class="{classes}" data-failed="true"><h3>{html.escape(title)}</h3>'
        f'<p class="note">This part could not be drawn and is left out ({html.escape(described)}). '
        "The run's results (metrics.csv, returns.parquet) are not affected.</p></div>"
    )


def drawn_or_note(
    title: str, scenario: str, build: Callable[..., str], *args: object, wide: bool = False
) -> str:
    """``build(*args)``, the HTML of one part, or the card saying why it could not be drawn."""
    try:
        return build(*args)
    except Exception as error:  # this part only: the rest of the report is written
        return failed_card(title, scenario, error, wide)


def drawn_or_none(build: Callable[..., T], *args: object) -> T | None:
    """``build(*args)``, or None when it raises (for a value whose own card names the
    failure)."""
    try:
        return build(*args)
    except Exception:  # the part that shows it says why
        return None
