"""`write_report`: the single self-contained ``report.html`` of a run (plotly.js inline)."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from riskalloc.core import ConfigError, atomic_write
from riskalloc.report._assets import REPORT_CSS, REPORT_JS
from riskalloc.report._attribution import risk_attribution
from riskalloc.report._failures import drawn_or_none, drawn_or_note, failed_card
from riskalloc.report._frontier import risk_return
from riskalloc.report._header import report_header_html
from riskalloc.report._market_conditions import market_conditions
from riskalloc.report._performance import cumulative_returns, drawdowns
from riskalloc.report._png import file_stem, write_pngs
from riskalloc.report._predictions import predictions_vs_actual
from riskalloc.report._risk import risk_adjusted_returns, tail_risk
from riskalloc.report._run import Run, RunLike, as_run
from riskalloc.report._seeds import seed_stability
from riskalloc.report._summary_table import summary_table, summary_table_html
from riskalloc.report._training import training_curves
from riskalloc.report._verdicts import verdict_card_html
from riskalloc.report._weights import portfolio_weights

__all__ = ["REPORT_FILE", "SECTIONS", "FigureSection", "write_report"]

#: The report's file name inside the run folder.
REPORT_FILE = "report.html"
#: Folder of the PNG files inside the run folder.
PNG_FOLDER = "figures"

_PLOTLY_CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass(frozen=True)
class FigureSection:
    """One kind of figure in each scenario's part of the report.

    ``figures`` returns ``(name, figure)`` pairs, none when the figure does not
    apply to the run (no stochastic strategy, no forecasting model ...); the
    card then shows ``missing`` instead, or nothing when ``missing`` is empty.
    A new kind of figure is one entry in :data:`SECTIONS`.
    """

    number: int  # the figure's number in the report's specification (PNG file names)
    key: str
    title: str
    caption: str
    figures: Callable[[Run, str], list[tuple[str, go.Figure]]]
    missing: str = ""
    wide: bool = True


def _one(build: Callable[[Run, str], go.Figure | None]) -> Callable[[Run, str], list]:
    def figures(run: Run, scenario: str) -> list[tuple[str, go.Figure]]:
        figure = build(run, scenario)
        return [] if figure is None else [("", figure)]

    return figures


def _weights(run: Run, scenario: str) -> list[tuple[str, go.Figure]]:
    pairs = [(name, portfolio_weights(run, scenario, name)) for name in run.strategies(scenario)]
    return [(name, figure) for name, figure in pairs if figure is not None]


#: The figures of a scenario, in reading order (the summary table comes first, always).
SECTIONS: tuple[FigureSection, ...] = (
    FigureSection(
        2,
        "cumulative-returns",
        "Cumulative returns",
        "Value of 1 invested at the last training close, net of costs. Shaded: from the lowest "
        "to the highest seed of a stochastic strategy. Switch to log scale at the top right.",
        _one(cumulative_returns),
    ),
    FigureSection(
        3,
        "weights",
        "Portfolio weights over time",
        "Target weights decided at each rebalance; between rebalances they drift with prices. "
        "Stochastic strategies show the mean over seeds; the menu picks a single seed.",
        _weights,
    ),
    FigureSection(
        4,
        "risk-adjusted",
        "Risk-adjusted returns",
        "Higher is better. Stochastic strategies: mean over seeds, error bars ±1 standard deviation.",
        _one(risk_adjusted_returns),
        wide=False,
    ),
    FigureSection(
        9,
        "seed-stability",
        "Seed stability",
        "Sharpe ratio of every seed. A wide box means the result depends on the seed: "
        "quote such a strategy as a range, not a number.",
        _one(seed_stability),
        missing="Every strategy here is deterministic (one run each): there is no seed spread to show.",
        wide=False,
    ),
    FigureSection(
        5,
        "tail-risk",
        "VaR and CVaR",
        "Historical 95 % Value at Risk (dashed) and Conditional VaR (dotted) of daily returns, "
        "positive losses drawn at minus the loss on the return axis. Seeds of a stochastic "
        "strategy are pooled.",
        _one(tail_risk),
    ),
    FigureSection(
        6,
        "market-conditions",
        "Performance under market conditions",
        "Each test day is labelled from the index using only closes before it: bull / bear = above / "
        "at or below its 200-day average; high / low volatility = 63-day volatility above / at or "
        "below its past median; plus named crisis windows. Regimes overlap.",
        _one(market_conditions),
        missing="No market index covers this test span and the run's prices could not be "
        "reloaded unchanged (a prices file that moved or changed since the run).",
    ),
    FigureSection(
        7,
        "risk-return",
        "Risk-return trade-off",
        "Line: the long-only efficient frontier estimated on the last year of the training span "
        "(what the training data promised). Points: each strategy's realised test volatility and "
        "annual return (what it delivered); every seed of a stochastic strategy.",
        _one(risk_return),
        missing="The run's prices could not be reloaded unchanged, or the training span is "
        "shorter than a year: no frontier to draw.",
    ),
    FigureSection(
        10,
        "predictions",
        "Predictions vs actual",
        "Each point is one forecast a strategy made at a decision date, against what then "
        "happened over its horizon; the dashed line is a perfect forecast.",
        _one(predictions_vs_actual),
        missing="",
    ),
    FigureSection(
        8,
        "drawdowns",
        "Drawdowns",
        "Fall of wealth below its running peak. The deepest point is the max drawdown of the table.",
        _one(drawdowns),
    ),
    FigureSection(
        12,
        "training",
        "Training",
        "Learning curves of the strategies that train, one line per seed. Deep strategies: the "
        "validation objective (solid; a backtest of the end of the training span) and the mean "
        "training objective (dotted) of each epoch of the first fit, lower is better; the star is "
        "the epoch whose weights were kept. RL agents: each training episode's total log return, "
        "a moving mean of 20 episodes.",
        _one(training_curves),
        missing="",
    ),
    FigureSection(
        11,
        "risk-attribution",
        "Risk attribution",
        "Each asset's Euler contribution to the annualised volatility of the weights decided at "
        "each rebalance (sample covariance of the 252 daily returns up to that date; mean weights "
        "over seeds); the top of each stack is the volatility. The largest contributors are drawn, "
        "the rest summed as other.",
        _one(risk_attribution),
        missing="The run's prices could not be reloaded unchanged, or no decision has a year of "
        "returns behind it: no risk attribution to draw.",
    ),
)

_CONVENTIONS = (
    "Annual return: CAGR, with the data's periods a year (252 for daily data, 12 monthly). "
    "Sharpe: annualised, in excess of the risk-free rate (the run's rate, or the rate series "
    "each period earned). Sortino: downside below the risk-free return, over all days. "
    "Calmar: CAGR / |max drawdown| over the test span. "
    "Stability: R² of cumulative log returns against time. VaR and CVaR 95 %: historical, daily. "
    "Turnover: average daily Σ|target − drifted weight| after the initial purchase. "
    "Best and worst seed: by Sharpe."
)


def write_report(
    run: RunLike, png: bool = False, *, out: str | os.PathLike[str] | None = None
) -> Path:
    """Write ``report.html`` into the run folder from its stored results; return its path.

    The file is self-contained: plotly.js is embedded, so it opens offline. With
    ``png=True`` every figure is also written as PNG under ``figures/SCENARIO/``
    (drawn in the system's Chromium by kaleido).

    ``run`` may also be backtest results (see :meth:`Run.from_results`; given as
    results, the summary table's statistics are computed as a benchmark run
    computes them) or a :class:`Run` made from them; they have no folder, so
    ``out`` names the folder to write into (created when missing). ``out`` puts
    the report of a run folder elsewhere, too.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.report.write_report("runs/bench")               # doctest: +SKIP
    PosixPath('runs/bench/report.html')
    >>> result = ra.backtest(ra.scenario("bull-2010"), ra.get_strategy("hrp"))  # doctest: +SKIP
    >>> ra.report.write_report(result, out="reports/hrp")  # doctest: +SKIP
    PosixPath('reports/hrp/report.html')
    """
    from plotly.offline import get_plotlyjs

    from riskalloc.evaluation import StatisticsSettings

    if isinstance(run, Run | str | os.PathLike):
        run = as_run(run)
    else:
        run = Run.from_results(run, statistics=StatisticsSettings())
    folder = run.path if out is None else Path(out)
    if folder is None:
        raise ConfigError(
            "write_report: backtest results have no run folder; pass out=FOLDER to write the report"
        )
    folder.mkdir(parents=True, exist_ok=True)
    made = dt.datetime.now(dt.UTC)
    sections, pictures = [], {}
    counter = itertools.count()  # plot ids: figure-0, figure-1, ... in page order
    # Every part is drawn on its own: one that cannot be drawn (a frontier on absurd
    # data, a bug in a figure) is left out with a note, and the rest of the report stays.
    for scenario in run.scenarios:
        cards = [drawn_or_note("Summary", scenario, _summary_card, run, scenario, wide=True)]
        table = drawn_or_none(summary_table, run, scenario)  # its card says why not
        if table is not None:
            pictures[_png_path(folder, scenario, "01-summary")] = table
        for section in SECTIONS:
            try:
                figures = section.figures(run, scenario)
                card = _figure_card(section, figures, counter)
            except Exception as error:  # this figure only: left out, with a note
                figures, card = [], failed_card(section.title, scenario, error, section.wide)
            for name, figure in figures:
                stem = f"{section.number:02d}-{section.key}"
                pictures[_png_path(folder, scenario, stem, name)] = figure
            cards.append(card)
        # The scenario ends with its verdict on the deep and RL strategies (none: no card).
        cards.append(drawn_or_note("Verdict", scenario, verdict_card_html, run, scenario))
        sections.append(_scenario_section(run, scenario, cards))
    if not run.scenarios:
        sections.append('<p class="note">This run has no results yet.</p>')
    page = _page(run, made, sections, get_plotlyjs())
    path = folder / REPORT_FILE
    atomic_write(path, lambda target: target.write_text(page, encoding="utf-8"))
    if png:
        write_pngs(pictures)
    return path


def _png_path(folder: Path, scenario: str, *parts: str) -> Path:
    return folder / PNG_FOLDER / file_stem(scenario) / f"{file_stem(*parts)}.png"


def _anchor(scenario: str) -> str:
    return "scenario-" + file_stem(scenario)


def _summary_card(run: Run, scenario: str) -> str:
    return (
        '<div class="card wide"><h3>Summary</h3>'
        f"{summary_table_html(run, scenario)}"
        '<p class="caption">Out of sample (test span), net of costs. Stochastic strategies: '
        "mean ± standard deviation over seeds; open a strategy (▸) for its best and worst seed. "
        "Click a column header to sort; the best value of each column is bold.</p>"
        f'<p class="conventions">{html.escape(_CONVENTIONS)}</p></div>'
    )


def _figure_card(
    section: FigureSection, figures: list[tuple[str, go.Figure]], counter: Iterator[int]
) -> str:
    classes = "card wide" if section.wide else "card"
    heading = f"<h3>{html.escape(section.title)}</h3>"
    if not figures and not section.missing:
        return ""  # e.g. no forecasting strategy in the run: no card at all
    if not figures:
        note = html.escape(section.missing)
        return f'<div class="{classes}" data-section="{section.key}">{heading}<p class="note">{note}</p></div>'
    plots = "".join(_plot_div(figure, f"figure-{next(counter)}") for _, figure in figures)
    if len(figures) > 1:
        plots = f'<div class="subgrid">{plots}</div>'
    else:
        heading = ""  # the figure's own title says it
    return (
        f'<div class="{classes}" data-section="{section.key}">{heading}{plots}'
        f'<p class="caption">{html.escape(section.caption)}</p></div>'
    )


def _plot_div(figure: go.Figure, div_id: str) -> str:
    import plotly.io as pio

    height = int(figure.layout.height or 450)
    return pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=_PLOTLY_CONFIG,
        default_width="100%",
        default_height=f"{height}px",
        validate=False,
    )


def _scenario_section(run: Run, scenario: str, cards: list[str]) -> str:
    span = drawn_or_none(run.test_span, scenario)
    train_end = drawn_or_none(run.train_end, scenario)
    subtitle = (
        f"Test span {span[0].date()} … {span[1].date()}"
        + (f", after training up to {train_end.date()}" if train_end is not None else "")
        if span
        else "No results in this scenario."
    )
    return (
        f'<section class="scenario" id="{_anchor(scenario)}">'
        f'<h2>{html.escape(scenario)}</h2><p class="span">{html.escape(subtitle)}</p>'
        f'<div class="grid">{"".join(cards)}</div></section>'
    )


def _page(run: Run, made: dt.datetime, sections: list[str], plotly_js: str) -> str:
    links = "".join(
        f'<a href="#{_anchor(scenario)}">{html.escape(scenario)}</a>' for scenario in run.scenarios
    )
    title = f"riskalloc report — {run.name}"
    rebuild = (
        "Drawn from backtest results held in memory."
        if run.path is None
        else f"Rebuild it with <code>riskalloc report {html.escape(str(run.path))}</code>."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="riskalloc">
<title>{html.escape(title)}</title>
<style>{REPORT_CSS}</style>
<script>window.PlotlyConfig = {{MathJaxConfig: "local"}};</script>
<script>{plotly_js}</script>
</head>
<body>
{drawn_or_note("Run", run.name, report_header_html, run, made, wide=True)}
<nav class="contents">Scenarios: {links}</nav>
<main>
{"".join(sections)}
</main>
<footer>Made by riskalloc on {made.strftime("%Y-%m-%d")}. Self-contained: plotly.js is embedded,
so this file opens without network access. {rebuild}</footer>
<script>{REPORT_JS}</script>
</body>
</html>
"""
