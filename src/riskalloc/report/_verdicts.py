"""The verdict that ends each scenario: every deep and RL strategy against 1/N and the best
classical portfolio (see :func:`riskalloc.evaluation.verdicts`), as a table and in words."""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable

import pandas as pd

from riskalloc.core import ConfigError
from riskalloc.evaluation import (
    SIGNIFICANCE_LEVEL,
    VERDICT_COLUMNS,
    VERDICT_FAMILIES,
    StatisticsSettings,
    Verdict,
    benchmark_label,
    verdicts,
)
from riskalloc.report._run import Run, RunLike, as_run
from riskalloc.strategies import strategy_class
from riskalloc.strategies.limits import LIMITED_SUFFIX

__all__ = [
    "SELECTION_NOTE",
    "scenario_verdicts",
    "statistics_settings",
    "strategy_families",
    "verdict_card_html",
]

#: What the verdict's reader must know about how the best classical strategy is picked.
SELECTION_NOTE = (
    "The best classical strategy is picked by its Sharpe ratio on the test span itself: a "
    "selection on the test data that favours the classical side, the conservative direction "
    "for a verdict on the deep and RL strategies."
)
#: How the words are decided (for captions).
RULE_NOTE = (
    f"Median seed by Sharpe (with an even number of seeds, the lower middle one). "
    f"Beats / worse: Sharpe difference positive / negative with p < {SIGNIFICANCE_LEVEL:g} "
    "(Ledoit–Wolf block-bootstrap test); otherwise no significant difference. SPA p: Hansen's "
    "test that some strategy of the scenario beats the benchmark, all strategies and seeds "
    "in one family."
)


def strategy_families(names: Iterable[str]) -> dict[str, str]:
    """Strategy name -> the ``family`` of its registered class (``classical``, ``deep``,
    ``rl`` ...); a limited strategy (``NAME+limits``) is of its strategy's family, and a
    name that is not registered (e.g. a label of backtest results) has none."""
    families = {}
    for name in names:
        try:
            cls = strategy_class(str(name).removesuffix(LIMITED_SUFFIX))
        except (ConfigError, ImportError):
            continue
        families[str(name)] = str(getattr(cls, "family", "custom"))
    return families


def statistics_settings(run: Run) -> StatisticsSettings:
    """The statistics settings ``config.json`` records (the defaults where it records none)."""
    recorded = run.config.get("statistics") or {}
    known = {field.name for field in dataclasses.fields(StatisticsSettings)}
    return StatisticsSettings(**{key: value for key, value in recorded.items() if key in known})


def scenario_verdicts(run: RunLike, scenario: str | None = None) -> pd.DataFrame:
    """:func:`riskalloc.evaluation.verdicts` of one scenario of a run: one row per deep or
    RL strategy, empty when the scenario has none."""
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    metrics = run.metrics_of(scenario)
    families = strategy_families(run.strategies(scenario))
    if "sharpe" not in metrics.columns or not any(
        family in VERDICT_FAMILIES for family in families.values()
    ):
        return pd.DataFrame(columns=list(VERDICT_COLUMNS))
    returns = run.returns[run.returns["scenario"].astype(str) == scenario]
    return verdicts(
        metrics,
        returns,
        families,
        settings=statistics_settings(run),
        risk_free=run.risk_free_by_scenario,
    )


def verdict_card_html(run: RunLike, scenario: str) -> str:
    """The report's verdict card of ``scenario``: a small table and one sentence per
    strategy; empty when the scenario has no deep or RL strategy."""
    table = scenario_verdicts(run, scenario)
    if table.empty:
        return ""
    label = html.escape(benchmark_label(str(table["benchmark"].iloc[0])))
    headers = (
        "Strategy",
        "Seeds",
        "Median seed",
        "Sharpe",
        f"{label} Sharpe",
        f"p vs {label}",
        f"vs {label}",
        "Best classical (Sharpe)",
        "p vs best classical",
        "vs best classical",
        "SPA p",
        f"Seeds above {label}",
    )
    head = "".join(f'<th scope="col">{html.escape(h, quote=False)}</th>' for h in headers)
    rows = []
    for _, row in table.iterrows():
        median = f"{int(row['median_seed'])}" + (" (lower middle)" if row["lower_middle"] else "")
        best = (
            "–"
            if row["best_classical"] is None
            else f"{html.escape(str(row['best_classical']))} ({_number(row['best_classical_sharpe'], '{:.3f}')})"
        )
        share = (
            "–"
            if _missing(row["share_above_benchmark"])
            else f"{int(row['seeds_above_benchmark'])}/{int(row['seeds'])}"
        )
        cells = (
            f'<th scope="row">{html.escape(str(row["strategy"]))}</th>',
            f"<td>{int(row['seeds'])}</td>",
            f"<td>{median}</td>",
            f"<td>{_number(row['sharpe'], '{:.3f}')}</td>",
            f"<td>{_number(row['benchmark_sharpe'], '{:.3f}')}</td>",
            f"<td>{_number(row['benchmark_pvalue'], '{:.3f}')}</td>",
            _verdict_cell(row["benchmark_verdict"]),
            f"<td>{best}</td>",
            f"<td>{_number(row['classical_pvalue'], '{:.3f}')}</td>",
            _verdict_cell(row["classical_verdict"]),
            f"<td>{_number(row['spa_pvalue'], '{:.3f}')}</td>",
            f"<td>{share}</td>",
        )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    sentences = "".join(f"<li>{html.escape(str(text))}</li>" for text in table["summary"])
    return (
        '<div class="card wide" data-section="verdict"><h3>Verdict</h3>'
        '<div class="table-scroll"><table class="summary verdict">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<ul class="verdicts">{sentences}</ul>'
        f'<p class="caption">{html.escape(RULE_NOTE)}</p>'
        f'<p class="caption">{html.escape(SELECTION_NOTE)}</p></div>'
    )


def _verdict_cell(verdict: str) -> str:
    word = Verdict(verdict)
    css = {Verdict.BEATS: "beats", Verdict.WORSE: "worse"}.get(word, "neutral")
    return f'<td class="verdict-{css}">{html.escape(str(word))}</td>'


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object, fmt: str = "{:.2f}") -> str:
    if _missing(value):
        return "–"
    return fmt.format(float(value)).replace("-", "−")
