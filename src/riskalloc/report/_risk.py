"""Figures of risk: risk-adjusted ratios (4) and the tail of daily returns, VaR and CVaR (5)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskalloc.evaluation import seed_spread
from riskalloc.report._run import RunLike, as_run
from riskalloc.report._style import figure_layout, strategy_colours

__all__ = ["risk_adjusted_returns", "tail_risk"]

_RATIOS = {"sharpe": "Sharpe", "sortino": "Sortino", "calmar": "Calmar"}


def risk_adjusted_returns(run: RunLike, scenario: str | None = None) -> go.Figure | None:
    """Sharpe, Sortino and Calmar ratios side by side, one bar per strategy.

    Bars of a stochastic strategy are the mean over seeds, with error bars of
    one standard deviation over seeds. A ratio that is undefined for a strategy
    (e.g. Calmar without a drawdown) has no bar.

    Returns None when the scenario has no metrics.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    metrics = run.metrics_of(scenario)
    if metrics.empty:
        return None
    spread = seed_spread(metrics).set_index(["strategy", "statistic"])
    colours = strategy_colours(run)
    figure = go.Figure()
    for strategy in run.strategies(scenario):
        seeds = int(spread.loc[(strategy, "mean"), "seeds"])
        means = spread.loc[(strategy, "mean"), list(_RATIOS)].astype(float)
        stds = spread.loc[(strategy, "std"), list(_RATIOS)].astype(float).fillna(0.0)
        shown = [column for column in _RATIOS if np.isfinite(means[column])]
        if not shown:
            continue
        spread_text = [f" ± {stds[c]:.3f} over {seeds} seeds" if seeds > 1 else "" for c in shown]
        figure.add_trace(
            go.Bar(
                x=[_RATIOS[column] for column in shown],
                y=means[shown].to_numpy(),
                name=strategy,
                marker_color=colours[strategy],
                error_y={
                    "type": "data",
                    "array": stds[shown].to_numpy(),
                    "visible": seeds > 1,
                    "thickness": 1.4,
                    "width": 4,
                },
                customdata=spread_text,
                hovertemplate=f"{strategy}<br>%{{x}}: %{{y:.3f}}%{{customdata}}<extra></extra>",
                meta={"strategy": strategy},
            )
        )
    if not figure.data:
        return None
    return figure_layout(
        figure,
        f"Risk-adjusted returns — {scenario}",
        height=400,
        barmode="group",
        xaxis_title="Ratio (annualised)",
        yaxis_title="Ratio",
        bargap=0.25,
    )


def tail_risk(run: RunLike, scenario: str | None = None, *, bins: int = 60) -> go.Figure | None:
    """The distribution of daily returns with the 95 % VaR (dashed) and CVaR (dotted) lines,
    and a box plot of daily returns per strategy.

    Daily returns of every seed of a stochastic strategy are pooled; its VaR and
    CVaR lines are the means over seeds of the values in ``metrics.csv``
    (historical, positive losses; drawn at the return ``-loss`` on the return axis).

    Returns None when the scenario has no returns.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    pooled = {
        strategy: run.returns_of(scenario, strategy).to_numpy().ravel()
        for strategy in run.strategies(scenario)
    }
    pooled = {name: values[np.isfinite(values)] * 100.0 for name, values in pooled.items()}
    pooled = {name: values for name, values in pooled.items() if len(values)}
    if not pooled:
        return None
    metrics = run.metrics_of(scenario).groupby("strategy", sort=False)[["var_95", "cvar_95"]].mean()
    edges = np.histogram_bin_edges(np.concatenate(list(pooled.values())), bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    colours = strategy_colours(run)
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.58, 0.42],
        horizontal_spacing=0.08,
        subplot_titles=(
            "Distribution of daily returns",
            "Daily returns per strategy (—: VaR, ×: CVaR)",
        ),
    )
    for strategy, values in pooled.items():
        colour = colours[strategy]
        share = np.histogram(values, bins=edges)[0] / len(values) * 100.0
        figure.add_trace(
            go.Scatter(
                x=centres,
                y=share,
                mode="lines",
                line={"shape": "hvh", "color": colour, "width": 1.8},
                name=strategy,
                legendgroup=strategy,
                hovertemplate=f"{strategy}: %{{y:.1f}} % of days near %{{x:.2f}} %<extra></extra>",
                meta={"strategy": strategy, "role": "histogram"},
            ),
            row=1,
            col=1,
        )
        top = float(share.max()) * 1.05
        tail = {
            # metrics.csv states losses; on an axis of returns a loss L sits at -L.
            "VaR 95 %": (-float(metrics.loc[strategy, "var_95"]) * 100.0, "dash"),
            "CVaR 95 %": (-float(metrics.loc[strategy, "cvar_95"]) * 100.0, "dot"),
        }
        for label, (value, dash) in tail.items():
            if not np.isfinite(value):
                continue
            figure.add_trace(
                go.Scatter(
                    x=[value, value],
                    y=[0.0, top],
                    mode="lines",
                    line={"color": colour, "dash": dash, "width": 1.5},
                    name=f"{strategy} {label}",
                    legendgroup=strategy,
                    showlegend=False,
                    hovertemplate=f"{strategy} {label}: {value:.2f} %<extra></extra>",
                    meta={"strategy": strategy, "role": label},
                ),
                row=1,
                col=1,
            )
        figure.add_trace(
            go.Box(
                y=values,
                name=strategy,
                marker={"color": colour, "size": 3},
                line={"width": 1.2},
                boxpoints="outliers",
                legendgroup=strategy,
                showlegend=False,
                hovertemplate="%{y:.2f} %<extra></extra>",
                meta={"strategy": strategy, "role": "box"},
            ),
            row=1,
            col=2,
        )
        marks = [(label, value) for label, (value, _) in tail.items() if np.isfinite(value)]
        if marks:
            figure.add_trace(
                go.Scatter(
                    x=[strategy] * len(marks),
                    y=[value for _, value in marks],
                    mode="markers",
                    marker={
                        "symbol": ["line-ew-open", "x-thin-open"][: len(marks)],
                        "size": 16,
                        "color": "#222",
                        "line": {"width": 2, "color": "#222"},
                    },
                    text=[label for label, _ in marks],
                    name=f"{strategy} VaR/CVaR",
                    legendgroup=strategy,
                    showlegend=False,
                    hovertemplate=f"{strategy} %{{text}}: %{{y:.2f}} %<extra></extra>",
                    meta={"strategy": strategy, "role": "tail marks"},
                ),
                row=1,
                col=2,
            )
    figure_layout(figure, f"VaR and CVaR (95 %) — {scenario}", height=440)
    figure.update_xaxes(title_text="Daily return %", row=1, col=1)
    figure.update_yaxes(title_text="Share of days %", row=1, col=1)
    figure.update_xaxes(title_text="Strategy", row=1, col=2)
    figure.update_yaxes(title_text="Daily return %", row=1, col=2)
    return figure
