"""Figure 3: portfolio weights over time, one figure per strategy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from riskalloc.core import ConfigError
from riskalloc.report._run import Run, RunLike, as_run
from riskalloc.report._style import asset_colours, figure_layout

__all__ = ["portfolio_weights"]

# Below this, a gap between the weights and 1 is rounding, not cash.
_CASH_TOLERANCE = 1e-6


def portfolio_weights(
    run: RunLike,
    scenario: str | None = None,
    strategy: str | None = None,
    *,
    max_points: int = 400,
) -> go.Figure | None:
    """Target weights decided at each rebalance, stacked to 100 % (cash on top).

    For a stochastic strategy the figure shows the mean weights over seeds,
    with a selector for each single seed. Weights hold until the next decision
    (step lines). A portfolio with a short position or leverage is drawn as
    plain lines, since a stack would hide the signs. With more than
    ``max_points`` decisions, evenly spaced decisions are shown (the file stays
    small; the title says so).

    Returns None when the strategy has no weights in the scenario.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.report.portfolio_weights("runs/bench", "bull-2010", "inverse_volatility")  # doctest: +SKIP
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    strategy = _resolve_strategy(run, scenario, strategy)
    seeds = run.seeds(scenario, strategy)
    views: list[tuple[str, pd.DataFrame]] = [
        (
            f"mean of {len(seeds)} seeds" if len(seeds) > 1 else "",
            run.weights_of(scenario, strategy),
        )
    ]
    if len(seeds) > 1:
        views += [(f"seed {seed}", run.weights_of(scenario, strategy, seed)) for seed in seeds]
    views = [(label, _with_cash(frame)) for label, frame in views if not frame.empty]
    if not views:
        return None
    step = max(1, math.ceil(len(views[0][1]) / max_points))
    views = [(label, _thin(frame, step)) for label, frame in views]
    stacked = all(((frame >= -_CASH_TOLERANCE).all().all()) for _, frame in views)
    assets = list(dict.fromkeys(asset for _, frame in views for asset in frame.columns))
    colours = asset_colours(assets)

    figure = go.Figure()
    for position, (label, frame) in enumerate(views):
        for asset in frame.columns:
            colour = colours[asset]
            figure.add_trace(
                go.Scatter(
                    x=frame.index,
                    y=(frame[asset] * 100.0).to_numpy(),
                    mode="lines",
                    line={"width": 0.6 if stacked else 1.6, "shape": "hv", "color": colour},
                    stackgroup=f"view{position}" if stacked else None,
                    fillcolor=colour if stacked else None,
                    name=asset,
                    legendgroup=asset,
                    visible=position == 0,
                    hovertemplate=f"{asset}: %{{y:.1f}} %<extra></extra>",
                    meta={"strategy": strategy, "view": label or "weights", "asset": asset},
                )
            )
    title = f"Portfolio weights — {strategy} — {scenario}"
    if step > 1:
        title += f"<br><sup>every {step}th decision shown</sup>"
    figure_layout(
        figure,
        title,
        height=max(380, 110 + 20 * len(assets)),  # room for every asset in the legend
        xaxis_title="Decision date",
        yaxis_title="Weight %",
        hovermode="x unified",
        legend={"traceorder": "reversed" if stacked else "normal"},
    )
    if stacked:
        figure.update_yaxes(range=[0, 100])
    if len(views) > 1:
        figure.update_layout(updatemenus=[_view_selector(views, figure.layout.height)])
    return figure


def _resolve_strategy(run: Run, scenario: str, strategy: str | None) -> str:
    names = run.strategies(scenario)
    if strategy is None:
        if len(names) != 1:
            raise ConfigError(f"{scenario} has strategies {', '.join(names)}; pass strategy=NAME")
        return names[0]
    if strategy not in names:
        raise ConfigError(
            f"{scenario} has no results of strategy '{strategy}'; it has {', '.join(names)}"
        )
    return strategy


def _with_cash(weights: pd.DataFrame) -> pd.DataFrame:
    """Add a ``cash`` column where the weights leave part of the capital uninvested."""
    cash = 1.0 - weights.sum(axis=1)
    if (cash.abs() > _CASH_TOLERANCE).any():
        return weights.assign(cash=cash)
    return weights


def _thin(weights: pd.DataFrame, step: int) -> pd.DataFrame:
    """Every ``step``-th decision, and always the last one."""
    if step == 1:
        return weights
    keep = np.zeros(len(weights), dtype=bool)
    keep[::step] = True
    keep[-1] = True
    return weights[keep]


def _view_selector(views: list[tuple[str, pd.DataFrame]], height: int) -> dict:
    """A dropdown that shows the traces of one view (mean, or one seed) at a time."""
    sizes = [frame.shape[1] for _, frame in views]
    buttons = []
    for position, (label, _) in enumerate(views):
        visible = [index == position for index, size in enumerate(sizes) for _ in range(size)]
        buttons.append({"label": label, "method": "restyle", "args": [{"visible": visible}]})
    return {
        "type": "dropdown",
        "buttons": buttons,
        "active": 0,
        "x": 1.0,
        "xanchor": "right",
        # In the title's row: 22 px above a plot of about height - 110 px.
        "y": 1.0 + 22 / (height - 110),
        "yanchor": "bottom",
        "pad": {"r": 0, "t": 0},
        "font": {"size": 11},
        "showactive": True,
    }
