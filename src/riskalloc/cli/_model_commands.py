"""The commands around a trained model: ``train`` writes one, ``allocate`` uses it."""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from riskalloc.cli._common import (
    AssetsOption,
    CostsOption,
    DatasetOption,
    LimitOption,
    ParamOption,
    PeriodsOption,
    PresetOption,
    PricesOption,
    RebalanceOption,
    RiskFreeColumnOption,
    RiskFreeOption,
    ScenarioOption,
    TestStartOption,
    TrainFractionOption,
    app,
    console,
    one_source_split,
    parse_limit_options,
    user_errors,
)
from riskalloc.cli._data_sources import DateFormatOption, MaxDailyReturnOption
from riskalloc.cli._json_output import json_text
from riskalloc.cli._params import parse_params
from riskalloc.cli._rates import parse_risk_free, training_risk_free
from riskalloc.core import (
    DEFAULT_COSTS_BPS,
    ConfigError,
    DataError,
    RunContext,
    infer_periods_per_year,
)
from riskalloc.data import DEFAULT_MAX_DAILY_RETURN

__all__ = ["allocate", "train"]


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc train --scenario covid-2017 --strategy deep_cvar --seed 0 --param epochs=50 "
        "--out models/dc\n\n"
        "riskalloc train --prices my_prices.csv --test-start 2021-01-01 --strategy deep_sharpe "
        "--param network=transformer --out models/ds\n\n"
        "riskalloc train --scenario bull-2010 --strategy rl_ppo --preset full --out models/ppo"
    )
)
def train(
    strategy: Annotated[
        str,
        typer.Option("--strategy", help="A deep or RL strategy (see `riskalloc strategies`)."),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Model folder to write: new or empty (or, with --replace, a riskalloc model).",
        ),
    ],
    scenario: ScenarioOption = None,
    dataset: DatasetOption = None,
    prices: PricesOption = None,
    assets: AssetsOption = None,
    date_format: DateFormatOption = None,
    max_daily_return: MaxDailyReturnOption = DEFAULT_MAX_DAILY_RETURN,
    test_start: TestStartOption = None,
    train_fraction: TrainFractionOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Training seed.")] = 0,
    param: ParamOption = None,
    preset: PresetOption = "default",
    limit: LimitOption = None,
    rebalance: RebalanceOption = "daily",
    costs_bps: CostsOption = DEFAULT_COSTS_BPS,
    risk_free: RiskFreeOption = "0",
    risk_free_column: RiskFreeColumnOption = None,
    periods_per_year: PeriodsOption = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace the riskalloc model already in --out (a folder holding anything "
            "else is always refused).",
        ),
    ] = False,
) -> None:
    """Train a deep or RL strategy on the training span and save it.

    The strategy trains at the run context given here (``--costs-bps``,
    ``--risk-free``, ``--rebalance``), as a backtest would train it.

    A deep model is written as model.safetensors + model.json (no pickle); an RL
    policy as stable-baselines3's policy.zip + manifest.json (``allocate`` then needs
    --trust-model, since the zip holds pickled code). With ``--limit`` (end-to-end deep
    strategies) the limits sit in the training graph, are saved with the model, and
    ``allocate`` applies them exactly.

    ``--out`` is checked before training: it must be a new or empty folder, or a
    riskalloc model folder with ``--replace``; a file, a path under a file, a folder
    that is not writable or one holding files riskalloc did not write is refused.
    """
    from riskalloc.strategies import get_strategy, strategy_class
    from riskalloc.strategies._model_files import params_to_json
    from riskalloc.strategies._model_folder import check_model_destination
    from riskalloc.strategies._model_schema import check_param_bounds

    with user_errors():
        folder = check_model_destination(out, replace=replace, option="--out")
        cls = strategy_class(strategy)
        if not cls.saveable:
            raise ConfigError(
                f"train: strategy '{strategy}' has nothing to save; train a deep strategy "
                "(deep_sharpe, deep_cvar, forecast_mvo, vol_risk_budget, deep_ensemble) or an "
                "RL agent (rl_ppo, rl_a2c, rl_ddpg, rl_sac, rl_td3, rl_dqn)"
            )
        params = parse_params(param or [], [strategy], preset)[strategy]
        check_param_bounds(params_to_json(params), f"train --strategy {strategy}")
        limits = parse_limit_options(limit, None)
        if limits is not None:
            params["training_limits"] = _trainable_limits(strategy, limits)
        loaded, market, split = one_source_split(
            "train",
            scenario,
            dataset,
            prices,
            assets,
            test_start,
            train_fraction,
            risk_free_column,
            date_format=date_format,
            max_daily_return=max_daily_return,
        )
        span = market.until(split.train_end)
        rate = parse_risk_free(risk_free, risk_free_column)
        context = RunContext(
            costs_bps,
            training_risk_free(rate, loaded, span.dates),
            periods_per_year=periods_per_year or infer_periods_per_year(span.dates, market.name),
            rebalance=rebalance,
        )
        # A trained model is one network fitted on the training span: it serves as saved
        # (walk-forward refits belong to backtests), unless --param retrain_every says so.
        once = {"retrain_every": None} if "retrain_every" in cls.param_names() else {}
        model = get_strategy(strategy, **{**once, **params, "seed": seed})
        started = time.perf_counter()
        model.fit(span, context)
        elapsed = time.perf_counter() - started
        model.save(folder)
    console.print(
        f"trained {strategy} (seed {seed}) on {market.name}: {len(span)} dates "
        f"{span.dates[0].date()} .. {span.dates[-1].date()}, {len(span.assets)} assets, "
        f"in {elapsed:.1f} s"
    )
    history = getattr(model, "history_", None)
    if history is not None and history.validation_loss:
        console.print(
            f"epochs run {len(history.train_loss)}, best epoch {history.best_epoch + 1}, "
            f"validation loss {history.validation_loss[history.best_epoch]:.4g}"
        )
    console.print(f"model written to {folder}")


def _decision_history(model: Any, prices: Path, date: str | None) -> tuple[Any, pd.Timestamp]:
    """The prices file, restricted to the model's assets and to dates up to the decision date."""
    from riskalloc.data import load_prices

    return decision_history(model, load_prices(prices), prices, Path(prices).stem, date)


def decision_history(
    model: Any, frame: pd.DataFrame, prices: Any, name: str, date: str | None
) -> tuple[Any, pd.Timestamp]:
    """``frame`` (prices from ``prices``, a file or a data source's label) restricted to the
    model's assets and to dates up to the decision date (on or before ``date``; default the
    last); shared by ``allocate`` and ``explain``."""
    from riskalloc.data import MarketData

    missing = [asset for asset in model.assets_ if asset not in frame.columns]
    if missing:
        raise DataError(
            f"{prices}: lacks the asset(s) {', '.join(missing)} the model was trained on "
            f"({', '.join(model.assets_)})"
        )
    frame = frame[list(model.assets_)]
    if date is None:
        decision = frame.index[-1]
    else:
        try:
            requested = pd.Timestamp(date)
        except (ValueError, TypeError):
            raise ConfigError(f"--date: cannot read the date {date!r}") from None
        on_or_before = frame.index[frame.index <= requested]
        if len(on_or_before) == 0:
            raise DataError(f"{prices}: no price on or before --date {requested.date()}")
        decision = on_or_before[-1]
    history = MarketData(frame.loc[:decision], name=name)
    if len(history) < model.min_history:
        raise DataError(
            f"{prices}: {len(history)} dates up to {decision.date()}, but the model needs "
            f"{model.min_history} (its lookback plus feature warm-up)"
        )
    return history, decision


def _trainable_limits(strategy: str, limits: Any) -> dict[str, Any]:
    """``train --limit``: the limits as ``training_limits``, when they can all be trained under."""
    from riskalloc.strategies import strategy_class
    from riskalloc.strategies.limits import differentiable_limits

    if not getattr(strategy_class(strategy), "accepts_training_limits", False):
        raise ConfigError(
            f"train --limit: '{strategy}' does not train under limits; the end-to-end deep "
            "strategies (deep_sharpe, deep_cvar) do. Use --limit with backtest or benchmark."
        )
    kept = differentiable_limits(limits)
    dropped = sorted(set(limits.to_dict()) - set(kept.to_dict() if kept else {}))
    if kept is None or dropped:
        raise ConfigError(
            f"train --limit {(dropped or ['...'])[0]}: a saved model takes max_weight, var, cvar "
            "and vol_target (with limit_alpha, risk_window, vol_window); group caps, turnover and "
            "the drawdown stop depend on groups or on the path of past decisions: use them with "
            "backtest or benchmark"
        )
    return kept.to_dict()


@app.command(
    epilog=(
        "[bold]Examples[/]\n\n"
        "riskalloc allocate --model models/dc --prices latest.csv\n\n"
        "riskalloc allocate --model models/dc --prices latest.csv --date 2020-02-20 --format json\n\n"
        "riskalloc allocate --model models/ppo --prices latest.csv --trust-model"
    )
)
def allocate(
    model: Annotated[Path, typer.Option("--model", help="Folder written by `riskalloc train`.")],
    prices: Annotated[
        Path, typer.Option("--prices", help="CSV or Parquet prices up to the decision date.")
    ],
    date: Annotated[
        str | None,
        typer.Option("--date", help="Decision date (default: the last date of --prices)."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table or json.")
    ] = OutputFormat.TABLE,
    features: Annotated[
        Path | None,
        typer.Option(
            "--features", help="The user feature file, if the model was trained with one."
        ),
    ] = None,
    risk_window: Annotated[
        int, typer.Option("--risk-window", help="Daily returns behind the risk figures.")
    ] = 252,
    trust_model: Annotated[
        bool,
        typer.Option(
            "--trust-model",
            help="Load an RL policy: policy.zip is a pickle, so loading it runs code from the "
            "model folder; pass it only for a folder you made or trust. Deep models "
            "(safetensors + JSON) never need it.",
        ),
    ] = False,
) -> None:
    """Today's weights from a trained model, with the risk behind them.

    The model folder is checked before anything is built (manifest schema and bounds,
    the digest of manifest and tensors, tensor shapes); weights that come out NaN or
    infinite are an error naming the date, and ``--format json`` is always valid JSON.
    """
    from riskalloc.risk._allocation_risk import allocation_risk
    from riskalloc.strategies import load_model
    from riskalloc.strategies._protocol import finite_weights

    with user_errors():
        if risk_window < 2:
            raise ConfigError(f"--risk-window must be at least 2, got {risk_window}")
        strategy = load_model(model, trust_model=trust_model, extra_features=features)
        history, decision = _decision_history(strategy, prices, date)
        weights = strategy.allocate(history, pd.DatetimeIndex([decision]))
        weights = finite_weights(weights, getattr(strategy, "name", str(model))).iloc[0]
        risk = allocation_risk(weights, history.returns, window=risk_window)
    if output is OutputFormat.JSON:
        typer.echo(json_text(_as_json(risk)))
        return
    console.print(_as_table(risk, model))


def _as_json(risk: Any) -> dict[str, Any]:
    weights = {str(asset): float(w) for asset, w in risk.weights.items()}
    if risk.cash > 0:
        weights["cash"] = risk.cash
    return {
        "date": str(risk.date.date()),
        "weights": weights,
        "risk_contributions": {str(a): float(c) for a, c in risk.risk_contributions.items()},
        "volatility": risk.volatility,
        f"cvar_{round(risk.confidence * 100)}": risk.cvar,
        "risk_model": {
            "window": risk.window,
            "volatility": "annualised, sample covariance of daily returns",
            "risk_contributions": "Euler shares of volatility, summing to 1",
            "cvar": "historical daily loss, positive = loss",
        },
    }


def _as_table(risk: Any, model: Path) -> Table:
    table = Table(
        title=f"{model} on {risk.date.date()}: volatility {risk.volatility:.2%} a year, "
        f"CVaR {risk.confidence:.0%} {risk.cvar:.2%} a day (last {risk.window} days)"
    )
    table.add_column("asset")
    table.add_column("weight %", justify="right")
    table.add_column("risk share %", justify="right")
    order = risk.weights.sort_values(ascending=False).index
    for asset in order:
        table.add_row(
            str(asset),
            f"{risk.weights[asset] * 100:.2f}",
            f"{risk.risk_contributions[asset] * 100:.2f}",
        )
    if risk.cash > 0:
        table.add_row("cash", f"{risk.cash * 100:.2f}", "0.00")
    return table
