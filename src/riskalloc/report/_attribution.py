"""Figure 11: risk attribution — each asset's Euler contribution to each strategy's volatility."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskalloc.core import PERIODS_PER_YEAR, RiskallocError
from riskalloc.report._run import RunLike, as_run
from riskalloc.report._style import TOP_LEGEND, asset_colours, figure_layout

__all__ = ["ATTRIBUTION_WINDOW", "risk_attribution"]

#: Daily returns behind each decision's covariance (a year, as ``riskalloc allocate``).
ATTRIBUTION_WINDOW = PERIODS_PER_YEAR  # a year of daily returns
OTHER = "other"
_OTHER_COLOUR = "#C8C8C8"


def risk_attribution(
    run: RunLike,
    scenario: str | None = None,
    *,
    window: int = ATTRIBUTION_WINDOW,
    top: int = 6,
    max_points: int = 200,
) -> go.Figure | None:
    """Euler contributions of each asset to the volatility of each strategy's weights, over time.

    One small panel per strategy: at each decision date, the annualised volatility of
    the target weights (the mean over seeds of a stochastic strategy), estimated from
    the ``window`` daily returns up to that date, stacked by asset
    (:func:`~riskalloc.explain.risk_contributions_over_time`); the top of the stack
    is the volatility itself. The ``top`` assets by average contribution are drawn,
    the rest summed as ``other``. With more than ``max_points`` decisions, evenly
    spaced ones are shown.

    Returns None when the run's prices cannot be reloaded unchanged (or, for backtest
    results, were not given: ``Run.from_results(results, prices=...)``) or no strategy
    has a decision with ``window`` returns behind it.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.report.risk_attribution("runs/bench", "bull-2010")   # doctest: +SKIP
    """
    from riskalloc.data import MarketData
    from riskalloc.explain import risk_contributions_over_time

    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    prices = run.prices_of(scenario)
    if prices is None:
        return None
    market = MarketData(prices, name=scenario, max_daily_return=None)  # checked when read
    panels: dict[str, pd.DataFrame] = {}
    for strategy in run.strategies(scenario):
        weights = run.weights_of(scenario, strategy).fillna(0.0)
        weights = weights[weights.index.isin(market.dates[window:])]
        if weights.empty:
            continue
        step = max(1, math.ceil(len(weights) / max_points))
        weights = weights.iloc[sorted({*range(0, len(weights), step), len(weights) - 1})]
        try:
            long = risk_contributions_over_time(weights, market, window=window)
        except RiskallocError:
            continue  # a gap in the prices inside the window: no honest figure to draw
        panels[strategy] = long.pivot(index="date", columns="asset", values="contribution")
    if not panels:
        return None
    assets = list(dict.fromkeys(a for frame in panels.values() for a in frame.columns))
    colours = asset_colours(assets) | {OTHER: _OTHER_COLOUR}
    figure = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.3 / len(panels)),
        subplot_titles=list(panels),
    )
    shown: set[str] = set()
    for row, (strategy, contributions) in enumerate(panels.items(), start=1):
        for asset, series in _top_and_other(contributions, top).items():
            figure.add_trace(
                go.Scatter(
                    x=series.index,
                    y=(series * 100.0).to_numpy(),
                    mode="lines",
                    line={"width": 0.5, "color": colours[asset]},
                    stackgroup=f"panel{row}",
                    fillcolor=colours[asset],
                    name=asset,
                    legendgroup=asset,
                    showlegend=asset not in shown,
                    hovertemplate=f"{asset}: %{{y:.2f}} pp<extra>{strategy}</extra>",
                    meta={"strategy": strategy, "asset": asset},
                ),
                row=row,
                col=1,
            )
            shown.add(asset)
        figure.update_yaxes(title_text="Vol. %", row=row, col=1)
    figure_layout(
        figure,
        f"Risk attribution: contributions to annualised volatility — {scenario}",
        height=150 + 170 * len(panels),
        legend={**TOP_LEGEND, "y": 1.0 + 40 / (150 + 170 * len(panels)), "traceorder": "normal"},
        hovermode="x unified",
        margin={"t": 110},
    )
    figure.update_xaxes(title_text="Decision date", row=len(panels), col=1)
    return figure


def _top_and_other(contributions: pd.DataFrame, top: int) -> dict[str, pd.Series]:
    """The ``top`` assets by mean contribution (largest first) and the rest summed as ``other``."""
    order = contributions.mean().sort_values(ascending=False, kind="stable").index
    kept = {str(asset): contributions[asset] for asset in order[:top]}
    rest = list(order[top:])
    if rest:
        kept[OTHER] = contributions[rest].sum(axis=1)
    return {asset: series.astype(float).fillna(0.0) for asset, series in kept.items()}
