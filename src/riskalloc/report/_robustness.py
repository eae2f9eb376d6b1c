"""The robustness report: one small-multiples figure per sweep, and the stress windows.

It reads what :func:`riskalloc.runner.run_robustness` wrote into its folder
(``robustness.csv``, ``stress.csv``, ``robustness.json``) and writes that
folder's ``report.html``; each sweep point keeps its own run report.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskalloc.core import ConfigError, atomic_write
from riskalloc.report._assets import REPORT_CSS, REPORT_JS
from riskalloc.report._document import REPORT_FILE, _plot_div
from riskalloc.report._style import METRIC_LABELS, TOP_LEGEND, colours_in_order, figure_layout

__all__ = ["SWEEP_METRICS", "stress_figure", "sweep_figure", "write_robustness_report"]

#: The panels of each sweep's figure, left to right.
SWEEP_METRICS = ("annual_return", "sharpe", "max_drawdown", "annual_volatility", "turnover")
_SWEEP_TITLES = {
    "costs_bps": "Transaction costs (bps of turnover)",
    "rebalance": "Rebalancing frequency",
    "window": "Estimation window (trading days)",
    "risk_measure": "Risk measure",
}


def sweep_figure(table: pd.DataFrame, sweep: str, scenario: str) -> go.Figure | None:
    """Small multiples of one sweep in one scenario: a panel per metric, x = the swept value.

    A line per strategy; stochastic strategies show the mean over seeds. None
    when the table has no row of that sweep and scenario.
    """
    rows = table[(table["sweep"] == sweep) & (table["scenario"] == scenario)]
    if rows.empty:
        return None
    order = list(dict.fromkeys(rows["value"].astype(str)))
    means = (
        rows.assign(value=rows["value"].astype(str))
        .groupby(["strategy", "value"], sort=False)[list(SWEEP_METRICS)]
        .mean()
    )
    strategies = list(dict.fromkeys(rows["strategy"]))
    colours = colours_in_order(list(dict.fromkeys(table["strategy"])))
    titles = [METRIC_LABELS[metric][0] for metric in SWEEP_METRICS]
    figure = make_subplots(rows=1, cols=len(SWEEP_METRICS), subplot_titles=titles)
    for column, metric in enumerate(SWEEP_METRICS, start=1):
        scale = METRIC_LABELS[metric][1]
        for name in strategies:
            values = means.loc[name].reindex(order)[metric] * scale
            figure.add_trace(
                go.Scatter(
                    x=order,
                    y=values.to_numpy(),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=column == 1,
                    line={"color": colours[name]},
                    hovertemplate=f"{name}<br>%{{x}}: %{{y:.3f}}<extra></extra>",
                ),
                row=1,
                col=column,
            )
        figure.update_xaxes(
            type="category", categoryorder="array", categoryarray=order, row=1, col=column
        )
    title = f"{_SWEEP_TITLES.get(sweep, sweep)} — {scenario}"
    return figure_layout(figure, title, height=340, legend=TOP_LEGEND, margin={"t": 90})


def stress_figure(stress: pd.DataFrame, scenario: str) -> go.Figure | None:
    """Max drawdown of each strategy in each covered stress window (bars), with the market's."""
    rows = stress[(stress["scenario"] == scenario) & stress["covered"].astype(bool)]
    if rows.empty:
        return None
    windows = list(dict.fromkeys(rows["window"]))
    strategies = list(dict.fromkeys(stress["strategy"]))
    colours = colours_in_order(strategies)
    figure = go.Figure()
    means = rows.groupby(["strategy", "window"], sort=False)["max_drawdown"].mean()
    for name in dict.fromkeys(rows["strategy"]):
        values = means.loc[name].reindex(windows) * 100.0
        figure.add_trace(
            go.Bar(x=windows, y=values.to_numpy(), name=name, marker_color=colours[name])
        )
    market = rows.groupby("window", sort=False)["market_drawdown"].first().reindex(windows) * 100.0
    figure.add_trace(
        go.Scatter(
            x=windows,
            y=market.to_numpy(),
            mode="markers",
            name="market (start to trough)",
            marker={"symbol": "line-ew-open", "size": 40, "color": "#222", "line": {"width": 2}},
        )
    )
    figure.update_yaxes(title_text="Max drawdown % in the window")
    return figure_layout(
        figure, f"Stress windows — {scenario}", height=380, barmode="group", legend=TOP_LEGEND
    )


def _stress_table_html(stress: pd.DataFrame, scenario: str) -> str:
    rows = stress[stress["scenario"] == scenario]
    headers = (
        "Window", "Strategy", "Seed", "Max DD %", "vs risk parity", "Market trough",
        "Cut exposure on", "Trading days from trough", "Note",
    )  # fmt: skip
    body = []
    for record in rows.to_dict("records"):
        covered = bool(record["covered"])
        cells = [
            html.escape(str(record["window"])),
            html.escape(str(record["strategy"])),
            str(record["seed"]),
            _number(record["max_drawdown"], 100.0, "{:.2f}") if covered else "not covered",
            _number(record["drawdown_reduction"], 100.0, "{:+.1f} %"),
            _date(record["market_trough"]),
            _de_risk_cell(record, covered),
            _number(record["days_from_trough"], 1.0, "{:+.0f}"),
            html.escape(str(record["note"] if isinstance(record["note"], str) else "")),
        ]
        body.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return (
        f'<div class="table-scroll"><table class="summary"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _de_risk_cell(record: dict, covered: bool) -> str:
    if not covered:
        return "–"
    if str(record["holds_cash"]).lower() != "true":
        return "fully invested"
    return _date(record["de_risk_date"])


def _number(value: object, scale: float, fmt: str) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if np.isnan(number) else fmt.format(number * scale)


def _date(value: object) -> str:
    return "–" if pd.isna(value) or value == "" else str(pd.Timestamp(value).date())


def write_robustness_report(folder: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` into a robustness folder from its tables; return its path.

    Examples
    --------
    >>> write_robustness_report("runs/robust")                # doctest: +SKIP
    PosixPath('runs/robust/report.html')
    """
    from plotly.offline import get_plotlyjs

    path = Path(folder)
    missing = [
        n for n in ("robustness.csv", "stress.csv", "robustness.json") if not (path / n).is_file()
    ]
    if missing:
        raise ConfigError(
            f"{path}: not a robustness folder (no {', '.join(missing)}); "
            "make one with `riskalloc robustness ... --out FOLDER`"
        )
    table = pd.read_csv(path / "robustness.csv")
    try:
        stress = pd.read_csv(path / "stress.csv")
    except pd.errors.EmptyDataError:
        stress = pd.DataFrame(columns=["scenario", "covered"])
    plan = json.loads((path / "robustness.json").read_text())
    counter = itertools.count()
    scenarios = list(dict.fromkeys([*table["scenario"], *stress["scenario"]]))
    cards = []
    for sweep in plan["sweeps"]:
        for scenario in scenarios:
            figure = sweep_figure(table, sweep, scenario)
            if figure is not None:
                cards.append(
                    _card(_plot_div(figure, f"figure-{next(counter)}"), _caption(sweep, plan))
                )
    for scenario in scenarios:
        figure = stress_figure(stress, scenario)
        plot = "" if figure is None else _plot_div(figure, f"figure-{next(counter)}")
        cards.append(
            _card(
                f"<h3>Stress windows — {html.escape(scenario)}</h3>{plot}"
                f"{_stress_table_html(stress, scenario)}",
                _STRESS_CAPTION.format(market=html.escape(str(plan["market"].get(scenario, "")))),
            )
        )
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in plan["notes"])
    page = _page(path, cards, notes, get_plotlyjs())
    report = path / REPORT_FILE
    atomic_write(report, lambda target: target.write_text(page, encoding="utf-8"))
    return report


_STRESS_CAPTION = (
    "Windows run from an S&P 500 closing peak to its trough; drawdowns start at 1 at the peak "
    "close. 'vs risk parity' is 1 − DD / DD of risk parity (+25 % = a quarter shallower). "
    "For strategies that hold cash, 'cut exposure on' is the first decision whose risky weight "
    "fell ≥ 20 % below its level at the window's start; days from the market trough count "
    "trading days, negative = before. Market: {market}."
)


def _caption(sweep: str, plan: dict) -> str:
    base = plan["base"]
    other = "costs_bps" if sweep != "costs_bps" else "rebalance"
    held = (
        f"{other} = {base[other]}"
        if sweep in ("costs_bps", "rebalance")
        else (f"rebalance = {base['rebalance']}, costs = {base['costs_bps']} bps")
    )
    return (
        f"Out of sample, net of costs; every other setting as in the base run ({held}). "
        "Stochastic strategies: mean over seeds. Each point is a run folder of its own: "
        f"{sweep}=VALUE/."
    )


def _card(body: str, caption: str) -> str:
    return f'<div class="card wide">{body}<p class="caption">{html.escape(caption)}</p></div>'


def _page(path: Path, cards: list[str], notes: str, plotly_js: str) -> str:
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    title = f"riskalloc robustness — {path.name}"
    note_block = f'<div class="warning"><ul>{notes}</ul></div>' if notes else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="riskalloc">
<title>{html.escape(title)}</title>
<style>{REPORT_CSS}</style>
<script>{plotly_js}</script>
</head>
<body>
<header class="report"><h1>{html.escape(title)}</h1>
<p class="lead">How results move when one setting changes, and how each strategy fared in
stress windows. The base run's own report: <a href="base/report.html">base/report.html</a>.</p>
{note_block}</header>
<main>
<section class="scenario" id="robustness"><h2>Robustness</h2><div class="grid">{"".join(cards)}</div></section>
</main>
<footer>Made by riskalloc on {made}. Self-contained: plotly.js is embedded.</footer>
<script>{REPORT_JS}</script>
</body>
</html>
"""
