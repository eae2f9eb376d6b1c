"""Figures over time: cumulative returns (2) and drawdowns (8)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from riskalloc.evaluation import drawdown_path, wealth_path
from riskalloc.report._run import Run, RunLike, as_run
from riskalloc.report._style import TOP_LEGEND, figure_layout, strategy_colours, translucent

__all__ = ["cumulative_returns", "drawdowns"]


def cumulative_returns(
    run: RunLike, scenario: str | None = None, *, log_scale: bool = False
) -> go.Figure | None:
    """Value of 1 invested in each strategy over the test span, net of costs.

    Wealth starts at 1 at the close of the last training day (the first
    decision), marked as the train/test boundary. A stochastic strategy is
    drawn as the mean of its seeds' wealth, inside a band from the lowest to
    the highest seed on each day. Buttons switch between linear and log scale.

    Returns None when the scenario has no returns.

    Examples
    --------
    >>> import riskalloc as ra
    >>> ra.report.cumulative_returns("runs/bench", "bull-2010").show()   # doctest: +SKIP
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    figure = _paths_figure(run, scenario, wealth_path, start_value=1.0, scale=1.0)
    if figure is None:
        return None
    figure_layout(
        figure,
        f"Cumulative returns — {scenario}",
        height=460,
        xaxis_title="Date",
        yaxis_title="Value of 1 invested (net of costs)",
        yaxis_type="log" if log_scale else "linear",
        hovermode="x unified",
        legend=TOP_LEGEND,
        margin={"t": 95},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1.0,
                "xanchor": "right",
                # In the title's row, above the legend: paper units over a ~305 px plot.
                "y": 1.0 + 52 / 305,
                "yanchor": "bottom",
                "showactive": True,
                "active": 1 if log_scale else 0,
                "pad": {"r": 0, "t": 0},
                "font": {"size": 11},
                "buttons": [
                    {"label": "Linear", "method": "relayout", "args": [{"yaxis.type": "linear"}]},
                    {"label": "Log scale", "method": "relayout", "args": [{"yaxis.type": "log"}]},
                ],
            }
        ],
    )
    return figure


def drawdowns(run: RunLike, scenario: str | None = None) -> go.Figure | None:
    """Fall below the running peak of wealth, per strategy, over the test span (%).

    A stochastic strategy is drawn as the mean of its seeds' drawdowns inside a
    band from the lowest to the highest seed on each day. The deepest point of a
    line is that strategy's max drawdown in the summary table.

    Returns None when the scenario has no returns.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    figure = _paths_figure(run, scenario, drawdown_path, start_value=0.0, scale=100.0)
    if figure is None:
        return None
    return figure_layout(
        figure,
        f"Drawdowns — {scenario}",
        height=400,
        xaxis_title="Date",
        yaxis_title="Drawdown from peak %",
        hovermode="x unified",
        legend=TOP_LEGEND,
        margin={"t": 95},
    )


def _paths_figure(
    run: Run,
    scenario: str,
    path_of: Callable[[pd.Series], pd.Series],
    *,
    start_value: float,
    scale: float,
) -> go.Figure | None:
    """One line per strategy (mean over seeds) with a lowest-to-highest seed band."""
    colours = strategy_colours(run)
    start = run.train_end(scenario)
    figure = go.Figure()
    unit = " %" if scale == 100.0 else ""
    for strategy in run.strategies(scenario):
        daily = run.returns_of(scenario, strategy)
        if daily.empty:
            continue
        paths = daily.apply(path_of) * scale
        if start is not None and start < paths.index[0]:
            first = pd.DataFrame(start_value * scale, index=[start], columns=paths.columns)
            paths = pd.concat([first, paths])
        colour = colours[strategy]
        seeds = paths.shape[1]
        if seeds > 1:
            for edge, fill in ((paths.max(axis=1), None), (paths.min(axis=1), "tonexty")):
                figure.add_trace(
                    go.Scatter(
                        x=paths.index,
                        y=edge.to_numpy(),
                        mode="lines",
                        line={"width": 0, "color": colour},
                        fill=fill,
                        fillcolor=translucent(colour, 0.18),
                        name=f"{strategy}: range over {seeds} seeds",
                        legendgroup=strategy,
                        showlegend=False,
                        hoverinfo="skip",
                        meta={"strategy": strategy, "role": "band"},
                    )
                )
        label = f"{strategy} (mean of {seeds} seeds)" if seeds > 1 else strategy
        figure.add_trace(
            go.Scatter(
                x=paths.index,
                y=paths.mean(axis=1).to_numpy(),
                mode="lines",
                line={"width": 2, "color": colour},
                name=label,
                legendgroup=strategy,
                hovertemplate=f"{label}: %{{y:.3f}}{unit}<extra></extra>",
                meta={"strategy": strategy, "role": "line"},
            )
        )
    if not figure.data:
        return None
    if start is not None:
        _mark_boundary(figure, start)
        # A little room left of the boundary, so its line does not sit on the axis.
        end = max(pd.Timestamp(trace.x[-1]) for trace in figure.data)
        figure.update_xaxes(range=[start - (end - start) * 0.015, end])
    return figure


def _mark_boundary(figure: go.Figure, train_end: pd.Timestamp) -> None:
    """A dashed vertical line at the last training close, labelled train | test."""
    figure.add_shape(
        type="line",
        xref="x",
        yref="paper",
        x0=train_end,
        x1=train_end,
        y0=0,
        y1=1,
        line={"color": "#555", "width": 1.2, "dash": "dash"},
    )
    figure.add_annotation(
        x=train_end,
        xref="x",
        y=1.0,
        yref="paper",
        yanchor="top",
        text=f" train ends {train_end.date()} | test →",
        showarrow=False,
        xanchor="left",
        bgcolor="rgba(255,255,255,0.75)",
        font={"size": 11, "color": "#555"},
    )
