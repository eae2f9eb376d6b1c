"""Rich tables the CLI prints."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

__all__ = [
    "results_table",
    "seeds_table",
    "statistics_table",
    "statistics_tables",
    "verdict_table",
]

# (metrics column, header, scale, format): the published benchmark's columns.
_COLUMNS = (
    ("annual_return", "Annual return %", 100.0, "{:.2f}"),
    ("cumulative_return", "Cumulative %", 100.0, "{:.2f}"),
    ("annual_volatility", "Annual vol %", 100.0, "{:.2f}"),
    ("sharpe", "Sharpe", 1.0, "{:.3f}"),
    ("calmar", "Calmar", 1.0, "{:.3f}"),
    ("stability", "Stability", 1.0, "{:.3f}"),
    ("max_drawdown", "Max DD %", 100.0, "{:.2f}"),
)


def _cell(value: float, scale: float, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value * scale)


def results_table(
    summary: pd.DataFrame, title: str = "Out-of-sample results (net of costs)"
) -> Table:
    """The summary (one row per scenario x strategy, means over seeds) as a table."""
    table = Table(title=title, title_justify="left")
    table.add_column("Scenario", no_wrap=True)
    table.add_column("Strategy", no_wrap=True)
    table.add_column("Seeds", justify="right")
    for _, header, _, _ in _COLUMNS:
        table.add_column(header, justify="right")
    previous = None
    for _, row in summary.iterrows():
        scenario = row["scenario"] if row["scenario"] != previous else ""
        previous = row["scenario"]
        table.add_row(
            str(scenario),
            str(row["strategy"]),
            str(int(row["seeds"])),
            *(_cell(row[column], scale, fmt) for column, _, scale, fmt in _COLUMNS),
        )
    return table


def _interval(low: float, high: float, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    if any(value is None or math.isnan(value) for value in (low, high)):
        return "-"
    return f"{fmt.format(low * scale)} – {fmt.format(high * scale)}"


def statistics_table(summary: pd.DataFrame, benchmark: str = "equal_weight") -> Table:
    """Confidence and significance per scenario x strategy (means over seeds).

    ``summary`` is :func:`riskalloc.evaluation.summarise_seeds` of a metrics
    table with the statistic columns of ``metrics.csv``.
    """
    table = Table(
        title=f"Statistics (95 % block-bootstrap CIs; tests against {benchmark}; "
        "stochastic strategies: mean over seeds)",
        title_justify="left",
    )
    for header in ("Scenario", "Strategy"):
        table.add_column(header, no_wrap=True)
    for header in (
        "Sharpe",
        "Sharpe CI",
        "Annual return CI %",
        "PSR",
        "DSR",
        "Trials",
        "ΔSharpe",
        "p ΔSharpe",
        "SPA p",
    ):
        table.add_column(header, justify="right", no_wrap=True)
    previous = None
    for _, row in summary.iterrows():
        scenario = row["scenario"] if row["scenario"] != previous else ""
        previous = row["scenario"]
        table.add_row(
            str(scenario),
            str(row["strategy"]),
            _cell(row.get("sharpe"), 1.0, "{:.3f}"),
            _interval(row.get("sharpe_ci_low"), row.get("sharpe_ci_high")),
            _interval(row.get("annual_return_ci_low"), row.get("annual_return_ci_high"), 100.0),
            _cell(row.get("psr"), 1.0, "{:.3f}"),
            _cell(row.get("dsr"), 1.0, "{:.3f}"),
            _cell(row.get("n_trials"), 1.0, "{:.0f}"),
            _cell(row.get("sharpe_diff"), 1.0, "{:+.3f}"),
            _cell(row.get("sharpe_diff_pvalue"), 1.0, "{:.3f}"),
            _cell(row.get("spa_pvalue"), 1.0, "{:.3f}"),
        )
    return table


def seeds_table(spread: pd.DataFrame, wins: pd.DataFrame, benchmark: str = "equal_weight") -> Table:
    """Sharpe ratio across seeds of each strategy with more than one seed.

    ``spread`` is :func:`riskalloc.evaluation.seed_spread` and ``wins``
    :func:`riskalloc.evaluation.seeds_beating_benchmark` of the same metrics.
    """
    table = Table(title="Sharpe ratio across seeds", title_justify="left")
    for header in ("Scenario", "Strategy"):
        table.add_column(header, no_wrap=True)
    for header in ("Seeds", "Mean", "Median", "Best (seed)", "Worst (seed)", f"Beat {benchmark}"):
        table.add_column(header, justify="right", no_wrap=True)
    by = spread.set_index(["scenario", "strategy", "statistic"])
    beating = wins.set_index(["scenario", "strategy"])
    previous = None
    for scenario, strategy in dict.fromkeys(
        zip(spread["scenario"], spread["strategy"], strict=True)
    ):
        seeds = int(by.loc[(scenario, strategy, "mean"), "seeds"])
        if seeds < 2:
            continue
        shown = scenario if scenario != previous else ""
        previous = scenario
        best, worst = by.loc[(scenario, strategy, "best")], by.loc[(scenario, strategy, "worst")]
        count = beating.loc[(scenario, strategy)]
        share = (
            "-"
            if math.isnan(count["share"])
            else f"{int(count['beating'])}/{seeds} ({count['share']:.0%})"
        )
        table.add_row(
            str(shown),
            str(strategy),
            str(seeds),
            _cell(by.loc[(scenario, strategy, "mean"), "sharpe"], 1.0, "{:.3f}"),
            _cell(by.loc[(scenario, strategy, "median"), "sharpe"], 1.0, "{:.3f}"),
            f"{_cell(best['sharpe'], 1.0, '{:.3f}')} ({int(best['seed'])})",
            f"{_cell(worst['sharpe'], 1.0, '{:.3f}')} ({int(worst['seed'])})",
            share,
        )
    return table


def statistics_tables(metrics: pd.DataFrame, benchmark: str = "equal_weight") -> list[Table]:
    """The tables printed after the results: statistics, then seeds when a strategy has several."""
    from riskalloc.evaluation import seed_spread, seeds_beating_benchmark, summarise_seeds

    tables = []
    if "psr" in metrics.columns:
        tables.append(statistics_table(summarise_seeds(metrics), benchmark))
    spread = seed_spread(metrics)
    if (spread["seeds"] > 1).any():
        tables.append(seeds_table(spread, seeds_beating_benchmark(metrics, benchmark), benchmark))
    return tables


# How each verdict word is shown: a loss in bold red, never softened.
_VERDICT_STYLES = {"beats": "bold green", "worse": "bold red"}


def verdict_table(verdicts: pd.DataFrame, scenario: str) -> Table:
    """The verdict of one scenario: each deep and RL strategy's median seed against the
    benchmark (1/N) and the best classical strategy.

    ``verdicts`` is :func:`riskalloc.evaluation.verdicts` of the scenario; the table's
    caption says how the words are decided and that the best classical is picked on the
    test span.
    """
    from riskalloc.evaluation import SIGNIFICANCE_LEVEL, benchmark_label

    label = benchmark_label(str(verdicts["benchmark"].iloc[0])) if len(verdicts) else "1/N"
    table = Table(
        title=f"Verdict — {scenario} (median seed vs {label} and the best classical strategy)",
        title_justify="left",
        caption=f"beats / worse: Sharpe difference > 0 / < 0 with p < {SIGNIFICANCE_LEVEL:g}; "
        "an even number of seeds takes the lower middle seed (*). The best classical is picked "
        "by test Sharpe: a selection on the test span that favours the classical side.",
        caption_justify="left",
    )
    # Verdict words may wrap onto two lines but are never cut short.
    table.add_column("Strategy", no_wrap=True)
    table.add_column("Sharpe (seed)", justify="right", no_wrap=True)
    table.add_column(label, justify="right", no_wrap=True)
    table.add_column("p", justify="right", no_wrap=True)
    table.add_column(f"vs {label}", min_width=6)
    table.add_column("Best classical", no_wrap=True)
    table.add_column("Sharpe", justify="right", no_wrap=True)
    table.add_column("p", justify="right", no_wrap=True)
    table.add_column("vs best classical", min_width=6)
    table.add_column("SPA p", justify="right", no_wrap=True)
    table.add_column(f"Seeds > {label}", justify="right", no_wrap=True)
    for _, row in verdicts.iterrows():
        seed = f"{int(row['median_seed'])}{'*' if row['lower_middle'] else ''}"
        share = (
            "-"
            if _missing(row["share_above_benchmark"])
            else f"{int(row['seeds_above_benchmark'])}/{int(row['seeds'])}"
        )
        table.add_row(
            str(row["strategy"]),
            f"{_cell(row['sharpe'], 1.0, '{:.3f}')} ({seed})",
            _cell(row["benchmark_sharpe"], 1.0, "{:.3f}"),
            _cell(row["benchmark_pvalue"], 1.0, "{:.3f}"),
            _verdict_word(row["benchmark_verdict"]),
            "-" if row["best_classical"] is None else str(row["best_classical"]),
            _cell(row["best_classical_sharpe"], 1.0, "{:.3f}"),
            _cell(row["classical_pvalue"], 1.0, "{:.3f}"),
            _verdict_word(row["classical_verdict"]),
            _cell(row["spa_pvalue"], 1.0, "{:.3f}"),
            share,
        )
    return table


def _verdict_word(verdict: str) -> str:
    style = _VERDICT_STYLES.get(str(verdict))
    return f"[{style}]{verdict}[/]" if style else str(verdict)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
