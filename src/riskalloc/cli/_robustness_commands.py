"""The ``robustness`` command: sweeps of costs, rebalancing, window and risk measure, and stress windows."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from riskalloc.cli._common import (
    AssetsOption,
    CostsOption,
    DatasetOption,
    GroupsOption,
    LimitOption,
    ParamOption,
    PeriodsOption,
    PresetOption,
    PricesOption,
    RebalanceOption,
    RiskFreeColumnOption,
    RiskFreeOption,
    ScenarioOption,
    SeedsOption,
    TestStartOption,
    TrainFractionOption,
    WorkersOption,
    app,
    backtest_settings,
    console,
    data_sources,
    errors,
    strategy_choices,
    user_errors,
    write_run_report,
)
from riskalloc.cli._data_sources import DateFormatOption, MaxDailyReturnOption
from riskalloc.cli._run_folder import ForceOption, NewRunOption, say_warning
from riskalloc.cli._tables import _cell
from riskalloc.core import DEFAULT_COSTS_BPS, ConfigError, check_costs_bps
from riskalloc.data import DEFAULT_MAX_DAILY_RETURN
from riskalloc.risk import RiskMeasure
from riskalloc.runner import Sweep, SweepPlan, run_robustness


def _items(text: str, option: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{option}: give at least one value, comma-separated")
    return items


def _numbers(text: str, option: str, kind: type) -> tuple:
    values = []
    for item in _items(text, option):
        try:
            values.append(kind(item))
        except ValueError:
            noun = "integers" if kind is int else "numbers"
            raise ConfigError(f"{option}: expected comma-separated {noun}, got {item!r}") from None
    return tuple(values)


def _risk_measures(text: str) -> tuple[RiskMeasure, ...]:
    measures = []
    for item in _items(text, "--risk-measures"):
        try:
            measures.append(RiskMeasure(item.lower()))
        except ValueError:
            choices = ", ".join(str(m) for m in RiskMeasure)
            raise ConfigError(f"--risk-measures: {item!r} is not one of {choices}") from None
    return tuple(measures)


def sweep_table(table: pd.DataFrame, sweep: str, scenario: str) -> Table | None:
    """Sharpe and max drawdown of each strategy (rows) at each swept value (columns)."""
    rows = table[(table["sweep"] == sweep) & (table["scenario"] == scenario)]
    if rows.empty:
        return None
    values = list(dict.fromkeys(rows["value"].astype(str)))
    means = rows.assign(value=rows["value"].astype(str)).groupby(["strategy", "value"], sort=False)
    means = means[["sharpe", "max_drawdown"]].mean()
    out = Table(title=f"{scenario}: {sweep} (Sharpe / max DD %)", title_justify="left")
    out.add_column("Strategy", no_wrap=True)
    for value in values:
        out.add_column(value, justify="right")
    for name in dict.fromkeys(rows["strategy"]):
        cells = []
        for value in values:
            if (name, value) not in means.index:
                cells.append("-")
                continue
            sharpe, drawdown = means.loc[(name, value)]
            cells.append(f"{_cell(sharpe, 1.0, '{:.2f}')} / {_cell(drawdown, 100.0, '{:.1f}')}")
        out.add_row(name, *cells)
    return out


def stress_table(stress: pd.DataFrame) -> Table:
    """One row per scenario x window x strategy (x seed)."""
    out = Table(title="Stress windows (market trough; de-risk = risky weight cut >= 20 %)")
    for header in ("Scenario", "Window", "Strategy", "Seed", "Max DD %", "vs RP", "Trough"):
        out.add_column(
            header, justify="left" if header in ("Scenario", "Window", "Strategy") else "right"
        )
    out.add_column("De-risked", justify="right")
    out.add_column("Days vs trough", justify="right")
    for row in stress.to_dict("records"):
        if not row["covered"]:
            out.add_row(
                row["scenario"], row["window"], row["strategy"], str(row["seed"]), "not covered"
            )
            continue
        de_risked = "invested" if not row["holds_cash"] else _date(row["de_risk_date"]) or "none"
        out.add_row(
            row["scenario"],
            row["window"],
            row["strategy"],
            str(row["seed"]),
            _cell(row["max_drawdown"], 100.0, "{:.1f}"),
            _cell(row["drawdown_reduction"], 100.0, "{:+.0f} %"),
            _date(row["market_trough"]),
            de_risked,
            _cell(row["days_from_trough"], 1.0, "{:+.0f}"),
        )
    return out


def _date(value: object) -> str:
    return "" if pd.isna(value) else str(pd.Timestamp(value).date())


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc robustness --scenario covid-2017 --strategies equal_weight,risk_parity,minimum_variance "
        "--rebalance weekly --out runs/robust\n\n"
        "riskalloc robustness --dataset sp500 --test-start 2007-01-01 --sweeps costs,rebalance "
        "--costs 0,10,50 --strategies inverse_volatility,risk_parity --out runs/robust-2008\n\n"
        "riskalloc robustness --scenario covid-2017 --strategies risk_parity,deep_cvar "
        "--limit vol_target=0.10 --sweeps costs --out runs/robust-limited"
    )
)
def robustness(
    strategies: Annotated[
        str, typer.Option("--strategies", help="Comma-separated strategy names.")
    ] = "equal_weight,inverse_volatility,risk_parity,minimum_variance",
    scenario: ScenarioOption = None,
    dataset: DatasetOption = None,
    prices: PricesOption = None,
    assets: AssetsOption = None,
    date_format: DateFormatOption = None,
    max_daily_return: MaxDailyReturnOption = DEFAULT_MAX_DAILY_RETURN,
    test_start: TestStartOption = None,
    train_fraction: TrainFractionOption = None,
    rebalance: RebalanceOption = "daily",
    costs_bps: CostsOption = DEFAULT_COSTS_BPS,
    risk_free: RiskFreeOption = "0",
    risk_free_column: RiskFreeColumnOption = None,
    periods_per_year: PeriodsOption = None,
    seeds: SeedsOption = 1,
    param: ParamOption = None,
    preset: PresetOption = "default",
    groups: GroupsOption = None,
    limit: LimitOption = None,
    sweeps: Annotated[
        str, typer.Option("--sweeps", help="Which sweeps: costs, rebalance, window, risk_measure.")
    ] = "costs,rebalance,window,risk_measure",
    costs: Annotated[
        str, typer.Option("--costs", help="Costs in bps of turnover for the costs sweep.")
    ] = "0,5,10,25,50",
    rebalances: Annotated[
        str, typer.Option("--rebalances", help="Schedules for the rebalance sweep.")
    ] = "daily,weekly,monthly",
    windows: Annotated[
        str,
        typer.Option("--windows", help="Estimation windows (trading days) for the window sweep."),
    ] = "63,126,252",
    risk_measures: Annotated[
        str, typer.Option("--risk-measures", help="Risk measures for the risk_measure sweep.")
    ] = "variance,cvar",
    out: Annotated[
        str, typer.Option("--out", help="Folder of the sweep runs; rerunning into it resumes.")
    ] = "runs/robustness",
    force: ForceOption = False,
    new_run: NewRunOption = False,
    workers: WorkersOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the progress bars.")
    ] = True,
) -> None:
    """Rerun the benchmark with one setting varied at a time, and measure stress windows.

    Each sweep point is a run folder under --out (costs_bps=0/, rebalance=weekly/ ...);
    robustness.csv, stress.csv and report.html summarise them.
    """
    from riskalloc.report import write_robustness_report

    with user_errors():
        names = _items(strategies, "--strategies")
        if len(set(names)) != len(names):
            raise ConfigError(f"--strategies names a strategy twice: {strategies}")
        choices = strategy_choices(names, param, preset, limit, groups)
        plan = SweepPlan(
            sweeps=tuple(dict.fromkeys(Sweep.parse(s) for s in _items(sweeps, "--sweeps"))),
            costs=tuple(check_costs_bps(c, "--costs") for c in _numbers(costs, "--costs", float)),
            rebalances=tuple(_items(rebalances, "--rebalances")),
            windows=_numbers(windows, "--windows", int),
            risk_measures=_risk_measures(risk_measures),
        )
        result = run_robustness(
            data_sources(
                scenario,
                dataset,
                prices,
                assets,
                risk_free_column,
                date_format=date_format,
                max_daily_return=max_daily_return,
            ),
            choices,
            out,
            plan=plan,
            seeds=seeds,
            settings=backtest_settings(
                rebalance,
                costs_bps,
                test_start,
                train_fraction,
                risk_free,
                periods_per_year,
                risk_free_column,
            ),
            workers=workers,
            progress=progress,
            command=sys.argv,
            say=say_warning,
            force=force,
            new_run=new_run,
        )
        folder = result.path or Path(out)
        for sweep in plan.sweeps:
            for label in dict.fromkeys(result.table["scenario"]):
                table = sweep_table(result.table, str(sweep), label)
                if table is not None:
                    console.print(table)
        if len(result.stress):
            console.print(stress_table(result.stress))
        for note in result.notes:
            console.print(f"note: {note}", highlight=False)
        write_run_report(folder / "base")
        try:
            report = f"report: [bold]{write_robustness_report(folder)}[/]"
        except Exception as error:  # the sweeps are written: a failed report does not undo them
            reason = (str(error).splitlines() or [""])[0]
            errors.print(
                f"warning: {folder}/report.html not written ({type(error).__name__}: {reason})",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            report = "no report"
        console.print(
            f"Results in [bold]{folder}[/] (robustness.csv, stress.csv); {report}",
            highlight=False,
        )
        if not result.ok:
            for cell, error in result.failures.items():
                errors.print(f"[red]failed[/] {cell}: {error.splitlines()[0]}", highlight=False)
            raise typer.Exit(1)
