"""Shared helpers for the data-layer tests: write small price files in either format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ._price_files import WritePrices, write_price_file


@pytest.fixture(params=["csv", "parquet"])
def file_format(request: pytest.FixtureRequest) -> str:
    """Each file test runs once on a CSV file and once on a Parquet file."""
    return request.param


@pytest.fixture
def write_prices(tmp_path: Path, file_format: str) -> WritePrices:
    """``write_prices(frame, stem="prices")`` -> path of ``frame`` written in ``file_format``."""

    def write(frame: pd.DataFrame, stem: str = "prices") -> Path:
        return write_price_file(frame, tmp_path / f"{stem}.{file_format}")

    return write
