"""``riskalloc var-backtest``: how well each VaR model would have forecast a run's losses."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from riskalloc.cli._common import app, console, user_errors
from riskalloc.core import ConfigError, DataError, RiskallocError

__all__ = ["var_backtest_command"]

#: What ``--methods`` accepts, in the order the tables show them.
METHOD_NAMES = ("historical", "gaussian", "cornish_fisher", "deep_quantile")
#: Significance level of the pass/fail verdicts.
TEST_LEVEL = 0.05
#: Columns of var_backtest.csv before the test results.
KEY_COLUMNS = ("scenario", "strategy", "seed", "confidence", "method")


@app.command(
    name="var-backtest",
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc var-backtest runs/demo\n\n"
        "riskalloc var-backtest runs/demo --alpha 0.95 --alpha 0.99 --window 500 "
        "--methods historical,deep_quantile --refit-every 63 --seed 1"
    ),
)
def var_backtest_command(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by backtest or benchmark.")],
    alpha: Annotated[
        list[str] | None,
        typer.Option(
            "--alpha", help="VaR confidence level(s), e.g. 0.95; repeatable or comma-separated."
        ),
    ] = None,
    window: Annotated[
        int, typer.Option("--window", help="Past returns in each forecast (deep: the warm-up).")
    ] = 250,
    methods: Annotated[
        str, typer.Option("--methods", help="Comma-separated: " + ", ".join(METHOD_NAMES) + ".")
    ] = ",".join(METHOD_NAMES),
    refit_every: Annotated[
        int, typer.Option("--refit-every", help="Days between refits of the deep quantile model.")
    ] = 126,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the deep quantile model.")] = 0,
) -> None:
    """Kupiec and Christoffersen tests of each VaR model on every strategy's returns in RUN_DIR.

    Writes RUN_DIR/var_backtest.csv: one row per scenario x strategy x seed x
    confidence x method. A forecast made at the close of day t is tested on the
    return of day t+1; a test passes when its p-value is at least 5 %.
    """
    from riskalloc.core import write_csv
    from riskalloc.store import RunStore

    with user_errors():
        confidences = _confidences(alpha)
        chosen = _methods(methods)
        if window < 2:
            raise ConfigError(f"--window must be at least 2 returns, got {window}")
        if refit_every < 1:
            raise ConfigError(f"--refit-every must be at least 1 day, got {refit_every}")
        returns = _run_returns(RunStore(run_dir))
        started = time.perf_counter()
        results = backtest_run_returns(returns, confidences, chosen, window, refit_every, seed)
        elapsed = time.perf_counter() - started
        for scenario, rows in results.groupby("scenario", sort=False):
            console.print(_scenario_table(str(scenario), rows))
        path = Path(run_dir) / "var_backtest.csv"
        write_csv(path, results)
        console.print(
            f"{len(results)} backtests in {elapsed:.1f} s. Pass: p >= {TEST_LEVEL:.0%} in Kupiec's "
            "coverage and Christoffersen's independence tests (conditional coverage in the csv). "
            f"Table in [bold]{path}[/]",
            highlight=False,
        )


def backtest_run_returns(
    returns: pd.DataFrame,
    confidences: list[float],
    methods: list[str],
    window: int,
    refit_every: int,
    seed: int,
) -> pd.DataFrame:
    """The tidy table of var_backtest.csv from a run's long returns table."""
    from riskalloc.risk import DEEP_QUANTILE, VaRMethod, quantile_var_backtest, var_backtest

    classical = [VaRMethod(name) for name in methods if name != DEEP_QUANTILE]
    tables = []
    for (scenario, strategy, run_seed), cell in returns.groupby(
        ["scenario", "strategy", "seed"], sort=False
    ):
        series = cell.set_index("date")["return"].sort_index()
        if len(series) <= window:
            raise ConfigError(
                f"{scenario}/{strategy}/seed {run_seed}: {len(series)} daily returns, no day "
                f"to test after a --window of {window}; pass a shorter --window"
            )
        for confidence in confidences:
            try:
                parts = [var_backtest(series, confidence, classical, window)] if classical else []
                if DEEP_QUANTILE in methods:
                    parts.append(
                        quantile_var_backtest(
                            series, confidence, window, refit_every=refit_every, seed=seed
                        )
                    )
            except RiskallocError as error:
                raise type(error)(f"{scenario}/{strategy}/seed {run_seed}: {error}") from None
            table = pd.concat(parts).reset_index()
            table.insert(0, "scenario", scenario)
            table.insert(1, "strategy", strategy)
            table.insert(2, "seed", run_seed)
            table.insert(3, "confidence", confidence)
            tables.append(table)
    results = pd.concat(tables, ignore_index=True)
    order = {name: position for position, name in enumerate(methods)}
    results["_order"] = results["method"].map(order)
    results = results.sort_values(
        ["scenario", "strategy", "seed", "confidence", "_order"], kind="stable"
    )
    return results.drop(columns="_order").reset_index(drop=True)


def _confidences(alpha: list[str] | None) -> list[float]:
    values = [part.strip() for item in alpha or ["0.95"] for part in item.split(",")]
    confidences = []
    for value in filter(None, values):
        try:
            confidence = float(value)
        except ValueError:
            raise ConfigError(f"--alpha: cannot read {value!r} as a number like 0.95") from None
        if not 0.0 < confidence < 1.0:
            raise ConfigError(f"--alpha must lie in (0, 1), e.g. 0.95 or 0.99; got {value}")
        if confidence not in confidences:
            confidences.append(confidence)
    if not confidences:
        raise ConfigError("--alpha: give at least one confidence level, e.g. 0.95")
    return confidences


def _methods(methods: str) -> list[str]:
    chosen = [name.strip() for name in methods.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in METHOD_NAMES]
    if unknown:
        raise ConfigError(
            f"--methods: unknown method(s) {', '.join(unknown)}; choose from "
            + ", ".join(METHOD_NAMES)
        )
    if not chosen:
        raise ConfigError("--methods: give at least one of " + ", ".join(METHOD_NAMES))
    return list(dict.fromkeys(chosen))


def _run_returns(store) -> pd.DataFrame:
    if not store.path.is_dir():
        raise ConfigError(f"RUN_DIR {store.path} is not a folder; pass a run folder (runs/NAME)")
    if not (store.path / "returns.parquet").exists():
        raise DataError(
            f"RUN_DIR {store.path} has no returns.parquet; run backtest or benchmark into it first"
        )
    returns = store.returns()
    missing = {"scenario", "strategy", "seed", "date", "return"} - set(returns.columns)
    if missing:
        raise DataError(f"{store.path / 'returns.parquet'} lacks column(s) {', '.join(missing)}")
    if returns.empty:
        raise DataError(f"{store.path / 'returns.parquet'} holds no returns (did every cell fail?)")
    return returns


def _scenario_table(scenario: str, rows: pd.DataFrame) -> Table:
    table = Table(title=f"VaR backtest: {scenario}", title_justify="left")
    several_seeds = rows["seed"].nunique() > 1
    several_levels = rows["confidence"].nunique() > 1
    headers = ["Strategy", *(["Seed"] if several_seeds else []), "Method"]
    headers += [*(["Conf."] if several_levels else []), "Forecasts", "Exceptions", "Expected"]
    headers += ["Kupiec LR", "p", "Indep. LR", "p", "Verdict"]
    for position, header in enumerate(headers):
        table.add_column(header, justify="left" if position < 2 else "right", no_wrap=True)
    previous = None
    for _, row in rows.iterrows():
        strategy = row["strategy"] if row["strategy"] != previous else ""
        previous = row["strategy"]
        cells = [str(strategy), *([str(row["seed"])] if several_seeds else []), row["method"]]
        cells += [f"{row['confidence']:g}"] if several_levels else []
        cells += [str(row["n_observations"]), str(row["violations"]), f"{row['expected']:.1f}"]
        for test in ("kupiec", "christoffersen"):
            cells += [f"{row[f'{test}_lr']:.2f}", f"{row[f'{test}_p']:.3f}"]
        cells.append(_verdict(row))
        table.add_row(*cells)
    return table


def _verdict(row: pd.Series) -> str:
    failed = [
        name
        for name, column in (("coverage", "kupiec_p"), ("clustering", "christoffersen_p"))
        if row[column] < TEST_LEVEL
    ]
    return "pass" if not failed else "fail " + "+".join(failed)
