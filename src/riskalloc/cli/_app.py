"""The ``riskalloc`` command. Options become typed values here; the work is in the library."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from riskalloc._errors import ConfigError, RiskallocError
from riskalloc.backtest import DEFAULT_COSTS_BPS, Rebalance
from riskalloc.cli._params import parse_params
from riskalloc.cli._tables import results_table
from riskalloc.evaluation import summarise_seeds
from riskalloc.runner import (
    Backend,
    BacktestSettings,
    DataSource,
    GridSummary,
    SourceKind,
    StrategyChoice,
    run_benchmark,
)

app = typer.Typer(
    name="riskalloc",
    help="Risk-aware asset allocation, benchmarked walk-forward on real data, net of costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
# Piped output (CI logs, files) gets a width that fits the benchmark table.
console = Console(width=None if sys.stdout.isatty() else 150)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 150)

# --- options every data-reading command shares -------------------------------------------
ScenarioOption = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario", "-s", help="Named scenario (bull-2010, bear-2003, covid-2017); repeatable."
    ),
]
DatasetOption = Annotated[
    str | None, typer.Option("--dataset", help="Bundled dataset: sp500, sp500_index or factors.")
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        "--prices", help="CSV or Parquet file: a date column, then one price column per asset."
    ),
]
AssetsOption = Annotated[
    str | None,
    typer.Option("--assets", help="Comma-separated subset of assets of --dataset/--prices."),
]
TestStartOption = Annotated[
    str | None, typer.Option("--test-start", help="First date of the test span (YYYY-MM-DD).")
]
TrainFractionOption = Annotated[
    float | None,
    typer.Option(
        "--train-fraction", help="Share of dates for training (default: the scenario's, else 0.8)."
    ),
]
RebalanceOption = Annotated[
    str,
    typer.Option(
        "--rebalance", help="daily, weekly, monthly, quarterly, or every N trading days (e.g. 5)."
    ),
]
CostsOption = Annotated[
    float, typer.Option("--costs-bps", help="Proportional costs in basis points of turnover.")
]
RiskFreeOption = Annotated[
    float,
    typer.Option("--risk-free", help="Annual rate earned by cash and used in the Sharpe ratio."),
]
SeedsOption = Annotated[
    int,
    typer.Option(
        "--seeds", help="Seeds 0..N-1 for stochastic strategies; deterministic ones run once."
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="key=value for every selected strategy with that parameter; repeatable.",
    ),
]
GroupsOption = Annotated[
    Path | None,
    typer.Option(
        "--groups",
        help="CSV with columns asset,group (e.g. sectors), for strategies with a 'groups' parameter; "
        "caps with --param group_caps=tech:0.4,financials:0.3.",
    ),
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Worker processes (default: all cores).")
]


@contextmanager
def _user_errors():
    """A user error prints one line and exits 2; anything else is a bug and keeps its traceback."""
    try:
        yield
    except RiskallocError as error:
        errors.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(2) from None


def _sources(
    scenarios: list[str] | None, dataset: str | None, prices: Path | None, assets: str | None
) -> list[DataSource]:
    chosen = [DataSource(SourceKind.SCENARIO, name) for name in scenarios or []]
    subset = tuple(a.strip() for a in assets.split(",") if a.strip()) if assets else None
    if dataset:
        chosen.append(DataSource(SourceKind.DATASET, dataset, subset))
    if prices:
        chosen.append(DataSource(SourceKind.PRICES, str(prices), subset))
    if subset and not (dataset or prices):
        raise ConfigError("--assets applies to --dataset or --prices (scenarios fix their assets)")
    return chosen


def _add_groups(params: dict[str, dict], groups: Path | None) -> None:
    """Give the asset -> group mapping of ``--groups`` to every strategy that takes one."""
    if groups is None:
        return
    from riskalloc.data import load_groups
    from riskalloc.strategies import strategy_class

    mapping = load_groups(groups)
    takers = [name for name in params if "groups" in strategy_class(name).param_names()]
    if not takers:
        raise ConfigError(
            f"--groups: none of the selected strategies ({', '.join(params)}) takes groups"
        )
    for name in takers:
        params[name]["groups"] = mapping


def _settings(
    rebalance: str,
    costs_bps: float,
    test_start: str | None,
    train_fraction: float | None,
    risk_free: float,
) -> BacktestSettings:
    Rebalance.parse(rebalance)
    return BacktestSettings(
        rebalance=rebalance,
        costs_bps=costs_bps,
        test_start=test_start,
        train_fraction=train_fraction,
        risk_free=risk_free,
    )


def _print_fallbacks(summary: GridSummary, out: Path) -> None:
    """One line per cell whose weights came partly from a declared fallback or carry notes."""
    from riskalloc.store import RunStore

    store = RunStore(out)
    for spec in summary.specs:
        if not store.is_done(spec):
            continue
        info = store.load_cell(spec)["info"]
        decisions = info.get("decisions", 0)
        parts = []
        if info.get("fallbacks"):
            methods = sorted(set(info["fallbacks"].values()))
            parts.append(
                f"fallbacks: {len(info['fallbacks'])} of {decisions} dates ({'; '.join(methods)})"
            )
        for note, count in info.get("notes", {}).items():
            if not note.startswith("fallback"):
                parts.append(f"{note}: {count} of {decisions} dates")
        if parts:
            console.print(f"{spec.label}: " + ", ".join(parts), highlight=False)


def _write_report(out: Path) -> Path:
    """Write the run's ``report.html`` (plotly is imported only here, when a report is made)."""
    from riskalloc.report import write_report

    return write_report(out)


def _report(summary: GridSummary, out: Path) -> None:
    """Print the results table and notes, write report.html, then report failed cells."""
    metrics = summary.metrics
    if len(metrics):
        console.print(results_table(summarise_seeds(metrics)))
    _print_fallbacks(summary, out)
    done_before = f", {summary.skipped} done earlier" if summary.skipped else ""
    console.print(
        f"{len(summary.specs)} cells: {summary.finished} run{done_before}, {len(summary.failures)} failed. "
        f"Results in [bold]{out}[/] (metrics.csv, weights.parquet, returns.parquet, config.json)"
    )
    # The table is printed first: results are saved and shown even if the report fails.
    console.print(f"Report: [bold]{_write_report(out)}[/]", highlight=False)
    if summary.failures:
        by_id = {spec.cell_id: spec for spec in summary.specs}
        for cell_id, error in summary.failures.items():
            first_line = error.splitlines()[0]
            errors.print(f"[red]failed[/] {by_id[cell_id].label}: {first_line}", highlight=False)
        errors.print(f"details in {out / 'failures.csv'}")
        raise typer.Exit(1)


@app.command()
def datasets() -> None:
    """List the bundled datasets and the named scenarios.

    [bold]Example[/]: riskalloc datasets
    """
    from riskalloc.data import DATASETS, SCENARIOS, load_dataset

    with _user_errors():
        table = Table(
            title="Bundled datasets (offline, from the skfolio wheel)", title_justify="left"
        )
        for header in ("name", "assets", "first date", "last date", "description"):
            table.add_column(header)
        for name, dataset in DATASETS.items():
            prices = load_dataset(name)
            table.add_row(
                name,
                str(prices.shape[1]),
                str(prices.index[0].date()),
                str(prices.index[-1].date()),
                dataset.description,
            )
        console.print(table)
        table = Table(title="Named scenarios", title_justify="left")
        for header in ("name", "span", "assets", "protocol"):
            table.add_column(header)
        for name, spec in SCENARIOS.items():
            protocol = (
                f"test from {spec.test_start}"
                if spec.test_start
                else f"first {spec.train_fraction:.0%} train"
            )
            stress = (
                "; stress " + ", ".join(f"{w[1]}..{w[2]}" for w in spec.stress_windows)
                if spec.stress_windows
                else ""
            )
            table.add_row(
                name,
                f"{spec.start} .. {spec.end}",
                " ".join(spec.assets) if spec.assets else "all 20",
                protocol + stress,
            )
        console.print(table)


@app.command()
def strategies() -> None:
    """List the registered strategies and their parameters.

    [bold]Example[/]: riskalloc strategies
    """
    import inspect

    from riskalloc.strategies import list_strategies, strategy_class

    with _user_errors():
        table = Table(title="Strategies", title_justify="left")
        for header in ("name", "kind", "parameters (default)"):
            table.add_column(header)
        for name in list_strategies():
            cls = strategy_class(name)
            signature = inspect.signature(cls.__init__)
            params = ", ".join(
                f"{p.name}={p.default!r}" for p in signature.parameters.values() if p.name != "self"
            )
            table.add_row(
                name,
                "stochastic" if getattr(cls, "stochastic", False) else "deterministic",
                params or "-",
            )
        console.print(table)


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc backtest --scenario bull-2010 --strategy inverse_volatility --rebalance weekly "
        "--costs-bps 10 --out runs/iv\n\n"
        "riskalloc backtest --prices my_prices.csv --strategy equal_weight --test-start 2019-01-01 --out runs/ew\n\n"
        "riskalloc backtest --dataset sp500 --strategy fixed_mix --param weights=AAPL:0.6,MSFT:0.4"
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
    test_start: TestStartOption = None,
    train_fraction: TrainFractionOption = None,
    rebalance: RebalanceOption = "daily",
    costs_bps: CostsOption = DEFAULT_COSTS_BPS,
    risk_free: RiskFreeOption = 0.0,
    seeds: SeedsOption = 1,
    param: ParamOption = None,
    groups: GroupsOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default runs/STRATEGY).")
    ] = None,
) -> None:
    """Walk-forward backtest of one strategy, net of costs; writes a run folder."""
    with _user_errors():
        if scenario and len(scenario) > 1:
            raise ConfigError("backtest takes one --scenario; use benchmark for several")
        sources = _sources(scenario, dataset, prices, assets)
        if len(sources) > 1:
            raise ConfigError("backtest takes one data source: --scenario, --dataset or --prices")
        params = parse_params(param or [], [strategy])
        _add_groups(params, groups)
        out = out or Path("runs") / strategy
        summary = run_benchmark(
            sources,
            [StrategyChoice(strategy, params[strategy])],
            out,
            seeds=seeds,
            settings=_settings(rebalance, costs_bps, test_start, train_fraction, risk_free),
            workers=1,
            progress=False,
            command=sys.argv,
        )
        _report(summary, out)


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
    test_start: TestStartOption = None,
    train_fraction: TrainFractionOption = None,
    rebalance: RebalanceOption = "daily",
    costs_bps: CostsOption = DEFAULT_COSTS_BPS,
    risk_free: RiskFreeOption = 0.0,
    seeds: SeedsOption = 1,
    param: ParamOption = None,
    groups: GroupsOption = None,
    out: Annotated[
        Path, typer.Option("--out", help="Run folder; rerunning into it resumes.")
    ] = Path("runs/benchmark"),
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
) -> None:
    """Run every scenario x strategy x seed cell and print the benchmark table.

    Cells run in parallel; a cell that fails is recorded and the others go on
    (exit status 1). Rerunning the same command into the same --out skips the
    cells already finished.
    """
    with _user_errors():
        names = [name.strip() for name in strategies.split(",") if name.strip()]
        if len(set(names)) != len(names):
            raise ConfigError(f"--strategies names a strategy twice: {strategies}")
        try:
            chosen_backend = Backend(backend)
        except ValueError:
            raise ConfigError(f"--backend must be local or ray, got {backend!r}") from None
        params = parse_params(param or [], names)
        _add_groups(params, groups)
        summary = run_benchmark(
            _sources(scenario, dataset, prices, assets),
            [StrategyChoice(name, params[name]) for name in names],
            out,
            seeds=seeds,
            settings=_settings(rebalance, costs_bps, test_start, train_fraction, risk_free),
            backend=chosen_backend,
            workers=workers,
            address=address,
            progress=progress,
            command=sys.argv,
        )
        _report(summary, out)


@app.command(
    epilog="[bold]Examples[/]\n\nriskalloc report runs/bench\n\nriskalloc report runs/bench --png"
)
def report(
    run_dir: Annotated[
        Path, typer.Argument(help="Run folder written by benchmark or backtest (--out).")
    ],
    png: Annotated[
        bool,
        typer.Option("--png", help="Also write each figure as PNG under RUN_DIR/figures/."),
    ] = False,
) -> None:
    """Rebuild RUN_DIR/report.html from the stored results (one self-contained file)."""
    from riskalloc.report import write_report

    with _user_errors():
        path = write_report(run_dir, png=png)
        console.print(f"Report: [bold]{path}[/]", highlight=False)
        if png:
            console.print(f"Figures as PNG: [bold]{path.parent / 'figures'}[/]", highlight=False)


@app.command(epilog=("[bold]Example[/]\n\nriskalloc frontier --scenario bull-2010 --window 252"))
def frontier(
    scenario: ScenarioOption = None,
    dataset: DatasetOption = None,
    prices: PricesOption = None,
    assets: AssetsOption = None,
    test_start: TestStartOption = None,
    train_fraction: TrainFractionOption = None,
    window: Annotated[
        int, typer.Option("--window", help="Daily returns in the estimation window.")
    ] = 252,
    points: Annotated[int, typer.Option("--points", help="Points on the frontier.")] = 20,
    risk_free: RiskFreeOption = 0.0,
) -> None:
    """The efficient frontier on the training span's last window, and where each classical
    strategy sits on it (annualised return, volatility, Sharpe)."""
    from riskalloc.backtest import resolve_split
    from riskalloc.data import MarketData
    from riskalloc.strategies.classical import frontier_with_strategies

    with _user_errors():
        sources = _sources(scenario, dataset, prices, assets)
        if len(sources) != 1:
            raise ConfigError("frontier takes one data source: --scenario, --dataset or --prices")
        if points < 2:
            raise ConfigError(f"--points must be at least 2, got {points}")
        loaded = sources[0].load()
        market = MarketData(loaded.prices, name=loaded.label)
        split = resolve_split(
            market.dates,
            test_start=test_start,
            train_fraction=train_fraction,
            default_test_start=loaded.default_test_start,
            source=loaded.label,
        )
        curve, placements = frontier_with_strategies(
            market, split.train_end, window=window, n_points=points, risk_free=risk_free
        )
        table = Table(
            title=f"Efficient frontier: {loaded.label}, {window} daily returns up to {split.train_end.date()} (long-only)",
            title_justify="left",
        )
        for header in ("point", "return %", "volatility %", "Sharpe"):
            table.add_column(header, justify="right")
        for index, row in curve.iterrows():
            table.add_row(
                str(index),
                f"{100 * row['return']:.2f}",
                f"{100 * row['volatility']:.2f}",
                f"{row['sharpe']:.3f}",
            )
        console.print(table)
        table = Table(title="Classical strategies on the same estimates", title_justify="left")
        for header in ("strategy", "return %", "volatility %", "Sharpe"):
            table.add_column(header, justify="right" if header != "strategy" else "left")
        for _, row in placements.iterrows():
            table.add_row(
                row["strategy"],
                f"{100 * row['return']:.2f}",
                f"{100 * row['volatility']:.2f}",
                f"{row['sharpe']:.3f}",
            )
        console.print(table)


def main() -> None:
    """Entry point of the ``riskalloc`` console script."""
    app()
