"""The commands that run strategies: backtest and benchmark."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

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
    print_results,
    strategy_choices,
    user_errors,
)
from riskalloc.cli._data_sources import DateFormatOption, MaxDailyReturnOption
from riskalloc.cli._run_folder import ForceOption, NewRunOption, say_warning
from riskalloc.core import DEFAULT_COSTS_BPS, ConfigError
from riskalloc.data import DEFAULT_MAX_DAILY_RETURN
from riskalloc.evaluation import StatisticsSettings
from riskalloc.runner import Backend, run_benchmark

BenchmarkOption = Annotated[
    str,
    typer.Option(
        "--benchmark",
        help="Strategy the statistics test against (Sharpe difference, SPA, seeds beating it); "
        "backtested with the run's settings when not in the run.",
    ),
]


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc backtest --scenario bull-2010 --strategy inverse_volatility --rebalance weekly "
        "--costs-bps 10 --out runs/iv\n\n"
        "riskalloc backtest --prices my_prices.csv --strategy equal_weight --test-start 2019-01-01 --out runs/ew\n\n"
        "riskalloc backtest --dataset sp500 --strategy fixed_mix --param weights=AAPL:0.6,MSFT:0.4\n\n"
        "riskalloc backtest --scenario covid-2017 --strategy risk_parity --limit max_weight=0.1 "
        "--limit vol_target=0.10 --limit drawdown_stop=0.15 --out runs/rp-limited"
    )
)
def backtest(
    strategy: Annotated[
        str,
        typer.Option("--strategy", help="Registered strategy name (see `riskalloc strategies`)."),
    ],
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
    benchmark: BenchmarkOption = "equal_weight",
    out: Annotated[
        str | None,
        typer.Option(
            "--out", help="Run folder (default runs/STRATEGY); rerunning into it resumes."
        ),
    ] = None,
    force: ForceOption = False,
    new_run: NewRunOption = False,
) -> None:
    """Walk-forward backtest of one strategy, net of costs; writes a run folder."""
    with user_errors():
        if scenario and len(scenario) > 1:
            raise ConfigError("backtest takes one --scenario; use benchmark for several")
        sources = data_sources(
            scenario,
            dataset,
            prices,
            assets,
            risk_free_column,
            date_format=date_format,
            max_daily_return=max_daily_return,
        )
        if len(sources) > 1:
            raise ConfigError("backtest takes one data source: --scenario, --dataset or --prices")
        choices = strategy_choices([strategy], param, preset, limit, groups)
        folder = str(Path("runs") / strategy) if out is None else out
        summary = run_benchmark(
            sources,
            choices,
            folder,
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
            workers=1,
            progress=False,
            command=sys.argv,
            statistics=StatisticsSettings(benchmark=benchmark),
            force=force,
            new_run=new_run,
            say=say_warning,
        )
        print_results(summary, summary.path)


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc benchmark --scenario bull-2010 --scenario bear-2003 "
        "--strategies equal_weight,inverse_volatility,fixed_mix --out runs/bench\n\n"
        "riskalloc benchmark --scenario covid-2017 --strategies equal_weight,inverse_volatility "
        "--backend ray --address auto --out runs/ray"
    )
)
def benchmark(
    strategies: Annotated[
        str, typer.Option("--strategies", help="Comma-separated strategy names.")
    ] = "equal_weight,inverse_volatility,fixed_mix",
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
    benchmark_strategy: BenchmarkOption = "equal_weight",
    out: Annotated[
        str, typer.Option("--out", help="Run folder; rerunning into it resumes.")
    ] = "runs/benchmark",
    force: ForceOption = False,
    new_run: NewRunOption = False,
    backend: Annotated[
        str, typer.Option("--backend", help="local (worker processes) or ray.")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="Ray cluster: auto or HOST:PORT (default: start a local Ray)."
        ),
    ] = None,
    workers: WorkersOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")
    ] = True,
    tensorboard: Annotated[
        Path | None,
        typer.Option(
            "--tensorboard",
            help="Also write the training curves (deep epochs, RL episode rewards) as "
            "TensorBoard event files under this folder (needs riskalloc[tensorboard]).",
        ),
    ] = None,
) -> None:
    """Run every scenario x strategy x seed cell and print the benchmark table.

    Cells run in parallel; a cell that fails is recorded and the others go on
    (exit status 1). Rerunning the same command into the same --out skips the
    cells already finished (each verified against its checksums; a damaged one
    runs again). A run with other settings is refused there: see --new-run.
    """
    with user_errors():
        names = [name.strip() for name in strategies.split(",") if name.strip()]
        if len(set(names)) != len(names):
            raise ConfigError(f"--strategies names a strategy twice: {strategies}")
        try:
            chosen_backend = Backend(backend)
        except ValueError:
            raise ConfigError(f"--backend must be local or ray, got {backend!r}") from None
        choices = strategy_choices(names, param, preset, limit, groups)
        if tensorboard is not None:
            from riskalloc.report import check_tensorboard

            check_tensorboard()  # before any work
            if tensorboard.exists() and not tensorboard.is_dir():
                raise ConfigError(f"--tensorboard {tensorboard}: exists and is not a folder")
        summary = run_benchmark(
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
            backend=chosen_backend,
            workers=workers,
            address=address,
            progress=progress,
            command=sys.argv,
            statistics=StatisticsSettings(benchmark=benchmark_strategy),
            force=force,
            new_run=new_run,
            say=say_warning,
        )
        print_results(summary, summary.path)
        if tensorboard is not None:
            from riskalloc.report import write_tensorboard

            folders = write_tensorboard(summary.path, tensorboard)
            console.print(
                f"TensorBoard: {len(folders)} training curves in {tensorboard} "
                f"(tensorboard --logdir {tensorboard})",
                highlight=False,
            )
