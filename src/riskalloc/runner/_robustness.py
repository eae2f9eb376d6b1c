"""Robustness sweeps and stress windows: many ordinary benchmark runs under one folder.

Layout of ``--out``::

    base/                  the benchmark at the user's settings (stress windows are read here)
    costs_bps=25/          one normal, resumable run folder per sweep point
    rebalance=weekly/
    window=126/
    risk_measure=cvar/
    robustness.csv         tidy: sweep, value, scenario, strategy, variant, seed, metrics ...
    stress.csv             scenario, seed, window, strategy, drawdowns, de-risk dates ...
    robustness.json        the sweep plan, the market used for troughs, and notes
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from riskalloc.core import ConfigError, Rebalance, write_csv, write_json
from riskalloc.evaluation import (
    METRIC_COLUMNS,
    STRESS_WINDOWS,
    StatisticsSettings,
    equal_weight_index,
    stress_windows,
)
from riskalloc.risk import RiskMeasure
from riskalloc.runner._grid import (
    BacktestSettings,
    GridSummary,
    StrategyChoice,
    run_benchmark,
)
from riskalloc.runner._sources import DataSource
from riskalloc.store import MARKER, FolderKind, RunStore, claim_folder, prepare_folder
from riskalloc.strategies import strategy_class
from riskalloc.strategies.limits import LIMITED_SUFFIX

__all__ = [
    "RISK_MEASURE_VARIANTS",
    "WINDOW_PARAMETERS",
    "RobustnessResult",
    "Sweep",
    "SweepPlan",
    "run_robustness",
]

#: The parameter that is a strategy's estimation window: the first of these it has.
WINDOW_PARAMETERS = ("window", "lookback")
#: Strategies without a ``risk_measure`` parameter whose risk measure is their family:
#: strategy -> risk measure -> the registered strategy that uses that measure.
RISK_MEASURE_VARIANTS: dict[str, dict[RiskMeasure, str]] = {
    name: family
    for family in (
        {RiskMeasure.VARIANCE: "minimum_variance", RiskMeasure.CVAR: "minimum_cvar"},
        {RiskMeasure.VARIANCE: "mean_variance", RiskMeasure.CVAR: "mean_cvar"},
    )
    for name in family.values()
}
BASE_FOLDER = "base"
#: What a robustness run writes at the top of its folder besides the run folders.
ROBUSTNESS_FILES = ("robustness.csv", "stress.csv", "robustness.json", "report.html")
#: Where the market's trough is read when the bundled index covers the run.
MARKET_INDEX_DATASET = "sp500_index"


class Sweep(enum.StrEnum):
    """What a robustness sweep varies (the value is also the sub-folder's key)."""

    COSTS = "costs_bps"
    REBALANCE = "rebalance"
    WINDOW = "window"
    RISK_MEASURE = "risk_measure"

    @classmethod
    def parse(cls, text: str) -> Sweep:
        aliases = {"costs": cls.COSTS, "rebalancing": cls.REBALANCE, "risk": cls.RISK_MEASURE}
        key = text.strip().lower().replace("-", "_")
        try:
            return aliases.get(key) or cls(key)
        except ValueError:
            raise ConfigError(
                f"--sweeps: unknown sweep {text!r}; choose from costs, rebalance, window, risk_measure"
            ) from None


@dataclass(frozen=True)
class SweepPlan:
    """The values each sweep takes (defaults as in the issue), and which sweeps run."""

    sweeps: tuple[Sweep, ...] = tuple(Sweep)
    costs: tuple[float, ...] = (0.0, 5.0, 10.0, 25.0, 50.0)
    rebalances: tuple[str, ...] = ("daily", "weekly", "monthly")
    windows: tuple[int, ...] = (63, 126, 252)
    risk_measures: tuple[RiskMeasure, ...] = (RiskMeasure.VARIANCE, RiskMeasure.CVAR)

    def values(self, sweep: Sweep) -> tuple[Any, ...]:
        return {
            Sweep.COSTS: self.costs,
            Sweep.REBALANCE: self.rebalances,
            Sweep.WINDOW: self.windows,
            Sweep.RISK_MEASURE: self.risk_measures,
        }[sweep]

    def check(self) -> None:
        """Raise :class:`ConfigError` naming the option of a value that cannot be swept."""
        for cost in self.costs:
            if not cost >= 0 or cost == float("inf"):
                raise ConfigError(f"--costs: costs must be finite numbers >= 0 bps, got {cost}")
        for rebalance in self.rebalances:
            Rebalance.parse(rebalance)
        for window in self.windows:
            if isinstance(window, bool) or not isinstance(window, int) or window < 2:
                raise ConfigError(f"--windows: windows must be integers >= 2, got {window!r}")
        for sweep in self.sweeps:
            values = self.values(sweep)
            if not values:
                raise ConfigError(f"sweep {sweep}: no values given")
            if len(set(values)) != len(values):
                raise ConfigError(f"sweep {sweep}: a value is given twice: {list(values)}")


@dataclass
class RobustnessResult:
    """What :func:`run_robustness` produced (also written into ``out``)."""

    table: pd.DataFrame  # robustness.csv
    stress: pd.DataFrame  # stress.csv
    notes: list[str]
    base: GridSummary
    failures: dict[str, str] = field(default_factory=dict)  # "sweep point / cell" -> error
    path: Path | None = None  # the folder (with new_run, maybe OUT-2 ...)

    @property
    def ok(self) -> bool:
        return not self.failures


def value_label(value: Any) -> str:
    """A sweep value as it appears in tables and folder names (``25``, ``weekly``, ``cvar``)."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_robustness(
    sources: list[DataSource],
    strategies: list[StrategyChoice],
    out: str | os.PathLike[str],
    *,
    plan: SweepPlan | None = None,
    seeds: int = 1,
    settings: BacktestSettings | None = None,
    workers: int | None = None,
    progress: bool = True,
    command: list[str] | None = None,
    say: Callable[[str], None] = lambda line: None,
    force: bool = False,
    new_run: bool = False,
) -> RobustnessResult:
    """Run the base benchmark and every sweep point into sub-folders of ``out``.

    Each sweep point is a normal run folder made by :func:`run_benchmark`
    (rerunning resumes it). A point varies one setting from the base:
    ``costs_bps`` and ``rebalance`` apply to every strategy; ``window`` sets the
    first of :data:`WINDOW_PARAMETERS` a strategy has; ``risk_measure`` sets a
    strategy's ``risk_measure`` parameter or swaps it for its sibling in
    :data:`RISK_MEASURE_VARIANTS` (``minimum_variance`` <-> ``minimum_cvar``).
    Strategies a sweep cannot vary are left out of it, with a note. Cells
    identical to a finished base cell are copied rather than run again.

    ``out`` is a folder riskalloc owns (kind robustness), checked before any
    work as a run folder is (``force`` and ``new_run`` as in
    :meth:`~riskalloc.store.RunStore.prepare`; the folder used is
    ``RobustnessResult.path``); each sub-folder is a run folder of its own.

    Examples
    --------
    >>> from riskalloc.runner import DataSource, SourceKind, StrategyChoice
    >>> result = run_robustness(                                   # doctest: +SKIP
    ...     [DataSource(SourceKind.SCENARIO, "covid-2017")],
    ...     [StrategyChoice("equal_weight"), StrategyChoice("risk_parity")],
    ...     "runs/robust",
    ...     plan=SweepPlan(sweeps=(Sweep.COSTS,), costs=(0.0, 50.0)),
    ... )
    """
    plan = plan or SweepPlan()
    plan.check()
    settings = settings or BacktestSettings()
    entries = (MARKER, BASE_FOLDER, *(f"{sweep}=*" for sweep in Sweep), *ROBUSTNESS_FILES)
    kind = FolderKind.ROBUSTNESS
    requested = out
    out = prepare_folder(out, kind=kind, entries=entries, force=force, new_run=new_run)
    if out != Path(requested):
        say(f"new run: {out} ({requested} holds another)")
    claim_folder(out, kind=kind, entries=entries, force=force)
    common = {
        "seeds": seeds,
        "workers": workers,
        "progress": progress,
        "command": command,
        "say": say,
    }
    say(f"base: {BASE_FOLDER}/")
    base = run_benchmark(sources, strategies, out / BASE_FOLDER, settings=settings, **common)
    failures = {f"{BASE_FOLDER} / {cell}": error for cell, error in base.failures.items()}
    base_store = RunStore(out / BASE_FOLDER)  # the cells the sweep points may reuse
    notes: list[str] = []
    frames = []
    for sweep in plan.sweeps:
        for value in plan.values(sweep):
            point = f"{sweep}={value_label(value)}"
            chosen, variant_of, skipped = _point_strategies(sweep, value, strategies)
            for name in skipped:
                note = f"{sweep}: {name} has no such setting; left out of this sweep"
                if note not in notes:
                    notes.append(note)
            if not chosen:
                continue
            point_settings = _point_settings(sweep, value, settings)
            say(f"{point}:")
            # Sweep tables keep the metrics only: no bootstrap statistics at each point.
            summary = run_benchmark(
                sources,
                chosen,
                out / point,
                settings=point_settings,
                statistics=StatisticsSettings(enabled=False),
                reuse=base_store,
                **common,
            )
            say(f"{point}: {len(summary.specs)} cells")
            failures |= {f"{point} / {cell}": error for cell, error in summary.failures.items()}
            frames.append(_tidy(summary.metrics, sweep, value, variant_of))
    table = _concat_sweeps(frames)
    stress, market = _stress_table(out / BASE_FOLDER)
    write_csv(out / "robustness.csv", table)
    write_csv(out / "stress.csv", stress)
    write_json(
        out / "robustness.json",
        {
            "sweeps": {str(s): [value_label(v) for v in plan.values(s)] for s in plan.sweeps},
            "base": {"rebalance": settings.rebalance, "costs_bps": settings.costs_bps},
            "stress_windows": STRESS_WINDOWS,
            "market": market,
            "notes": notes,
        },
    )
    return RobustnessResult(table, stress, notes, base, failures, path=out)


def _point_settings(sweep: Sweep, value: Any, settings: BacktestSettings) -> BacktestSettings:
    if sweep is Sweep.COSTS:
        return replace(settings, costs_bps=float(value))
    if sweep is Sweep.REBALANCE:
        return replace(settings, rebalance=str(value))
    return settings


def _point_strategies(
    sweep: Sweep, value: Any, strategies: list[StrategyChoice]
) -> tuple[list[StrategyChoice], dict[str, list[str]], list[str]]:
    """The strategies one sweep point runs, which user strategy each stands for, and those left out."""
    chosen: dict[str, StrategyChoice] = {}
    variant_of: dict[str, list[str]] = {}
    skipped = []
    for choice in strategies:
        variant = _variant(sweep, value, choice)
        if variant is None:
            skipped.append(choice.label)
            continue
        # By label: NAME and NAME+limits are two strategies, in the cells and in metrics.
        chosen.setdefault(variant.label, variant)
        variant_of.setdefault(variant.label, []).append(choice.label)
    return list(chosen.values()), variant_of, skipped


def _variant(sweep: Sweep, value: Any, choice: StrategyChoice) -> StrategyChoice | None:
    names = strategy_class(choice.name).param_names()
    if sweep in (Sweep.COSTS, Sweep.REBALANCE):
        return choice
    if sweep is Sweep.WINDOW:
        parameter = next((p for p in WINDOW_PARAMETERS if p in names), None)
        if parameter is None:
            return None
        return replace(choice, params={**choice.params, parameter: int(value)})
    if "risk_measure" in names:
        return replace(choice, params={**choice.params, "risk_measure": value})
    sibling = RISK_MEASURE_VARIANTS.get(choice.name, {}).get(value)
    if sibling is None:
        return None
    # The sibling keeps the parameters it shares with the strategy the user chose.
    shared = set(strategy_class(sibling).param_names())
    return replace(
        choice, name=sibling, params={k: v for k, v in choice.params.items() if k in shared}
    )


def _tidy(
    metrics: pd.DataFrame, sweep: Sweep, value: Any, variant_of: dict[str, list[str]]
) -> pd.DataFrame:
    rows = []
    for record in metrics.to_dict("records"):
        for name in variant_of.get(record["strategy"], [record["strategy"]]):
            rows.append(
                {"sweep": str(sweep), "value": value_label(value)}
                | {"scenario": record["scenario"], "strategy": name, "variant": record["strategy"]}
                | {"seed": record["seed"]}
                | {column: record.get(column) for column in METRIC_COLUMNS}
            )
    return pd.DataFrame(rows)


def _concat_sweeps(frames: list[pd.DataFrame]) -> pd.DataFrame:
    columns = ["sweep", "value", "scenario", "strategy", "variant", "seed", *METRIC_COLUMNS]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _stress_table(base_path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Stress windows of every scenario x seed of the base run, and the market used for each."""
    store = RunStore(base_path)
    returns, weights = store.returns(), store.weights()
    config = store.config()
    frames, markets = [], {}
    for scenario, scenario_returns in returns.groupby("scenario", sort=False):
        market, markets[scenario] = _market_returns(config["data"][scenario], weights, scenario)
        wide = scenario_returns.pivot_table(
            index="date", columns=["strategy", "seed"], values="return"
        ).sort_index()
        wide.index = pd.DatetimeIndex(wide.index)
        held = weights[weights["scenario"] == scenario]
        by_cell = {
            key: frame.pivot_table(index="date", columns="asset", values="weight").rename(
                index=pd.Timestamp
            )
            for key, frame in held.groupby(["strategy", "seed"])
        }
        for seed in sorted(scenario_returns["seed"].unique()):
            # Each seed with the deterministic strategies (run once, as seed 0).
            labels = [(s, d) for s, d in wide.columns if d == seed or (s, seed) not in wide.columns]
            names = [s for s, _ in labels]
            table = stress_windows(
                wide[labels].set_axis(names, axis=1),
                {s: by_cell[(s, d)] for s, d in labels if (s, d) in by_cell},
                market,
                reference=_reference(names),
            )
            # A deterministic strategy is compared under every seed but reported once, as seed 0.
            table = table[table["strategy"].isin([s for s, d in labels if d == seed])]
            table.insert(0, "seed", seed)
            table.insert(0, "scenario", scenario)
            table.insert(len(table.columns) - 1, "market", markets[scenario])
            frames.append(table)
    if not frames:
        return pd.DataFrame(), markets
    return pd.concat(frames, ignore_index=True), markets


def _reference(strategies: list[str]) -> str:
    """Risk parity, or under ``--limit`` (where every strategy is limited) risk parity limited."""
    if "risk_parity" not in strategies and "risk_parity" + LIMITED_SUFFIX in strategies:
        return "risk_parity" + LIMITED_SUFFIX
    return "risk_parity"


def _market_returns(data: dict, held: pd.DataFrame, scenario: str) -> tuple[pd.Series, str]:
    """Daily returns of the S&P 500 index where it spans the run's (real) data, else the
    equal-weight index of the assets (always for a synthetic market, whose calendar dates
    say nothing about the real market)."""
    from riskalloc.data import is_synthetic_spec, load_dataset

    first, last = pd.Timestamp(data["first_date"]), pd.Timestamp(data["last_date"])
    if not is_synthetic_spec(str(data["reference"])):
        index = load_dataset(MARKET_INDEX_DATASET).iloc[:, 0]
        if index.index[0] <= first and index.index[-1] >= last:
            return index.pct_change(fill_method=None).dropna(), MARKET_INDEX_DATASET
    assets = held.loc[held["scenario"] == scenario, "asset"].unique()
    prices = DataSource.recorded(data, tuple(assets)).load().prices
    return equal_weight_index(prices).pct_change().dropna(), "equal-weight index of the assets"
