"""The run store: atomic, resumable run folders."""

from riskalloc.store._cells import CellOutcome, CellSpec
from riskalloc.store._run_store import FALLBACKS_KEY, KEY_COLUMNS, RunStore, read_fallbacks

__all__ = [
    "FALLBACKS_KEY",
    "KEY_COLUMNS",
    "CellOutcome",
    "CellSpec",
    "RunStore",
    "read_fallbacks",
]
