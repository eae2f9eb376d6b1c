"""Figure 7: the risk-return trade-off — the efficient frontier on the training window,
with every strategy placed by its realised test risk and return."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from riskalloc.core import PERIODS_PER_YEAR, RiskallocError, known_rate
from riskalloc.report._run import RunLike, as_run
from riskalloc.report._style import figure_layout, strategy_colours

__all__ = ["FRONTIER_WINDOW", "risk_return"]

#: Daily returns of the training span the frontier is estimated on (its last year).
FRONTIER_WINDOW = PERIODS_PER_YEAR  # a year of daily returns


def risk_return(
    run: RunLike, scenario: str | None = None, *, n_points: int = 40
) -> go.Figure | None:
    """The long-only efficient frontier estimated on the last ``FRONTIER_WINDOW`` training
    returns (annualised), and each strategy at its realised test volatility and return.

    The frontier is what the training data promised; the points are what each
    strategy delivered out of sample, so the gap between them is estimation
    error plus a changed market. Stochastic strategies show every seed.
    Returns None when the run's prices cannot be reloaded unchanged (or, for backtest
    results, were not given: ``Run.from_results(results, prices=...)``) or the
    training span is shorter than the window.
    """
    from riskalloc.data import MarketData
    from riskalloc.risk import estimate_covariance, estimate_mean
    from riskalloc.strategies.classical import efficient_frontier

    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    metrics = run.metrics_of(scenario)
    train_end = run.train_end(scenario)
    prices = run.prices_of(scenario)
    if metrics.empty or train_end is None or prices is None:
        return None
    # The prices were checked when the run read them, with the run's bound on moves.
    market = MarketData(prices, name=scenario, max_daily_return=None).until(train_end)
    if len(market) <= FRONTIER_WINDOW:
        return None
    try:
        windows = market.return_windows(market.dates[-1:], FRONTIER_WINDOW, strategy="frontier")
    except RiskallocError:
        return None
    frontier = efficient_frontier(
        estimate_mean(windows)[0],
        estimate_covariance(windows)[0],
        list(market.assets),
        n_points,
        risk_free=known_rate(run.risk_free_of(scenario), market.dates[-1]),
    )
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=100 * frontier["volatility"],
            y=100 * frontier["return"],
            mode="lines",
            name=f"efficient frontier (training, last {FRONTIER_WINDOW} days)",
            line={"color": "#555", "width": 2},
            hovertemplate="volatility %{x:.2f} %<br>return %{y:.2f} %<extra>frontier</extra>",
        )
    )
    colours = strategy_colours(run)
    for strategy in run.strategies(scenario):
        rows = metrics[metrics["strategy"] == strategy]
        rows = rows[np.isfinite(rows["annual_volatility"]) & np.isfinite(rows["annual_return"])]
        if rows.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=100 * rows["annual_volatility"],
                y=100 * rows["annual_return"],
                mode="markers",
                name=strategy,
                meta={"strategy": strategy},
                marker={"color": colours[strategy], "size": 11 if len(rows) == 1 else 7},
                text=[f"seed {seed}" for seed in rows["seed"]],
                hovertemplate="%{text}<br>volatility %{x:.2f} %<br>return %{y:.2f} %<extra>"
                + strategy
                + "</extra>",
            )
        )
    return figure_layout(
        figure,
        f"{scenario}: promised (training frontier) vs delivered (test)",
        xaxis_title="Annualised volatility (%)",
        yaxis_title="Annual return (%)",
    )
