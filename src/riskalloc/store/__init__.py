"""The run store: atomic, resumable run folders that riskalloc owns."""

from riskalloc.store._cells import CellOutcome, CellSpec
from riskalloc.store._run_folder import (
    MARKER,
    RUN_ENTRIES,
    FolderKind,
    check_out_path,
    claim_folder,
    next_free_path,
    prepare_folder,
)
from riskalloc.store._run_store import FALLBACKS_KEY, KEY_COLUMNS, RunStore, read_fallbacks

__all__ = [
    "FALLBACKS_KEY",
    "KEY_COLUMNS",
    "MARKER",
    "RUN_ENTRIES",
    "CellOutcome",
    "CellSpec",
    "FolderKind",
    "RunStore",
    "check_out_path",
    "claim_folder",
    "next_free_path",
    "prepare_folder",
    "read_fallbacks",
]
