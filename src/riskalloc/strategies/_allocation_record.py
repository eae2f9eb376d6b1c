"""Which step produced each decision's weights, and why: a structured fallback record.

A strategy may reach its weights by another route than its own method on some
dates: a declared fallback (minimum variance when no portfolio beats the
risk-free rate), a solver fallback (cvxpy when the batched solver's optimality
check fails), or its own method with notes (a regularised covariance, a limit
that bound). Each decision gets one :class:`AllocationStep`; the steps of an
``allocate`` call form the strategy's ``allocation_record_``, a frame the engine
carries into :class:`~riskalloc.backtest.BacktestResult` (as skfolio keeps a
``fallback_chain_``). Nothing parses a label back: the label is for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

__all__ = [
    "RECORD_COLUMNS",
    "AllocationStep",
    "allocation_record",
    "record_labels",
    "record_steps",
]

#: Columns of an allocation record, one row per decision date.
RECORD_COLUMNS = ("method", "fallback", "reason", "notes")


@dataclass(frozen=True)
class AllocationStep:
    """The step that produced one decision's weights.

    Attributes
    ----------
    method : the method whose weights were used (the strategy's own name, or its fallback's)
    reason : why the strategy's own method was not used (None when it was)
    notes : remarks that do not change the method (e.g. "regularised covariance")

    Examples
    --------
    >>> step = AllocationStep("minimum_variance", "no portfolio beats the risk-free rate")
    >>> step.with_notes("regularised covariance").label
    'minimum_variance (fallback: no portfolio beats the risk-free rate) (regularised covariance)'
    """

    method: str
    reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_fallback(self) -> bool:
        return self.reason is not None

    def with_notes(self, *notes: str) -> AllocationStep:
        """The same step with ``notes`` added (empty notes are dropped)."""
        return replace(self, notes=self.notes + tuple(note for note in notes if note))

    @property
    def label(self) -> str:
        """One line for people: ``method (fallback: reason) (note) ...``."""
        parts = [self.method]
        if self.reason is not None:
            parts.append(f"(fallback: {self.reason})")
        parts.extend(f"({note})" for note in self.notes)
        return " ".join(parts)


def allocation_record(steps: Sequence[AllocationStep], dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The record of ``steps`` (one per date): columns :data:`RECORD_COLUMNS`, notes joined by "; "."""
    if len(steps) != len(dates):
        raise ValueError(f"allocation_record: {len(steps)} steps for {len(dates)} dates")
    return pd.DataFrame(
        {
            "method": [step.method for step in steps],
            "fallback": [step.is_fallback for step in steps],
            "reason": [step.reason or "" for step in steps],
            "notes": ["; ".join(step.notes) for step in steps],
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )


def record_steps(record: pd.DataFrame) -> list[AllocationStep]:
    """The steps of a record, back as :class:`AllocationStep` values."""
    return [
        AllocationStep(
            str(method),
            str(reason) if fallback else None,
            tuple(note for note in str(notes).split("; ") if note),
        )
        for method, fallback, reason, notes in record[list(RECORD_COLUMNS)].itertuples(index=False)
    ]


def record_labels(record: pd.DataFrame) -> pd.Series:
    """One label per date (:attr:`AllocationStep.label`), for tables and the CLI."""
    return pd.Series(
        [step.label for step in record_steps(record)],
        index=record.index,
        name="method",
        dtype=object,
    )
