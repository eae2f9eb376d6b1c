r"""Honest statistics of a whole run: intervals, deflated Sharpe ratios and tests against a benchmark.

Every row of ``metrics.csv`` (one scenario x strategy x seed cell) gains the
columns of :data:`STATISTIC_COLUMNS`, computed once at the end of a run from the
cells' daily net returns by :func:`run_statistics`:

``sharpe_ci_low``, ``sharpe_ci_high``, ``annual_return_ci_low``, ``annual_return_ci_high``, ``max_drawdown_ci_low``, ``max_drawdown_ci_high``
    Percentile confidence intervals (default 95 %) by stationary block
    bootstrap of the cell's daily returns
    (:func:`~riskalloc.evaluation.bootstrap_confidence_intervals`); the Sharpe
    interval is of the Sharpe ratio in excess of the risk-free rate, as in the
    ``sharpe`` column.
``psr``
    Probabilistic Sharpe ratio: the probability that the true Sharpe ratio is
    above 0 (:func:`~riskalloc.evaluation.probabilistic_sharpe_ratio`).
``dsr``
    Deflated Sharpe ratio (:func:`~riskalloc.evaluation.deflated_sharpe_ratios`).
    Trials are counted **per scenario**: every strategy x parameter x seed cell
    of the scenario is one trial, and the variance of their annualised Sharpe
    ratios sets the benchmark a lucky pick would reach. A scenario is its own
    market, so picking the best strategy happens within it; the benchmark
    cell computed outside the grid (below) is not a trial.
``n_trials``
    The number of trials behind ``dsr``.
``benchmark_sharpe``
    Sharpe ratio of the benchmark strategy (default ``equal_weight``) on the
    same scenario and days, with the same backtest settings.
``sharpe_diff``, ``sharpe_diff_pvalue``
    Annualised Sharpe ratio of the cell minus the benchmark's, and the
    two-sided p-value of H0 "equal Sharpe ratios" by Ledoit and Wolf's
    studentised block bootstrap (:func:`~riskalloc.evaluation.sharpe_difference_test`),
    both on returns in excess of the risk-free rate.
``spa_pvalue``
    The **scenario's family** p-value of Hansen's SPA test
    (:func:`~riskalloc.evaluation.spa_test`, consistent p-value): H0 "no cell
    of the scenario has a higher expected daily return than the benchmark",
    every non-benchmark cell (strategy x seed) of the scenario in one family.
    The same value on each such row; a small value says *some* strategy beats
    the benchmark after allowing for having tried them all, not that this row's does
    (that is ``sharpe_diff_pvalue``).

The benchmark's own rows carry NaN in the three comparison columns (a strategy
is not compared with itself). When the benchmark strategy is in the run, its
seed-0 cell is the benchmark; otherwise the runner backtests it on the scenario
with the run's settings and passes its returns in. Every bootstrap draws from a
generator with a fixed seed, so a rerun gives bit-identical numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from riskalloc.core import RiskFree, cash_returns
from riskalloc.evaluation._bootstrap import bootstrap_confidence_intervals, stationary_block_size
from riskalloc.evaluation._deflated_sharpe import deflated_sharpe_ratios
from riskalloc.evaluation._metrics import periods_of, sharpe_ratio
from riskalloc.evaluation._significance import sharpe_difference_test, spa_test

__all__ = ["STATISTIC_COLUMNS", "StatisticsSettings", "run_statistics"]

#: The statistic columns of ``metrics.csv``, in order (after the metric columns).
STATISTIC_COLUMNS = (
    "sharpe_ci_low",
    "sharpe_ci_high",
    "annual_return_ci_low",
    "annual_return_ci_high",
    "max_drawdown_ci_low",
    "max_drawdown_ci_high",
    "psr",
    "dsr",
    "n_trials",
    "benchmark_sharpe",
    "sharpe_diff",
    "sharpe_diff_pvalue",
    "spa_pvalue",
)

# Fewer paired days than this and the block bootstrap tests say nothing: NaN.
_MIN_DAYS = 20
_KEYS = ["scenario", "strategy", "seed"]


@dataclass(frozen=True)
class StatisticsSettings:
    """How a run's statistics are computed (recorded in ``config.json``).

    ``n_bootstrap`` resamples for each interval and each Sharpe-difference test,
    ``spa_reps`` for each scenario's SPA test: about 0.2 s per cell on ~1,500
    days, so a 33-cell demo spends a few seconds here. ``seed`` seeds every
    bootstrap: a rerun is bit-identical. ``enabled=False`` leaves the columns empty
    (a robustness sweep's points, whose statistics no table would show).
    """

    benchmark: str = "equal_weight"
    confidence: float = 0.95
    n_bootstrap: int = 500
    spa_reps: int = 1000
    seed: int = 0
    enabled: bool = True

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def run_statistics(
    returns: pd.DataFrame,
    benchmark_returns: Mapping[str, pd.Series] | None = None,
    *,
    settings: StatisticsSettings | None = None,
    risk_free: RiskFree | Mapping[str, RiskFree] = 0.0,
    periods_per_year: int | None = None,
) -> pd.DataFrame:
    """The :data:`STATISTIC_COLUMNS` of every cell of a run.

    Parameters
    ----------
    returns : long table of daily net returns, columns ``scenario, strategy,
        seed, date, return`` (as ``returns.parquet``)
    benchmark_returns : per scenario, the benchmark's daily returns indexed by
        date; a scenario not given takes the seed-0 cell of the strategy named
        ``settings.benchmark`` from ``returns`` (NaN comparisons when absent)
    settings : benchmark name, confidence, bootstrap sizes and seed
    risk_free : annual risk-free rate of the run, or a Series of annual rates by date,
        or one of those per scenario (a mapping): Sharpe ratios are in excess of it
    periods_per_year : periods a year (default: read from each scenario's dates)

    Returns
    -------
    DataFrame with columns ``scenario, strategy, seed`` and
    :data:`STATISTIC_COLUMNS`, one row per cell in order of first appearance.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.bdate_range("2020-01-01", periods=300)
    >>> long = pd.concat([pd.DataFrame({"scenario": "s", "strategy": name, "seed": 0,
    ...     "date": dates, "return": rng.normal(0.0005, 0.01, 300)})
    ...     for name in ("equal_weight", "other")])
    >>> table = run_statistics(long, settings=StatisticsSettings(n_bootstrap=100, spa_reps=100))
    >>> table.set_index("strategy").loc["other", "n_trials"]
    np.float64(2.0)
    """
    settings = settings or StatisticsSettings()
    given = dict(benchmark_returns or {})
    frames = []
    for scenario, rows in returns.groupby("scenario", sort=False):
        wide = rows.pivot_table(
            index="date", columns=["strategy", "seed"], values="return", aggfunc="first", sort=False
        ).sort_index()
        cells = list(dict.fromkeys(zip(rows["strategy"], rows["seed"], strict=True)))
        wide = wide[cells]
        wide.index = pd.DatetimeIndex(wide.index)
        benchmark = given.get(scenario)
        if benchmark is None and (settings.benchmark, 0) in wide.columns:
            benchmark = wide[(settings.benchmark, 0)].dropna()
        rate = risk_free.get(scenario, 0.0) if isinstance(risk_free, Mapping) else risk_free
        periods = periods_of(wide, periods_per_year)
        table = _scenario_statistics(wide, benchmark, settings, rate, periods)
        table.insert(0, "scenario", scenario)
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=[*_KEYS, *STATISTIC_COLUMNS])
    return pd.concat(frames, ignore_index=True)[[*_KEYS, *STATISTIC_COLUMNS]]


def _scenario_statistics(
    wide: pd.DataFrame,
    benchmark: pd.Series | None,
    settings: StatisticsSettings,
    risk_free: RiskFree,
    periods: int,
) -> pd.DataFrame:
    """Statistics of the cells (columns ``(strategy, seed)``) of one scenario."""
    deflated = deflated_sharpe_ratios(wide, risk_free=risk_free, periods_per_year=periods)
    is_benchmark = [strategy == settings.benchmark for strategy, _ in wide.columns]
    has_benchmark = benchmark is not None and benchmark.notna().sum() >= _MIN_DAYS
    benchmark_sharpe = sharpe_ratio(benchmark, risk_free, periods) if has_benchmark else np.nan
    family = wide.loc[:, [not flag for flag in is_benchmark]]
    spa_pvalue = (
        _spa_pvalue(family, benchmark, settings) if has_benchmark and family.shape[1] else np.nan
    )
    rows = []
    for (strategy, seed), own in zip(wide.columns, is_benchmark, strict=True):
        series = wide[(strategy, seed)].dropna()
        row = {"strategy": strategy, "seed": int(seed)}
        row |= _intervals(series, risk_free, settings, periods)
        row |= {
            "psr": deflated.loc[(strategy, seed), "psr"],
            "dsr": deflated.loc[(strategy, seed), "dsr"],
            "n_trials": float(deflated.loc[(strategy, seed), "n_trials"]),
            "benchmark_sharpe": benchmark_sharpe,
            "sharpe_diff": np.nan,
            "sharpe_diff_pvalue": np.nan,
            "spa_pvalue": np.nan if own else spa_pvalue,
        }
        if has_benchmark and not own:
            row |= _difference(
                _excess_series(series, risk_free, periods),
                _excess_series(benchmark, risk_free, periods),
                settings,
                periods,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _excess_series(returns: pd.Series, risk_free: RiskFree, periods: int) -> pd.Series:
    """Returns minus the per-period return of cash on each date."""
    returns = returns.dropna()
    return returns - cash_returns(risk_free, pd.DatetimeIndex(returns.index), periods)


def _intervals(
    series: pd.Series, risk_free: RiskFree, settings: StatisticsSettings, periods: int
) -> dict[str, float]:
    """Bootstrap intervals of Sharpe (in excess of the annual ``risk_free``), annual return
    and max drawdown."""
    names = ("sharpe", "annual_return", "max_drawdown")
    if len(series) < _MIN_DAYS or series.std() == 0:
        return {f"{name}_{end}": np.nan for name in names for end in ("ci_low", "ci_high")}
    values = series.to_numpy(dtype=float)
    common = {
        "periods_per_year": periods,
        "confidence": settings.confidence,
        "n_bootstrap": settings.n_bootstrap,
        "block_size": stationary_block_size(values),
        "seed": settings.seed,
    }
    # One bootstrap for the three (the Sharpe ratio in excess of the run's rate).
    table = bootstrap_confidence_intervals(series, names, risk_free=risk_free, **common)
    return {
        f"{name}_{end}": float(table.loc[name, column])
        for name in names
        for end, column in (("ci_low", "lower"), ("ci_high", "upper"))
    }


def _difference(
    excess: pd.Series, benchmark_excess: pd.Series, settings: StatisticsSettings, periods: int
) -> dict[str, float]:
    """The Sharpe-difference test of two excess-return series at ``periods`` a year (the
    run's, given or read once from its dates: not read again from the paired days)."""
    paired = pd.concat([excess, benchmark_excess], axis=1, join="inner").dropna()
    if len(paired) < _MIN_DAYS:
        return {}
    try:
        test = sharpe_difference_test(
            paired.iloc[:, 0],
            paired.iloc[:, 1],
            n_bootstrap=settings.n_bootstrap,
            seed=settings.seed,
            periods_per_year=periods,
        )
    except ValueError:  # e.g. the optimal block is longer than half the span
        return {}
    return {"sharpe_diff": test.difference, "sharpe_diff_pvalue": test.p_value}


def _spa_pvalue(family: pd.DataFrame, benchmark: pd.Series, settings: StatisticsSettings) -> float:
    """Hansen's consistent SPA p-value of the cells of ``family`` against ``benchmark``."""
    cells = family.set_axis(range(family.shape[1]), axis=1)
    complete = pd.concat([cells, benchmark.rename("benchmark")], axis=1, join="inner").dropna()
    if len(complete) < _MIN_DAYS:
        return np.nan
    test = spa_test(
        complete.drop(columns="benchmark"),
        complete["benchmark"],
        seed=settings.seed,
        reps=settings.spa_reps,
    )
    return test.consistent
