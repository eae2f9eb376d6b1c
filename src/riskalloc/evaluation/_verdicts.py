r"""The verdict on each deep and RL strategy of a scenario, in words.

For every strategy of the ``deep`` or ``rl`` family, :func:`verdicts` takes its
**median seed** (the seed whose Sharpe ratio is the median over its seeds; with
an even number of seeds, the lower of the two middle ones) and compares it with

- the benchmark (1/N, ``equal_weight``, unless the run tested against another):
  the cell's ``sharpe_diff`` and ``sharpe_diff_pvalue`` of ``metrics.csv``;
- the **best classical** strategy of the scenario, the ``classical`` strategy with
  the highest (median-seed) test Sharpe ratio: the Sharpe-difference test of
  :func:`~riskalloc.evaluation.sharpe_difference_test`, run exactly as the run's
  statistics run it against the benchmark (excess returns over the risk-free
  rate, paired days, the run's bootstrap size and seed).

Each comparison is one :class:`Verdict`: *beats* when the Sharpe difference is
positive and ``p < alpha`` (0.05), *worse* when it is negative and ``p < alpha``,
*no significant difference* otherwise, and *not tested* when there is no p-value
(too few paired days, or a run without statistics). The summary sentence states
the direction of a difference that is not significant as well, so a loss is never
reported as a mere "no difference".

Picking the best classical strategy by its test Sharpe ratio is itself a
selection on the test span. It favours the classical side, which is the
conservative direction for a verdict on the deep and RL strategies.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskalloc.core import RiskFree
from riskalloc.evaluation._metrics import periods_of
from riskalloc.evaluation._run_statistics import StatisticsSettings, _difference, _excess_series
from riskalloc.evaluation._summary import seeds_beating_benchmark

__all__ = [
    "SIGNIFICANCE_LEVEL",
    "VERDICT_COLUMNS",
    "VERDICT_FAMILIES",
    "Verdict",
    "benchmark_label",
    "median_seed_row",
    "verdicts",
]

#: The level below which a Sharpe-difference p-value is a verdict.
SIGNIFICANCE_LEVEL = 0.05
#: The strategy families that get a verdict.
VERDICT_FAMILIES = ("deep", "rl")
_CLASSICAL = "classical"

#: The columns of :func:`verdicts`, in order.
VERDICT_COLUMNS = (
    "scenario",
    "strategy",
    "family",
    "seeds",
    "median_seed",
    "lower_middle",
    "sharpe",
    "benchmark",
    "benchmark_sharpe",
    "benchmark_diff",
    "benchmark_pvalue",
    "benchmark_verdict",
    "best_classical",
    "best_classical_sharpe",
    "classical_diff",
    "classical_pvalue",
    "classical_verdict",
    "spa_pvalue",
    "seeds_above_benchmark",
    "share_above_benchmark",
    "summary",
)


class Verdict(enum.StrEnum):
    """The outcome of one Sharpe-difference test, in words."""

    BEATS = "beats"
    NO_DIFFERENCE = "no significant difference"
    WORSE = "worse"
    NOT_TESTED = "not tested"

    @classmethod
    def of(cls, difference: float, p_value: float, alpha: float = SIGNIFICANCE_LEVEL) -> Verdict:
        """*beats* / *worse* when ``p_value < alpha`` and the difference is positive /
        negative; *not tested* without a p-value; else *no significant difference*.

        Examples
        --------
        >>> str(Verdict.of(-0.4, 0.01)), str(Verdict.of(0.4, 0.2)), str(Verdict.of(0.4, np.nan))
        ('worse', 'no significant difference', 'not tested')
        """
        if _missing(p_value) or _missing(difference):
            return cls.NOT_TESTED
        if p_value < alpha and difference > 0:
            return cls.BEATS
        if p_value < alpha and difference < 0:
            return cls.WORSE
        return cls.NO_DIFFERENCE


def benchmark_label(benchmark: str) -> str:
    """How the text names the benchmark: ``1/N`` for ``equal_weight``, else its name."""
    return "1/N" if benchmark == "equal_weight" else benchmark


def verdicts(
    metrics: pd.DataFrame,
    returns: pd.DataFrame,
    families: Mapping[str, str],
    *,
    settings: StatisticsSettings | None = None,
    risk_free: RiskFree | Mapping[str, RiskFree] = 0.0,
    alpha: float = SIGNIFICANCE_LEVEL,
) -> pd.DataFrame:
    """One verdict per scenario and deep or RL strategy: its median seed against the
    benchmark and against the best classical strategy.

    Parameters
    ----------
    metrics : the run's metrics table (``metrics.csv``): ``scenario, strategy, seed,
        sharpe`` and the statistic columns ``benchmark_sharpe, sharpe_diff,
        sharpe_diff_pvalue, spa_pvalue`` (missing ones leave the verdicts *not tested*)
    returns : long table of daily net returns, ``scenario, strategy, seed, date,
        return`` (``returns.parquet``), for the test against the best classical
    families : strategy name (as in ``metrics``) -> family (``"classical"``,
        ``"deep"``, ``"rl"``, ...); a strategy not in it has no family here
    settings : the run's statistics settings (benchmark, bootstrap size and seed)
    risk_free : the run's annual risk-free rate, or Series of annual rates by date, or one
        of those per scenario (a mapping): Sharpe ratios are in excess of it
    alpha : significance level of the verdicts

    Returns
    -------
    DataFrame with :data:`VERDICT_COLUMNS`, one row per (scenario, deep or RL
    strategy) in order of appearance; empty when there is none. ``*_diff`` are
    Sharpe differences (strategy minus comparator), ``*_verdict`` :class:`Verdict`
    values, ``lower_middle`` says the median seed is the lower of two middle seeds.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.bdate_range("2020-01-01", periods=750)
    >>> daily = {"equal_weight": 0.0004, "minimum_variance": 0.0015, "rl": -0.001}
    >>> returns = pd.concat([pd.DataFrame({"scenario": "s", "strategy": name, "seed": 0,
    ...     "date": dates, "return": rng.normal(mean, 0.01, 750)})
    ...     for name, mean in daily.items()])
    >>> from riskalloc.evaluation import run_statistics, sharpe_ratio
    >>> settings = StatisticsSettings(n_bootstrap=200)
    >>> metrics = run_statistics(returns, settings=settings)
    >>> metrics["sharpe"] = [sharpe_ratio(r) for _, r in returns.groupby("strategy", sort=False)["return"]]
    >>> table = verdicts(metrics, returns, {"equal_weight": "classical",
    ...     "minimum_variance": "classical", "rl": "rl"}, settings=settings)
    >>> table.loc[0, "best_classical"], str(table.loc[0, "classical_verdict"])
    ('minimum_variance', 'worse')
    """
    settings = settings or StatisticsSettings()
    rows = []
    for scenario, in_scenario in metrics.groupby("scenario", sort=False):
        judged = [
            name
            for name in dict.fromkeys(in_scenario["strategy"].astype(str))
            if families.get(name) in VERDICT_FAMILIES
        ]
        if not judged:
            continue
        scenario_returns = returns[returns["scenario"].astype(str) == str(scenario)]
        rate = risk_free.get(scenario, 0.0) if isinstance(risk_free, Mapping) else risk_free
        context = _ScenarioContext(in_scenario, scenario_returns, families, settings, rate)
        for strategy in judged:
            rows.append(context.verdict(str(scenario), strategy, families[strategy], alpha))
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))


class _ScenarioContext:
    """What every verdict of one scenario shares: the benchmark, the best classical."""

    def __init__(
        self,
        metrics: pd.DataFrame,
        returns: pd.DataFrame,
        families: Mapping[str, str],
        settings: StatisticsSettings,
        risk_free: RiskFree,
    ) -> None:
        self.metrics = metrics.assign(strategy=metrics["strategy"].astype(str))
        self.returns = returns
        self.settings = settings
        self.risk_free = risk_free
        self.benchmark = settings.benchmark
        self.benchmark_sharpe = self._benchmark_sharpe()
        self.wins = seeds_beating_benchmark(self.metrics, self.benchmark).set_index("strategy")
        classical = {
            name: median_seed_row(rows)
            for name, rows in self.metrics.groupby("strategy", sort=False)
            if families.get(name) == _CLASSICAL
        }
        ranked = {name: float(row["sharpe"]) for name, row in classical.items()}
        ranked = {name: value for name, value in ranked.items() if not math.isnan(value)}
        # Ties go to the first in run order (max keeps the first maximum).
        self.best_classical = max(ranked, key=ranked.__getitem__) if ranked else None
        self.best_classical_row = classical.get(self.best_classical)

    def _benchmark_sharpe(self) -> float:
        if "benchmark_sharpe" in self.metrics.columns:
            recorded = self.metrics["benchmark_sharpe"].astype(float).dropna()
            if len(recorded):
                return float(recorded.iloc[0])
        own = self.metrics[(self.metrics["strategy"] == self.benchmark)]
        own = own.loc[own["seed"] == 0, "sharpe"].astype(float)
        return float(own.iloc[0]) if len(own) else np.nan

    def _series(self, strategy: str, seed: int) -> pd.Series:
        rows = self.returns[
            (self.returns["strategy"].astype(str) == strategy) & (self.returns["seed"] == seed)
        ]
        series = rows.set_index(pd.DatetimeIndex(rows["date"]))["return"].astype(float)
        return series.sort_index().dropna()

    def _against_best_classical(self, strategy: str, seed: int) -> tuple[float, float]:
        if self.best_classical is None:
            return np.nan, np.nan
        own = self._series(strategy, seed)
        other = self._series(self.best_classical, int(self.best_classical_row["seed"]))
        periods = periods_of(own)
        test = _difference(
            _excess_series(own, self.risk_free, periods),
            _excess_series(other, self.risk_free, periods),
            self.settings,
            periods,
        )
        return test.get("sharpe_diff", np.nan), test.get("sharpe_diff_pvalue", np.nan)

    def verdict(self, scenario: str, strategy: str, family: str, alpha: float) -> dict:
        rows = self.metrics[self.metrics["strategy"] == strategy]
        median = median_seed_row(rows)
        seed = int(median["seed"])
        benchmark_diff = _value(median, "sharpe_diff")
        benchmark_pvalue = _value(median, "sharpe_diff_pvalue")
        classical_diff, classical_pvalue = self._against_best_classical(strategy, seed)
        wins = self.wins.loc[strategy]
        row = {
            "scenario": scenario,
            "strategy": strategy,
            "family": family,
            "seeds": len(rows),
            "median_seed": seed,
            "lower_middle": len(rows) % 2 == 0,
            "sharpe": _value(median, "sharpe"),
            "benchmark": self.benchmark,
            "benchmark_sharpe": self.benchmark_sharpe,
            "benchmark_diff": benchmark_diff,
            "benchmark_pvalue": benchmark_pvalue,
            "benchmark_verdict": Verdict.of(benchmark_diff, benchmark_pvalue, alpha),
            "best_classical": self.best_classical,
            "best_classical_sharpe": np.nan
            if self.best_classical_row is None
            else float(self.best_classical_row["sharpe"]),
            "classical_diff": float(classical_diff),
            "classical_pvalue": float(classical_pvalue),
            "classical_verdict": Verdict.of(classical_diff, classical_pvalue, alpha),
            "spa_pvalue": _value(median, "spa_pvalue"),
            "seeds_above_benchmark": int(wins["beating"]),
            "share_above_benchmark": float(wins["share"]),
        }
        row["summary"] = _sentence(row)
        return row


def median_seed_row(rows: pd.DataFrame) -> pd.Series:
    """The row of the median seed by Sharpe: the lower middle one of an even count.

    An undefined Sharpe ratio ranks lowest; equal ones are ordered by seed."""
    ranked = rows.assign(_rank=rows["sharpe"].astype(float).fillna(-np.inf))
    ordered = ranked.sort_values(["_rank", "seed"], kind="stable")
    return ordered.iloc[(len(ordered) - 1) // 2]


def _value(row: pd.Series, column: str) -> float:
    value = row.get(column, np.nan)
    return np.nan if value is None else float(value)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _comparison(verdict: Verdict, name: str, difference: float, p_value: float, detail: str) -> str:
    """e.g. ``worse than 1/N (p = 0.010)``, ``no significant difference from 1/N
    (Sharpe lower, p = 0.300)``: the direction is stated even when not significant."""
    inside = [detail] if detail else []
    if verdict is Verdict.BEATS:
        return f"beats {name} ({'; '.join([*inside, _p(p_value)])})"
    if verdict is Verdict.WORSE:
        return f"worse than {name} ({'; '.join([*inside, _p(p_value)])})"
    direction = []
    if not _missing(difference) and difference != 0:
        direction = ["Sharpe lower" if difference < 0 else "Sharpe higher"]
    if verdict is Verdict.NO_DIFFERENCE:
        inner = "; ".join([*inside, ", ".join([*direction, _p(p_value)])])
        return f"no significant difference from {name} ({inner})"
    inner = "; ".join([*inside, *direction])
    return f"not tested against {name}" + (f" ({inner})" if inner else "")


def _sentence(row: dict) -> str:
    """One sentence per strategy that states a loss plainly."""
    label = benchmark_label(row["benchmark"])
    seeds, seed = row["seeds"], row["median_seed"]
    if seeds == 1:
        which, what = "one seed", "Sharpe"
    elif row["lower_middle"]:
        which = f"seed {seed}, lower middle of {seeds} seeds"
        what = "median seed Sharpe"
    else:
        which, what = f"seed {seed}, median of {seeds} seeds", "median seed Sharpe"
    sharpe = _number(row["sharpe"])
    benchmark_sharpe = _number(row["benchmark_sharpe"])
    # The sign of a missing test: from the Sharpe ratios themselves.
    benchmark_diff = row["benchmark_diff"]
    if _missing(benchmark_diff):
        benchmark_diff = row["sharpe"] - row["benchmark_sharpe"]
    parts = [
        _comparison(row["benchmark_verdict"], label, benchmark_diff, row["benchmark_pvalue"], "")
    ]
    if row["best_classical"] is None:
        parts.append("no classical strategy to compare with")
    else:
        classical_diff = row["classical_diff"]
        if _missing(classical_diff):
            classical_diff = row["sharpe"] - row["best_classical_sharpe"]
        detail = f"{row['best_classical']}, {_number(row['best_classical_sharpe'])}"
        parts.append(
            _comparison(
                row["classical_verdict"],
                "the best classical",
                classical_diff,
                row["classical_pvalue"],
                detail,
            )
        )
    tail = []
    if not _missing(row["share_above_benchmark"]):
        tail.append(f"{row['seeds_above_benchmark']} of {seeds} seeds above {label}")
    if not _missing(row["spa_pvalue"]):
        tail.append(f"SPA {_p(row['spa_pvalue'])}")
    sentence = (
        f"{row['strategy']}: {what} {sharpe} ({which}) vs {label} {benchmark_sharpe} — "
        + "; ".join(parts)
    )
    return sentence + (f". {'; '.join(tail)}." if tail else ".")


def _number(value: float) -> str:
    return "n/a" if _missing(value) else f"{value:.2f}"
