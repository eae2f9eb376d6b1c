"""User feature columns from a CSV/Parquet file: validation with named errors, alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.features import align_extra_features, load_extra_features, validate_extra_features


def _write(tmp_path: Path, text: str, name: str = "macro.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_loads_dates_numbers_negatives_and_blanks(tmp_path):
    path = _write(
        tmp_path, "Date,vix,spread\n2020-01-02,12.5,-0.25\n2020-01-03, 14,\n2020-01-06,13,0.1\n"
    )
    extra = load_extra_features(path)
    assert list(extra.columns) == ["vix", "spread"]
    assert extra.index.equals(
        pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"], name="date")
    )
    assert extra.loc["2020-01-02", "spread"] == -0.25
    assert np.isnan(extra.loc["2020-01-03", "spread"])  # a blank stays missing until aligned


def test_parquet_with_a_date_index(tmp_path):
    frame = pd.DataFrame(
        {"x": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-02", "2020-01-03"], name="day")
    )
    frame.to_parquet(tmp_path / "macro.parquet")
    extra = load_extra_features(tmp_path / "macro.parquet")
    assert extra["x"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "date,vix\n2020-01-02,12\n2020-01-03,high\n",
            r"column 'vix' has a non-numeric value 'high' on 2020-01-03",
        ),
        ("date,vix\n2020-01-02,12\nyesterday,13\n", r"cannot read date 'yesterday' \(row 2"),
        ("date,vix\n2020-01-02,12\n2020-01-02,13\n", r"duplicate date 2020-01-02"),
        ("date,vix,vix\n2020-01-02,12,1\n", r"duplicate feature column\(s\) vix"),
        ("date,vix,empty\n2020-01-02,12,\n", r"column 'empty' has no values"),
        ("date,vix\n2020-01-02,inf\n", r"column 'vix' has an infinite value on 2020-01-02"),
        ("date\n2020-01-02\n", r"needs a date column and at least one feature column"),
    ],
)
def test_bad_csv_is_named(tmp_path, text, message):
    with pytest.raises(ra.DataError, match=rf"macro\.csv: {message}"):
        load_extra_features(_write(tmp_path, text))


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(ra.DataError, match="no such file"):
        load_extra_features(tmp_path / "absent.csv")
    with pytest.raises(ra.DataError, match="unknown file type"):
        load_extra_features(_write(tmp_path, "x", name="macro.xlsx"))


def test_unsorted_dates_are_sorted_with_a_warning(tmp_path):
    path = _write(tmp_path, "date,x\n2020-01-03,2\n2020-01-02,1\n")
    with pytest.warns(UserWarning, match="not in order"):
        extra = load_extra_features(path)
    assert extra["x"].tolist() == [1.0, 2.0]


def test_alignment_takes_the_latest_value_on_or_before_each_date():
    extra = validate_extra_features(
        pd.DataFrame(
            {"monthly": [1.0, 2.0, 3.0], "gappy": [10.0, np.nan, 30.0]},
            index=pd.to_datetime(["2020-01-31", "2020-02-29", "2020-03-31"]),
        )
    )
    dates = pd.DatetimeIndex(["2020-01-30", "2020-01-31", "2020-02-15", "2020-03-02", "2020-04-15"])
    aligned = align_extra_features(extra, dates)
    np.testing.assert_array_equal(aligned[:, 0], [np.nan, 1.0, 1.0, 2.0, 3.0])
    # The missing February value is the January one carried forward, never March's.
    np.testing.assert_array_equal(aligned[:, 1], [np.nan, 10.0, 10.0, 10.0, 30.0])
