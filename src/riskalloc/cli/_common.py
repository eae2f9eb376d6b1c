"""What every command shares: the app, consoles, data options, error handling, printing results."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import rich.markup
import typer
from rich.console import Console

from riskalloc.cli._data_sources import data_sources
from riskalloc.cli._params import parse_params
from riskalloc.cli._rates import parse_risk_free
from riskalloc.cli._tables import results_table, statistics_tables, verdict_table
from riskalloc.core import (
    ConfigError,
    Rebalance,
    RiskallocError,
    check_costs_bps,
)
from riskalloc.data import DEFAULT_MAX_DAILY_RETURN
from riskalloc.evaluation import summarise_seeds
from riskalloc.runner import (
    BacktestSettings,
    GridSummary,
    StrategyChoice,
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
    str | None,
    typer.Option(
        "--dataset",
        help="Bundled dataset: sp500, sp500_index or factors; or a synthetic market: "
        "synthetic:regime:assets=50,seed=0 (regime-switching Gaussian; also days, start, "
        "calm_/stressed_ mean, volatility, correlation, persistence) or "
        "synthetic:bootstrap:seed=1 (block bootstrap of real returns; also source=sp500, "
        "block=20, days, start, source_start, source_end).",
    ),
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
    str,
    typer.Option(
        "--risk-free",
        help="What cash earns and the Sharpe ratio is in excess of: an annual rate (0.02 for "
        "2 %), or tbill: the 3-month bill rate known at the previous close (scenarios of the "
        "multi_asset dataset), or a prices file's rate column (with --risk-free-column); auto: "
        "that rate where the data has one, else 0.",
    ),
]
RiskFreeColumnOption = Annotated[
    str | None,
    typer.Option(
        "--risk-free-column",
        help="A column of the --prices file holding the annual risk-free rate (decimals, known "
        "at each close): taken out of the assets, earned by cash, used in the Sharpe ratio.",
    ),
]
PeriodsOption = Annotated[
    int | None,
    typer.Option(
        "--periods-per-year",
        help="Periods a year of the data (252 daily, 52 weekly, 12 monthly, 4 quarterly); "
        "default: read from the dates.",
    ),
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
LimitOption = Annotated[
    list[str] | None,
    typer.Option(
        "--limit",
        help="Risk limit key=value applied to every selected strategy (shown as NAME+limits); "
        "repeatable: max_weight=0.2, group_caps=tech:0.4 (with --groups), var=0.02, cvar=0.03 "
        "(1-day loss; limit_alpha=0.95, risk_window=250), vol_target=0.10 (vol_window=60), "
        "max_turnover=0.2 (two-way, per rebalance), drawdown_stop=0.15 (reenter=0.05 recovery "
        "from the trough, or reenter_days=N).",
    ),
]
PresetOption = Annotated[
    str,
    typer.Option(
        "--preset",
        help="Training budget: default (demo-sized: RL 50,000 timesteps, deep 20 epochs) or "
        "full (RL 1,000,000 timesteps, deep 100 epochs); --param overrides it.",
    ),
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Worker processes (default: all cores).")
]


@contextmanager
def user_errors():
    """A user error prints one line and exits 2; anything else is a bug and keeps its traceback."""
    try:
        yield
    except RiskallocError as error:
        # The message may hold brackets (a path, a manifest value): never read them as markup.
        message = rich.markup.escape(str(error))
        errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(2) from None


def one_source_split(
    command: str,
    scenario: list[str] | None,
    dataset: str | None,
    prices: Path | None,
    assets: str | None,
    test_start: str | None,
    train_fraction: float | None,
    rate_column: str | None = None,
    *,
    date_format: str | None = None,
    max_daily_return: float = DEFAULT_MAX_DAILY_RETURN,
):
    """The one data source a command takes, loaded, with its train/test split.

    Returns ``(loaded, market, split)``: the loaded source (with its rate series, if
    any), the whole span as ``MarketData`` and the boundary.
    """
    from riskalloc.backtest import resolve_split

    if scenario and len(scenario) > 1:
        raise ConfigError(f"{command} takes one --scenario")
    sources = data_sources(
        scenario,
        dataset,
        prices,
        assets,
        rate_column,
        date_format=date_format,
        max_daily_return=max_daily_return,
    )
    if len(sources) != 1:
        raise ConfigError(f"{command} takes one data source: --scenario, --dataset or --prices")
    loaded = sources[0].load()
    market = loaded.market()
    split = resolve_split(
        market.dates,
        test_start=test_start,
        train_fraction=train_fraction,
        default_test_start=loaded.default_test_start,
        source=loaded.label,
    )
    return loaded, market, split


def add_groups(params: dict[str, dict], groups: Path | None, *, for_limits: bool = False) -> None:
    """Give the asset -> group mapping of ``--groups`` to every strategy that takes one.

    ``for_limits``: the ``--limit group_caps`` use the groups, so no strategy need take them.
    """
    if groups is None:
        return
    from riskalloc.data import load_groups
    from riskalloc.strategies import strategy_class

    mapping = load_groups(groups)
    takers = [name for name in params if "groups" in strategy_class(name).param_names()]
    if not takers and not for_limits:
        raise ConfigError(
            f"--groups: none of the selected strategies ({', '.join(params)}) takes groups"
        )
    for name in takers:
        params[name]["groups"] = mapping


def parse_limit_options(pairs: list[str] | None, groups: Path | None):
    """The ``--limit`` options as :class:`~riskalloc.strategies.limits.Limits` (None without any)."""
    if not pairs:
        return None
    from riskalloc.data import load_groups
    from riskalloc.strategies.limits import parse_limits

    return parse_limits(pairs, load_groups(groups) if groups is not None else None)


def strategy_choices(
    names: list[str],
    pairs: list[str] | None,
    preset: str,
    limit: list[str] | None,
    groups: Path | None,
) -> list[StrategyChoice]:
    """The strategies of a run command: their ``--param`` values over the ``--preset``,
    the ``--limit`` options and the ``--groups`` mapping, each checked before any work."""
    params = parse_params(pairs or [], names, preset)
    limits = parse_limit_options(limit, groups)
    add_groups(params, groups, for_limits=bool(limits and limits.group_caps))
    return [StrategyChoice(name, params[name], limits) for name in names]


def backtest_settings(
    rebalance: str,
    costs_bps: float,
    test_start: str | None,
    train_fraction: float | None,
    risk_free: str | float,
    periods_per_year: int | None = None,
    rate_column: str | None = None,
) -> BacktestSettings:
    """The backtest options, checked here so that a bad one is a usage error before any
    data is read or any cell runs (the bounds are the library's: ``check_costs_bps``,
    ``check_annual_rate``)."""
    Rebalance.parse(rebalance)
    costs_bps = check_costs_bps(costs_bps, "--costs-bps")
    if periods_per_year is not None and periods_per_year < 1:
        raise ConfigError(f"--periods-per-year must be at least 1, got {periods_per_year}")
    if train_fraction is not None and not 0.0 < train_fraction < 1.0:
        raise ConfigError(
            f"--train-fraction must be strictly between 0 and 1, got {train_fraction}"
        )
    return BacktestSettings(
        rebalance=rebalance,
        costs_bps=costs_bps,
        test_start=test_start,
        train_fraction=train_fraction,
        risk_free=parse_risk_free(risk_free, rate_column),
        periods_per_year=periods_per_year,
    )


def print_fallbacks(summary: GridSummary, out: Path) -> None:
    """One line per cell whose weights came partly from a declared fallback or carry notes."""
    from riskalloc.store import RunStore

    store = summary.store or RunStore(out)  # the run's own: its cells are verified once
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
            parts.append(f"{note}: {count} of {decisions} dates")
        if parts:
            console.print(f"{spec.label}: " + ", ".join(parts), highlight=False)


def write_run_report(out: Path) -> Path | str:
    """Write the run's ``report.html`` (plotly is imported only here, when a report is made).

    The run's results are written before the report: a report that fails prints a
    one-line warning and the run stays finished (returns what to print instead of a path).
    """
    from riskalloc.report import write_report

    try:
        return write_report(out)
    except Exception as error:
        reason = (str(error).splitlines() or [""])[0]
        errors.print(
            f"warning: {out}/report.html not written ({type(error).__name__}: {reason}); "
            "the results are in the run folder",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return "not written (see the warning above)"


def print_verdicts(out: Path) -> None:
    """Each scenario with deep or RL strategies ends with its verdict: a table, then one
    sentence per strategy (see :func:`riskalloc.evaluation.verdicts`)."""
    from riskalloc.report import Run, scenario_verdicts

    try:
        run = Run.load(out)
        for scenario in run.scenarios:
            verdicts = scenario_verdicts(run, scenario)
            if verdicts.empty:
                continue
            console.print(verdict_table(verdicts, scenario))
            for sentence in verdicts["summary"]:
                console.print(sentence, highlight=False, markup=False, soft_wrap=True)
    except Exception as error:  # the results are saved: a verdict that fails is a warning
        reason = (str(error).splitlines() or [""])[0]
        errors.print(
            f"warning: verdicts not shown ({type(error).__name__}: {reason})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def print_results(summary: GridSummary, out: Path) -> None:
    """Print the results table and notes, write report.html, then report failed cells."""
    metrics = summary.metrics
    if len(metrics):
        console.print(results_table(summarise_seeds(metrics)))
        for table in statistics_tables(metrics, summary.benchmark):
            console.print(table)
        print_verdicts(out)
    print_fallbacks(summary, out)
    done_before = f", {summary.skipped} done earlier" if summary.skipped else ""
    console.print(
        f"{len(summary.specs)} cells: {summary.finished} run{done_before}, {len(summary.failures)} failed. "
        f"Results in [bold]{out}[/] (metrics.csv, weights.parquet, returns.parquet, config.json)"
    )
    # The table is printed first: results are saved and shown even if the report fails.
    console.print(f"Report: [bold]{write_run_report(out)}[/]", highlight=False)
    if summary.failures:
        by_id = {spec.cell_id: spec for spec in summary.specs}
        for cell_id, error in summary.failures.items():
            first_line = error.splitlines()[0]
            errors.print(f"[red]failed[/] {by_id[cell_id].label}: {first_line}", highlight=False)
        errors.print(f"details in {out / 'failures.csv'}")
        raise typer.Exit(1)
