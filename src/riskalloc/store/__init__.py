"""The run store: atomic, resumable run folders."""

from riskalloc.store._atomic import atomic_write, write_csv, write_json, write_parquet
from riskalloc.store._cells import CellOutcome, CellSpec
from riskalloc.store._run_store import FALLBACKS_KEY, KEY_COLUMNS, RunStore, read_fallbacks

__all__ = [
    "FALLBACKS_KEY",
    "KEY_COLUMNS",
    "CellOutcome",
    "CellSpec",
    "RunStore",
    "atomic_write",
    "read_fallbacks",
    "write_csv",
    "write_json",
    "write_parquet",
]
