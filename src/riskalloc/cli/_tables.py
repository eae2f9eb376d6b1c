"""Rich tables the CLI prints."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

__all__ = ["results_table"]

# (metrics column, header, scale, format): the published benchmark's columns.
_COLUMNS = (
    ("annual_return", "Annual return %", 100.0, "{:.2f}"),
    ("cumulative_return", "Cumulative %", 100.0, "{:.2f}"),
    ("annual_volatility", "Annual vol %", 100.0, "{:.2f}"),
    ("sharpe", "Sharpe", 1.0, "{:.3f}"),
    ("calmar", "Calmar", 1.0, "{:.3f}"),
    ("stability", "Stability", 1.0, "{:.3f}"),
    ("max_drawdown", "Max DD %", 100.0, "{:.2f}"),
)


def _cell(value: float, scale: float, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value * scale)


def results_table(
    summary: pd.DataFrame, title: str = "Out-of-sample results (net of costs)"
) -> Table:
    """The summary (one row per scenario x strategy, means over seeds) as a table."""
    table = Table(title=title, title_justify="left")
    table.add_column("Scenario", no_wrap=True)
    table.add_column("Strategy", no_wrap=True)
    table.add_column("Seeds", justify="right")
    for _, header, _, _ in _COLUMNS:
        table.add_column(header, justify="right")
    previous = None
    for _, row in summary.iterrows():
        scenario = row["scenario"] if row["scenario"] != previous else ""
        previous = row["scenario"]
        table.add_row(
            str(scenario),
            str(row["strategy"]),
            str(int(row["seeds"])),
            *(_cell(row[column], scale, fmt) for column, _, scale, fmt in _COLUMNS),
        )
    return table
