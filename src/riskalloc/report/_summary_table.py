"""Figure 1: the summary table, as a plotly table and as the report's sortable HTML table."""

from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go

from riskalloc.evaluation import seed_spread
from riskalloc.report._run import Run, RunLike, as_run
from riskalloc.report._style import METRIC_LABELS, figure_layout, strategy_colours

__all__ = ["SUMMARY_COLUMNS", "summary_statistics", "summary_table", "summary_table_html"]

#: The published benchmark's columns, then the risk columns the report adds.
SUMMARY_COLUMNS = (
    "annual_return",
    "cumulative_return",
    "annual_volatility",
    "sharpe",
    "calmar",
    "stability",
    "max_drawdown",
    "sortino",
    "var_95",
    "cvar_95",
    "turnover",
)
# The statistics of metrics.csv the report's table shows after the metrics:
# (header with {confidence} and {benchmark} to fill in, columns, scale, format).
# An interval shows as "low – high" and sorts by its lower end.
_STATISTICS = (
    ("Sharpe {confidence} CI", ("sharpe_ci_low", "sharpe_ci_high"), 1.0, "{:.2f}"),
    (
        "Annual return {confidence} CI %",
        ("annual_return_ci_low", "annual_return_ci_high"),
        100.0,
        "{:.1f}",
    ),
    (
        "Max drawdown {confidence} CI %",
        ("max_drawdown_ci_low", "max_drawdown_ci_high"),
        100.0,
        "{:.1f}",
    ),
    ("PSR", ("psr",), 1.0, "{:.3f}"),
    ("DSR", ("dsr",), 1.0, "{:.3f}"),
    ("p ΔSharpe vs {benchmark}", ("sharpe_diff_pvalue",), 1.0, "{:.3f}"),
    ("SPA p vs {benchmark}", ("spa_pvalue",), 1.0, "{:.3f}"),
)
# Where a smaller number is the better one: VaR and CVaR are positive losses; max drawdown
# is <= 0, so there higher is better.
_LOWER_IS_BETTER = {"annual_volatility", "turnover", "var_95", "cvar_95"}


def summary_statistics(run: RunLike, scenario: str | None = None) -> pd.DataFrame:
    """Mean, std, best and worst seed (by Sharpe) of each metric, per strategy of ``scenario``.

    See :func:`riskalloc.evaluation.seed_spread`; one seed gives a NaN std.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    return seed_spread(run.metrics_of(scenario), rank_by="sharpe")


def summary_table(run: RunLike, scenario: str | None = None) -> go.Figure | None:
    """The summary table as a plotly figure (for notebooks and PNG export).

    One row per strategy; a stochastic strategy shows ``mean ± std`` over its
    seeds. Returns None when the scenario has no metrics.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    statistics = summary_statistics(run, scenario)
    if statistics.empty:
        return None
    means = statistics[statistics["statistic"] == "mean"].set_index("strategy")
    stds = statistics[statistics["statistic"] == "std"].set_index("strategy")
    strategies = list(means.index)
    cells = [strategies, [str(int(means.loc[name, "seeds"])) for name in strategies]]
    for column in SUMMARY_COLUMNS:
        cells.append(
            [
                _format(means.loc[name, column], column)
                + (
                    f" ± {_format(stds.loc[name, column], column)}"
                    if means.loc[name, "seeds"] > 1
                    else ""
                )
                for name in strategies
            ]
        )
    colours = strategy_colours(run)
    figure = go.Figure(
        go.Table(
            header={
                "values": ["Strategy", "Seeds", *(METRIC_LABELS[c][0] for c in SUMMARY_COLUMNS)],
                "fill_color": "#F3F4F6",
                "align": ["left", "right"],
                "font": {"size": 12, "color": "#222"},
                "line_color": "#DDD",
            },
            cells={
                "values": cells,
                "align": ["left", "right"],
                "font": {"size": 12, "color": [[colours[name] for name in strategies], "#222"]},
                "line_color": "#EEE",
                "height": 26,
            },
            columnwidth=[1.6, 0.6, *([1.0] * len(SUMMARY_COLUMNS))],
        )
    )
    return figure_layout(
        figure,
        f"Out-of-sample results, net of costs — {scenario}",
        height=110 + 28 * len(strategies),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )


def summary_table_html(run: Run, scenario: str) -> str:
    """The sortable summary table of the report, with best/worst seed rows under each
    stochastic strategy (shown by its ``<details>`` toggle); the seed-stability figure
    shows the median seed and the share of seeds beating the benchmark.

    After the metrics come the run's statistics (:data:`riskalloc.evaluation.STATISTIC_COLUMNS`):
    bootstrap intervals as "low – high", PSR, DSR, the Sharpe-difference p-value
    against the benchmark and the scenario's SPA p-value; a run written without
    them shows "–". A stochastic strategy's row shows their means over seeds.
    """
    statistics = summary_statistics(run, scenario)
    if statistics.empty:
        return '<p class="note">No finished cells in this scenario.</p>'
    colours = strategy_colours(run)
    means = statistics[statistics["statistic"] == "mean"].set_index("strategy")
    best_of = {
        column: _best(means[column], lower=column in _LOWER_IS_BETTER) for column in SUMMARY_COLUMNS
    }
    settings = run.config.get("statistics", {})
    benchmark = str(settings.get("benchmark", "equal_weight"))
    confidence = f"{float(settings.get('confidence', 0.95)):.0%}".replace("%", " %")
    headers = "".join(
        f'<th scope="col" data-sort="number" title="{html.escape(column)}">'
        f"{html.escape(METRIC_LABELS[column][0])}</th>"
        for column in SUMMARY_COLUMNS
    ) + "".join(
        f'<th scope="col" data-sort="number" title="{html.escape(", ".join(columns))}">'
        f"{html.escape(header.format(confidence=confidence, benchmark=benchmark))}</th>"
        for header, columns, _, _ in _STATISTICS
    )
    groups = []
    for strategy, rows in statistics.groupby("strategy", sort=False):
        by = rows.set_index("statistic")
        seeds = int(by.loc["mean", "seeds"])
        name = html.escape(str(strategy))
        swatch = f'<span class="swatch" style="background:{colours[str(strategy)]}"></span>'
        if seeds > 1:
            label = f'<details class="seeds"><summary>{swatch}{name}</summary></details>'
        else:
            label = f"{swatch}{name}"
        cells = []
        for column in SUMMARY_COLUMNS:
            mean = by.loc["mean", column]
            text = _format(mean, column)
            if seeds > 1:
                text += f'<span class="std">± {_format(by.loc["std", column], column)}</span>'
            strong = ' class="best"' if best_of[column] == strategy else ""
            cells.append(f'<td data-value="{_sort_key(mean)}"{strong}>{text}</td>')
        for value, text in _statistic_cells(by.loc["mean"]):
            cells.append(f'<td data-value="{_sort_key(value)}">{text}</td>')
        body = [
            f'<tr class="strategy-row"><th scope="row" data-value="{name}">{label}</th>'
            f'<td data-value="{seeds}">{seeds}</td>{"".join(cells)}</tr>'
        ]
        if seeds > 1:
            for statistic in ("best", "worst"):
                seed = int(by.loc[statistic, "seed"])
                values = "".join(
                    f"<td>{_format(by.loc[statistic, c], c)}</td>" for c in SUMMARY_COLUMNS
                ) + "".join(f"<td>{text}</td>" for _, text in _statistic_cells(by.loc[statistic]))
                body.append(
                    f'<tr class="seed-row" hidden><th scope="row">{statistic} seed ({seed})</th>'
                    f"<td></td>{values}</tr>"
                )
        groups.append(f'<tbody class="strategy-group">{"".join(body)}</tbody>')
    return (
        '<div class="table-scroll"><table class="summary" data-sortable>'
        '<thead><tr><th scope="col" data-sort="text">Strategy</th>'
        f'<th scope="col" data-sort="number">Seeds</th>{headers}</tr></thead>'
        f"{''.join(groups)}</table></div>"
    )


def _statistic_cells(row: pd.Series) -> list[tuple[float, str]]:
    """(sort value, text) of each statistic column of the table, from one row of
    :func:`summary_statistics`; "–" where the run has no such statistic."""
    cells = []
    for _, columns, scale, fmt in _STATISTICS:
        values = [row.get(column, float("nan")) for column in columns]
        if any(not isinstance(v, int | float) or math.isnan(v) for v in values):
            cells.append((float("nan"), "–"))
            continue
        text = " – ".join(fmt.format(value * scale).replace("-", "−") for value in values)
        cells.append((float(values[0]), text))
    return cells


def _format(value: float, column: str) -> str:
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    _, scale, fmt = METRIC_LABELS[column]
    return fmt.format(value * scale).replace("-", "−")


def _sort_key(value: float) -> str:
    """The number as JavaScript's ``Number()`` reads it; empty for a missing value."""
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def _best(values: pd.Series, *, lower: bool) -> str | None:
    finite = values[values.notna() & values.abs().ne(float("inf"))].astype(float)
    if len(finite) < 2:
        return None
    return str(finite.idxmin() if lower else finite.idxmax())
