"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["atomic_write", "write_csv", "write_json", "write_parquet"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)`` then rename the temporary file over ``path``.

    The temporary file sits in the same folder (same file system, so the rename
    is atomic) and is flushed to disk before the rename; a crash leaves either
    the previous file or the new one, plus at most a stray ``.tmp`` file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    # mkstemp creates the file for its owner only; give it the permissions a plain
    # open() would (0666 less the umask), so run folders can be shared.
    os.chmod(temporary, 0o666 & ~_umask())
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        with open(temporary_path, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary_path, path)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_json(path: Path, value: Any) -> None:
    atomic_write(
        path,
        lambda target: target.write_text(
            json.dumps(value, indent=2, sort_keys=False, default=str) + "\n"
        ),
    )


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda target: frame.to_csv(target, index=False, float_format="%.12g"))


def write_parquet(path: Path, frame: pd.DataFrame, metadata: dict[str, str] | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({key.encode(): value.encode() for key, value in metadata.items()})
        table = table.replace_schema_metadata(merged)
    atomic_write(path, lambda target: pq.write_table(table, target))
