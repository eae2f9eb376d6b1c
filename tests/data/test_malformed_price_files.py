"""Property: a malformed prices file is refused in one line, or read truthfully; never a crash.

Hypothesis writes price tables as CSV and Parquet with one class of fault at a time
(or none, or two): dates in other formats, time-zone offsets, numbers or blanks for
dates, implausible years, repeated or unsorted dates; NaN, infinite, negative, zero,
huge, tiny and text values, true/false columns, implausible jumps; empty, repeated and
pandas-placeholder headers; tiny tables. Through the command (``riskalloc backtest
--prices FILE``) the outcome is exit status 2 with one ``error:`` line and no traceback,
or success; through the library (``load_prices``, ``ra.backtest`` on a file's prices or
on a DataFrame) a :class:`~riskalloc.RiskallocError` with a one-line message, or success.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app

DAYS = pd.bdate_range("2018-01-01", periods=40)
DATE_FAULTS = (
    "day_first",
    "month_first",
    "text_month",
    "offsets",
    "integers",
    "floats",
    "blank",
    "garbage",
    "year_1200",
    "year_2200",
    "duplicate",
    "unsorted",
    "datetimes",
    "slash_iso",
    "compact",
)
VALUE_FAULTS = (
    "nan",
    "all_nan",
    "inf",
    "minus_inf",
    "negative",
    "zero",
    "huge",
    "tiny",
    "jump",
    "text",
    "booleans",
    "blank",
)
HEADER_FAULTS = ("empty", "duplicate", "unnamed", "space", "date_only")


@dataclass
class Table:
    """A generated price table: its header, date column and asset columns, as written."""

    header: list[str]
    dates: list[object]
    columns: list[list[object]]
    file_format: str

    def write(self, folder: Path) -> Path:
        path = folder / f"prices.{self.file_format}"
        if self.file_format == "csv":
            lines = [",".join(self.header)]
            for row, date in enumerate(self.dates):
                lines.append(",".join([_text(date), *(_text(c[row]) for c in self.columns)]))
            path.write_text("\n".join(lines) + "\n")
        else:
            arrays = [_arrow(self.dates), *(_arrow(column) for column in self.columns)]
            pq.write_table(pa.Table.from_arrays(arrays, names=self.header), path)
        return path

    def frame(self) -> pd.DataFrame:
        """The asset columns as a DataFrame on valid dates (the library's DataFrame path)."""
        data = {i: np.array(column, dtype=object) for i, column in enumerate(self.columns)}
        table = pd.DataFrame(data, index=DAYS[: len(self.dates)])
        table.columns = self.header[1:]
        return table.infer_objects()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _arrow(values: list[object]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds: write them as text
        return pa.array([None if v is None else _text(v) for v in values])


@st.composite
def tables(draw: st.DrawFn) -> Table:
    n_rows = draw(st.one_of(st.integers(0, 3), st.integers(20, len(DAYS))))
    n_assets = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    kind = draw(st.sampled_from(["clean", "clean", "dates", "values", "header", "two"]))
    faults = {
        "dates": set(),
        "values": set(),
        "header": set(),
    }
    classes = {"dates": DATE_FAULTS, "values": VALUE_FAULTS, "header": HEADER_FAULTS}
    chosen = [kind] if kind in classes else []
    if kind == "two":
        chosen = draw(st.lists(st.sampled_from(sorted(classes)), min_size=2, max_size=2))
    for name in chosen:
        faults[name].add(draw(st.sampled_from(classes[name])))

    rng = np.random.default_rng(seed)
    walk = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n_rows, n_assets)), axis=0))
    columns: list[list[object]] = [list(map(float, walk[:, j])) for j in range(n_assets)]
    days = DAYS[:n_rows]
    dates: list[object] = list(days.strftime("%Y-%m-%d"))
    row = draw(st.integers(0, max(n_rows - 1, 0)))
    column = draw(st.integers(0, n_assets - 1))

    for fault in faults["dates"]:
        dates = _date_fault(fault, days, dates, row)
    for fault in faults["values"]:
        _value_fault(fault, columns, row, column, n_rows)
    header = ["date", *(f"X{j}" for j in range(n_assets))]
    for fault in sorted(faults["header"], key=lambda name: name == "date_only"):
        if fault == "empty":
            header[1 + column] = ""
        elif fault == "duplicate" and n_assets > 1:
            header[2] = header[1]
        elif fault == "unnamed":
            header[1 + column] = f"Unnamed: {1 + column}"
        elif fault == "space":
            header[1 + column] = " "
        elif fault == "date_only":
            header, columns = header[:1], []
    file_format = draw(st.sampled_from(["csv", "parquet"]))
    return Table(header, dates, columns, file_format)


def _date_fault(fault: str, days: pd.DatetimeIndex, dates: list[object], row: int) -> list[object]:
    if not len(days):
        return dates
    formats = {
        "day_first": "%d/%m/%Y",
        "month_first": "%m/%d/%Y",
        "text_month": "%b %d, %Y",
        "slash_iso": "%Y/%m/%d",
        "compact": "%Y%m%d",
    }
    if fault in formats:
        return list(days.strftime(formats[fault]))
    if fault == "offsets":
        return [f"{d}T16:00:00{'-05:00' if i % 2 else '+09:00'}" for i, d in enumerate(dates)]
    if fault == "integers":
        return list(range(len(days)))
    if fault == "floats":
        return [float(i) + 0.5 for i in range(len(days))]
    if fault == "datetimes":
        return list(days)
    changed = list(dates)
    if fault == "blank":
        changed[row] = None
    elif fault == "garbage":
        changed[row] = "not-a-date"
    elif fault == "year_1200":
        changed[row] = "1200-01-03"
    elif fault == "year_2200":
        changed[row] = "2200-01-03"
    elif fault == "duplicate" and len(days) > 1:
        changed[row] = changed[row - 1] if row else changed[1]
    elif fault == "unsorted":
        changed = changed[::-1]
    return changed


def _value_fault(fault: str, columns: list[list[object]], row: int, column: int, n: int) -> None:
    if not n:
        return
    values = columns[column]
    base = values[row] if isinstance(values[row], float) else 100.0
    replacement: dict[str, object] = {
        "nan": float("nan"),
        "inf": float("inf"),
        "minus_inf": float("-inf"),
        "negative": -abs(base),
        "zero": 0.0,
        "huge": 1e308,
        "tiny": 1e-300,
        "jump": base * 1e6,
        "text": "abc",
        "blank": None,
    }
    if fault == "all_nan":
        columns[column] = [float("nan")] * n
    elif fault == "booleans":
        columns[column] = [bool(i % 2) for i in range(n)]
    else:
        values[row] = replacement[fault]


def _one_line(error: ra.RiskallocError) -> None:
    message = str(error)
    assert message and "\n" not in message, message


SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(SETTINGS, max_examples=150)
@given(tables())
def test_the_library_refuses_a_malformed_file_with_a_riskalloc_error(table: Table) -> None:
    strategy = ra.get_strategy("equal_weight")
    with tempfile.TemporaryDirectory() as folder:
        path = table.write(Path(folder))
        try:
            prices = ra.load_prices(path)
        except ra.RiskallocError as error:
            _one_line(error)
            prices = None
    if prices is not None:
        try:
            result = ra.backtest(prices, strategy)
        except ra.RiskallocError as error:
            _one_line(error)
        else:
            assert np.isfinite(result.returns.to_numpy()).all()
    if table.columns:
        try:
            result = ra.backtest(table.frame(), strategy)
        except ra.RiskallocError as error:
            _one_line(error)
        else:
            assert np.isfinite(result.returns.to_numpy()).all()


@settings(SETTINGS, max_examples=30)
@given(tables())
def test_the_command_refuses_a_malformed_file_in_one_line(table: Table) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = table.write(Path(folder))
        result = CliRunner().invoke(
            app,
            [
                "backtest",
                "--prices",
                str(path),
                "--strategy",
                "equal_weight",
                "--out",
                str(Path(folder) / "run"),
            ],
        )
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code == 2:
            lines = [line for line in result.output.splitlines() if line.startswith("error:")]
            assert len(lines) == 1, result.output
        else:
            metrics = pd.read_csv(Path(folder) / "run" / "metrics.csv")
            assert np.isfinite(metrics["annual_return"]).all()
