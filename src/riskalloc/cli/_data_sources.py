"""What the data options name: the sources a command reads, and how it reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskalloc.core import ConfigError
from riskalloc.data import DEFAULT_MAX_DAILY_RETURN, check_date_format, daily_move_bound
from riskalloc.runner import DataSource, SourceKind

__all__ = [
    "DateFormatOption",
    "MaxDailyReturnOption",
    "data_sources",
    "parse_assets",
]

DateFormatOption = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="Format of the --prices file's dates, e.g. %d/%m/%Y (day first) or %m/%d/%Y. "
        "Without it dates must be year-first (2019-01-31); day-first and month-first dates "
        "are refused, never guessed.",
    ),
]
MaxDailyReturnOption = Annotated[
    float,
    typer.Option(
        "--max-daily-return",
        help="Largest plausible one-period move: a price rising above (1 + X) times, or "
        "falling below 1 / (1 + X) of, the previous price is a data error naming the asset "
        "and date. Default 9: 10x up or -90 %. inf: no bound.",
    ),
]


def data_sources(
    scenarios: list[str] | None,
    dataset: str | None,
    prices: Path | None,
    assets: str | None,
    rate_column: str | None = None,
    *,
    date_format: str | None = None,
    max_daily_return: float = DEFAULT_MAX_DAILY_RETURN,
) -> list[DataSource]:
    """The data sources the options name, each read with the data options."""
    subset = parse_assets(assets)
    if rate_column is not None and not prices:
        raise ConfigError("--risk-free-column names a column of --prices; give --prices FILE")
    if date_format is not None and not prices:
        raise ConfigError("--date-format reads the dates of --prices; give --prices FILE")
    if subset and not (dataset or prices):
        raise ConfigError("--assets applies to --dataset or --prices (scenarios fix their assets)")
    bound = _move_bound(max_daily_return)
    chosen = [
        DataSource(SourceKind.SCENARIO, name, max_daily_return=bound) for name in scenarios or []
    ]
    if dataset:
        chosen.append(DataSource(SourceKind.DATASET, dataset, subset, max_daily_return=bound))
    if prices:
        chosen.append(
            DataSource(
                SourceKind.PRICES,
                str(prices),
                subset,
                rate_column,
                date_format=check_date_format(date_format),
                max_daily_return=bound,
            )
        )
    return chosen


def parse_assets(assets: str | None) -> tuple[str, ...] | None:
    """``--assets A,B`` as a tuple; None when not given. A list without a name or with a
    name twice is an error (not "every asset", not a doubled weight)."""
    if assets is None:
        return None
    names = tuple(name.strip() for name in assets.split(",") if name.strip())
    if not names:
        raise ConfigError(f"--assets {assets!r} names no asset; give names such as AAPL,MSFT")
    repeated = [name for i, name in enumerate(names) if name in names[:i]]
    if repeated:
        raise ConfigError(f"--assets names {repeated[0]} twice")
    return names


def _move_bound(max_daily_return: float) -> float | None:
    try:
        return daily_move_bound(max_daily_return)
    except ConfigError as error:
        raise ConfigError(f"--max-daily-return: {error}") from None
