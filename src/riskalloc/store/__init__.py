"""The run store: atomic, resumable run folders."""

from riskalloc.store._atomic import atomic_write, write_csv, write_json, write_parquet
from riskalloc.store._cells import CellOutcome, CellSpec
from riskalloc.store._run_store import KEY_COLUMNS, RunStore

__all__ = [
    "KEY_COLUMNS",
    "CellOutcome",
    "CellSpec",
    "RunStore",
    "atomic_write",
    "write_csv",
    "write_json",
    "write_parquet",
]
