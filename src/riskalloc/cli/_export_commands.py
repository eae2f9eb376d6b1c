"""``riskalloc export``: a run's daily returns and weights in the shapes other tools read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from riskalloc.cli._common import app, console, user_errors
from riskalloc.core import ConfigError, write_csv, write_parquet

FORMATS = ("quantstats", "csv", "parquet")


def median_seeds(metrics: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Per (scenario, strategy), the seed of the median Sharpe ratio (the lower middle of an
    even count), as the verdicts name it."""
    from riskalloc.evaluation import median_seed_row

    return {
        (str(scenario), str(strategy)): int(median_seed_row(rows)["seed"])
        for (scenario, strategy), rows in metrics.groupby(["scenario", "strategy"], sort=False)
    }


def wide_returns(run, scenario: str, seeds: dict[tuple[str, str], int] | None) -> pd.DataFrame:
    """Dates by strategy (median seed) or by ``strategy/seed`` (every seed) of daily returns."""
    columns = {}
    for strategy in run.strategies(scenario):
        by_seed = run.returns_of(scenario, strategy)
        if seeds is not None:
            columns[strategy] = by_seed[seeds[(scenario, strategy)]]
        else:
            for seed in by_seed.columns:
                columns[f"{strategy}/{seed}"] = by_seed[seed]
    frame = pd.DataFrame(columns)
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    return frame.sort_index()


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc export runs/demo --format quantstats --out exports/demo\n\n"
        "python -c \"import pandas as pd, quantstats as qs; r = pd.read_csv('exports/demo/"
        "covid-2017/returns.csv', index_col=0, parse_dates=True); "
        "qs.reports.html(r['deep_sharpe'], r['equal_weight'], output='tear.html')\""
    )
)
def export(
    run_folder: Annotated[Path, typer.Argument(help="A run folder (riskalloc benchmark --out).")],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="quantstats: per scenario, returns.csv of daily returns by strategy (median "
            "seed) as quantstats, pyfolio and empyrical read them, and weights.csv; csv or "
            "parquet: every seed, returns (dates by strategy/seed) and weights (long).",
        ),
    ] = "quantstats",
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created).")] = Path(
        "exports"
    ),
) -> None:
    """Export a run's daily net returns and target weights for other tools."""
    from riskalloc.report import Run

    with user_errors():
        if format not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got '{format}'")
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {out}: exists and is not a folder")
        run = Run.load(run_folder)
        if run.returns.empty:
            raise ConfigError(f"{run_folder}: the run has no finished cells to export")
        seeds = median_seeds(run.metrics) if format == "quantstats" else None
        written = []
        for scenario in run.scenarios:
            folder = out / scenario
            folder.mkdir(parents=True, exist_ok=True)
            returns = wide_returns(run, scenario, seeds)
            weights = run.weights[run.weights["scenario"].astype(str) == scenario]
            if seeds is not None:
                keep = [
                    seeds.get((scenario, str(strategy))) == int(seed)
                    for strategy, seed in zip(weights["strategy"], weights["seed"], strict=True)
                ]
                weights = weights[np.asarray(keep, dtype=bool)]
            weights = weights.drop(columns=["scenario"]).reset_index(drop=True)
            if format == "parquet":
                write_parquet(folder / "returns.parquet", returns.reset_index())
                write_parquet(folder / "weights.parquet", weights)
            else:
                write_csv(folder / "returns.csv", returns.reset_index())
                write_csv(folder / "weights.csv", weights)
            written.append(f"{scenario} ({returns.shape[1]} series, {len(returns)} days)")
    console.print(f"exported {', '.join(written)} to {out}", highlight=False)
