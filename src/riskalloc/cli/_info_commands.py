"""The commands that show things: datasets, strategies, the efficient frontier, the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskalloc.cli._common import (
    AssetsOption,
    DatasetOption,
    PricesOption,
    RiskFreeOption,
    ScenarioOption,
    TestStartOption,
    TrainFractionOption,
    app,
    console,
    one_source_split,
    user_errors,
)
from riskalloc.cli._data_sources import DateFormatOption, MaxDailyReturnOption
from riskalloc.cli._rates import parse_risk_free, source_risk_free
from riskalloc.core import ConfigError
from riskalloc.data import DEFAULT_MAX_DAILY_RETURN


@app.command()
def datasets() -> None:
    """List the bundled datasets and the named scenarios.

    [bold]Example[/]: riskalloc datasets
    """
    from riskalloc.data import DATASETS, SCENARIOS, load_dataset

    with user_errors():
        table = Table(
            title="Bundled datasets (offline: the skfolio wheel, and the multi-asset files built by "
            "tools/build_datasets.py)",
            title_justify="left",
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
        console.print(
            "Synthetic markets (--dataset, generated, seeded): "
            "synthetic:regime:assets=50,days=2520,seed=0 (regime-switching Gaussian) and "
            "synthetic:bootstrap:source=sp500,days=5000,block=20,seed=1 (stationary block "
            "bootstrap of a bundled dataset's days)",
            highlight=False,
        )


@app.command()
def strategies() -> None:
    """List the registered strategies and their parameters.

    [bold]Example[/]: riskalloc strategies
    """
    import inspect

    from riskalloc.strategies import list_strategies, strategy_class

    with user_errors():
        table = Table(title="Strategies", title_justify="left")
        for header in ("name", "kind", "parameters (default)"):
            table.add_column(header)
        for name in list_strategies():
            cls = strategy_class(name)
            signature = inspect.signature(cls.__init__)
            shown = [
                p
                for p in signature.parameters.values()
                if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD
            ]
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
                shown.append(None)  # e.g. deep_ensemble: any parameter of its base
            params = ", ".join(
                "and any parameter of the base" if p is None else f"{p.name}={p.default!r}"
                for p in shown
            )
            table.add_row(
                name,
                "stochastic" if getattr(cls, "stochastic", False) else "deterministic",
                params or "-",
            )
        console.print(table)


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

    with user_errors():
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
    date_format: DateFormatOption = None,
    max_daily_return: MaxDailyReturnOption = DEFAULT_MAX_DAILY_RETURN,
    test_start: TestStartOption = None,
    train_fraction: TrainFractionOption = None,
    window: Annotated[
        int, typer.Option("--window", help="Daily returns in the estimation window.")
    ] = 252,
    points: Annotated[int, typer.Option("--points", help="Points on the frontier.")] = 20,
    risk_free: RiskFreeOption = "0",
) -> None:
    """The efficient frontier on the training span's last window, and where each classical
    strategy sits on it (annualised return, volatility, Sharpe)."""
    from riskalloc.strategies import frontier_with_strategies

    with user_errors():
        if points < 2:
            raise ConfigError(f"--points must be at least 2, got {points}")
        loaded, market, split = one_source_split(
            "frontier",
            scenario,
            dataset,
            prices,
            assets,
            test_start,
            train_fraction,
            date_format=date_format,
            max_daily_return=max_daily_return,
        )
        rate = source_risk_free(parse_risk_free(risk_free), loaded, split.train_end)
        curve, placements = frontier_with_strategies(
            market, split.train_end, window=window, n_points=points, risk_free=rate
        )
        table = Table(
            title=f"Efficient frontier: {market.name}, {window} daily returns up to {split.train_end.date()} (long-only)",
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
