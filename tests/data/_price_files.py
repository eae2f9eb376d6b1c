"""Writing small price files for the data-layer tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

WritePrices = Callable[..., Path]


def write_price_file(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` (a date column plus price columns, no index) as CSV or Parquet by suffix."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:  # pragma: no cover - a mistake in a test, not in the code under test
        raise AssertionError(f"tests write .csv or .parquet, not {path.suffix}")
    return path
