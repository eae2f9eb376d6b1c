"""``riskalloc explain``: what drove a trained model's allocation on a day, and where its risk sits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from riskalloc.cli._common import (
    DatasetOption,
    PricesOption,
    ScenarioOption,
    app,
    console,
    data_sources,
    user_errors,
)
from riskalloc.cli._json_output import json_text
from riskalloc.cli._model_commands import OutputFormat, decision_history
from riskalloc.core import ConfigError, DataError
from riskalloc.explain import (
    AttributionGrouping,
    AttributionTarget,
    ContributionMeasure,
    FeatureAttribution,
    feature_attribution,
    model_weights,
    risk_contributions_over_time,
)

__all__ = ["explain"]


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc explain --model models/ds --scenario covid-2017 --date 2020-02-20\n\n"
        "riskalloc explain --model models/ds --prices latest.csv --target risk --format json"
    )
)
def explain(
    model: Annotated[Path, typer.Option("--model", help="Folder written by `riskalloc train`.")],
    scenario: ScenarioOption = None,
    dataset: DatasetOption = None,
    prices: PricesOption = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Decision date (default: the last date of the data)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Drivers to show.")] = 10,
    target: Annotated[
        AttributionTarget,
        typer.Option(
            "--target", help="weights (each asset's weight) or risk (forecast volatility)."
        ),
    ] = AttributionTarget.WEIGHTS,
    by: Annotated[
        AttributionGrouping,
        typer.Option("--by", help="family (momentum, volatility, ...) or feature."),
    ] = AttributionGrouping.FAMILY,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table or json.")
    ] = OutputFormat.TABLE,
    samples: Annotated[
        int, typer.Option("--samples", help="Permutations of Shapley value sampling.")
    ] = 50,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the permutations.")] = 0,
    features: Annotated[
        Path | None,
        typer.Option(
            "--features", help="The user feature file, if the model was trained with one."
        ),
    ] = None,
    risk_window: Annotated[
        int, typer.Option("--risk-window", help="Daily returns behind the risk figures.")
    ] = 252,
) -> None:
    """The top drivers of a trained model's allocation on a day (Shapley values of its input
    features, by family) and the Euler risk contributions of the day's weights."""
    from riskalloc.strategies import load_model
    from riskalloc.strategies._protocol import finite_weights

    with user_errors():
        if top < 1:
            raise ConfigError(f"--top must be at least 1, got {top}")
        if risk_window < 2:
            raise ConfigError(f"--risk-window must be at least 2, got {risk_window}")
        strategy = load_model(model, extra_features=features)
        history, decision = _decision_history(strategy, scenario, dataset, prices, date)
        attribution = feature_attribution(
            strategy, history, decision, target=target, by=by, n_samples=samples, seed=seed,
            risk_window=risk_window,
        )  # fmt: skip
        # The weights the attribution explains: the saved model's, never a refit.
        weights = finite_weights(
            model_weights(strategy, history, pd.DatetimeIndex([decision])), strategy.name
        )
        risk = {
            measure: risk_contributions_over_time(
                weights, history, window=risk_window, measure=measure
            ).set_index("asset")
            for measure in ContributionMeasure
        }
    if output is OutputFormat.JSON:
        typer.echo(json_text(_as_json(attribution, risk, top, model)))
        return
    console.print(_drivers_table(attribution, top, model))
    console.print(_risk_table(risk, risk_window))


def _decision_history(
    strategy: Any,
    scenario: list[str] | None,
    dataset: str | None,
    prices: Path | None,
    date: str | None,
) -> tuple[Any, pd.Timestamp]:
    """The one data source's prices up to the decision date; a date past the data is an error."""
    if scenario and len(scenario) > 1:
        raise ConfigError("explain takes one --scenario")
    sources = data_sources(scenario, dataset, prices, None)
    if len(sources) != 1:
        raise ConfigError("explain takes one data source: --scenario, --dataset or --prices")
    loaded = sources[0].load()
    where = prices if prices is not None else loaded.label
    last = loaded.prices.index[-1]
    if date is not None:
        try:
            requested = pd.Timestamp(date)
        except (ValueError, TypeError):
            raise ConfigError(f"--date: cannot read the date {date!r}") from None
        if requested > last:
            raise DataError(
                f"{where}: --date {requested.date()} is after the last price ({last.date()})"
            )
    name = Path(prices).stem if prices is not None else loaded.label
    return decision_history(strategy, loaded.prices, where, name, date)


def _unit(attribution: FeatureAttribution) -> str:
    if attribution.target is AttributionTarget.WEIGHTS:
        return "percentage points of the asset's weight"
    return "percentage points of annualised volatility"


def _drivers_table(attribution: FeatureAttribution, top: int, model: Path) -> Table:
    kind = "weights" if attribution.target is AttributionTarget.WEIGHTS else "forecast volatility"
    table = Table(
        title=f"What drove the {kind} on {attribution.date.date()}",
        caption=f"{model}: Shapley values of its input features by {attribution.by.value}, in "
        f"{_unit(attribution)}, against every input at its training mean; they sum to output - "
        f"base. {attribution.method}.",
    )
    table.add_column(attribution.by.value)
    table.add_column("asset" if attribution.target is AttributionTarget.WEIGHTS else "output")
    table.add_column("contribution pp", justify="right")
    table.add_column("output %", justify="right")
    table.add_column("base %", justify="right")
    for row in attribution.drivers(top).itertuples(index=False):
        table.add_row(
            str(row.group),
            str(row.output),
            f"{row.contribution * 100:+.3f}",
            f"{attribution.output[row.output] * 100:.2f}",
            f"{attribution.base_value[row.output] * 100:.2f}",
        )
    return table


def _risk_table(risk: dict[ContributionMeasure, pd.DataFrame], window: int) -> Table:
    volatility, cvar = risk[ContributionMeasure.VOLATILITY], risk[ContributionMeasure.CVAR]
    table = Table(
        title=f"Euler risk contributions of the day's weights (last {window} days): "
        f"volatility {volatility['risk'].iloc[0]:.2%} a year, CVaR 95% {cvar['risk'].iloc[0]:.2%} "
        "a day"
    )
    for column in ("asset", "weight %", "volatility pp", "share %", "CVaR pp", "share %"):
        table.add_column(column, justify="left" if column == "asset" else "right")
    for asset in volatility.sort_values("contribution", ascending=False).index:
        table.add_row(
            str(asset),
            f"{volatility.loc[asset, 'weight'] * 100:.2f}",
            f"{volatility.loc[asset, 'contribution'] * 100:.3f}",
            f"{volatility.loc[asset, 'share'] * 100:.1f}",
            f"{cvar.loc[asset, 'contribution'] * 100:.3f}",
            f"{cvar.loc[asset, 'share'] * 100:.1f}",
        )
    return table


def _as_json(
    attribution: FeatureAttribution,
    risk: dict[ContributionMeasure, pd.DataFrame],
    top: int,
    model: Path,
) -> dict[str, Any]:
    contributions = attribution.contributions
    return {
        "model": str(model),
        "date": str(attribution.date.date()),
        "target": attribution.target.value,
        "by": attribution.by.value,
        "method": attribution.method,
        "base_value": {str(k): float(v) for k, v in attribution.base_value.items()},
        "output": {str(k): float(v) for k, v in attribution.output.items()},
        "drivers": [
            {
                "group": str(row.group),
                "output": str(row.output),
                "contribution": float(row.contribution),
            }
            for row in attribution.drivers(top).itertuples(index=False)
        ],
        "contributions": {
            str(group): {str(out): float(contributions.loc[group, out]) for out in contributions}
            for group in contributions.index
        },
        "risk_contributions": {
            measure.value: {
                "risk": float(frame["risk"].iloc[0]),
                "assets": {
                    str(asset): {
                        "weight": float(row.weight),
                        "contribution": float(row.contribution),
                    }
                    for asset, row in frame.iterrows()
                },
            }
            for measure, frame in risk.items()
        },
        "conventions": {
            "shapley": "contributions sum to output - base_value; base = every input at its "
            "training-span mean",
            "volatility": "annualised, sample covariance of daily returns",
            "cvar": "historical daily CVaR 95 %, positive = loss",
        },
    }
