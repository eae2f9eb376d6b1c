"""Figure 6: performance under different market conditions (strategies x regimes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from riskalloc.data import load_dataset
from riskalloc.evaluation import (
    equal_weight_index,
    market_regimes,
    regime_performance,
)
from riskalloc.report._run import Run, RunLike, as_run
from riskalloc.report._style import figure_layout

__all__ = ["market_conditions", "regime_reference"]

#: The market index the regimes are read from, when it covers the run's dates.
INDEX_DATASET = "sp500_index"
_TREND_WINDOW = 200


def regime_reference(run: Run, scenario: str) -> tuple[pd.Series, str] | None:
    """The price index that defines the regimes of ``scenario``, and what it is.

    The S&P 500 index when it covers the test span with a full trend window
    before it; otherwise an equal-weight index of the run's own assets, from
    the prices reloaded as ``config.json`` records them (a scenario, a bundled
    dataset, or a prices file that still exists with the same content), or the
    prices a run made from backtest results was given. None when neither is available.
    """
    span = run.test_span(scenario)
    if span is None:
        return None
    index = load_dataset(INDEX_DATASET).iloc[:, 0]
    closes_before = int((index.index < span[0]).sum())
    if closes_before >= _TREND_WINDOW and index.index[-1] >= span[1]:
        return index, "S&P 500 index"
    prices = run.prices_of(scenario)
    if prices is None:
        return None
    return (
        equal_weight_index(prices),
        f"equal-weight index of the run's {prices.shape[1]} assets "
        f"(the S&P 500 index does not cover {span[0].date()} … {span[1].date()})",
    )


def market_conditions(
    run: RunLike, scenario: str | None = None, *, min_days: int = 20
) -> go.Figure | None:
    """Annualised return (or, with the buttons, Sharpe ratio) of each strategy in each regime.

    Regimes label each test day from the market index using only closes before
    that day (see :func:`riskalloc.evaluation.market_regimes`): bull / bear from
    the 200-day trend, high / low volatility against the past median of 63-day
    volatility, and the named crisis windows that fall in the test span. A
    regime with fewer than ``min_days`` test days is left out. A stochastic
    strategy's cell is the mean over its seeds.

    Returns None when the scenario has no returns or no index can be had (for
    backtest results outside the S&P 500 index's dates, pass their prices:
    ``Run.from_results(results, prices=...)``).
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    reference = regime_reference(run, scenario)
    if reference is None:
        return None
    index, description = reference
    dates = pd.DatetimeIndex(
        sorted(run.returns.loc[run.returns["scenario"] == scenario, "date"].unique())
    )
    labels = market_regimes(index, dates)
    tables = {}
    for strategy in run.strategies(scenario):
        daily = run.returns_of(scenario, strategy)
        per_seed = [
            regime_performance(
                daily[seed], labels, risk_free=run.risk_free_of(scenario), min_days=min_days
            )
            for seed in daily.columns
        ]
        if per_seed:
            tables[strategy] = pd.concat(per_seed).groupby(level=0, sort=False).mean()
    if not tables:
        return None
    days = next(iter(tables.values()))["days"]
    regimes = [name for name in days.index if days[name] >= min_days]
    strategies = list(tables)
    rows = [
        f"{name} (mean of {len(run.seeds(scenario, name))} seeds)"
        if run.is_stochastic(scenario, name)
        else name
        for name in strategies
    ]
    columns = [f"{name}<br>{int(days[name])} days" for name in regimes]
    figure = go.Figure()
    for position, (measure, scale, fmt, title) in enumerate(
        (
            ("annual_return", 100.0, ".1f", "Annual return %"),
            ("sharpe", 1.0, ".2f", "Sharpe"),
        )
    ):
        values = np.array(
            [
                [tables[name].loc[regime, measure] * scale for regime in regimes]
                for name in strategies
            ]
        )
        figure.add_trace(
            go.Heatmap(
                z=values,
                x=columns,
                y=rows,
                colorscale="RdBu",
                zmid=0.0,
                texttemplate=f"%{{z:{fmt}}}",
                textfont={"size": 12},
                xgap=2,
                ygap=2,
                colorbar={"title": {"text": title, "side": "right"}, "thickness": 14},
                hovertemplate=f"%{{y}}<br>%{{x}}<br>{title}: %{{z:{fmt}}}<extra></extra>",
                name=title,
                visible=position == 0,
                meta={"measure": measure},
            )
        )
    figure_layout(
        figure,
        f"Performance under market conditions — {scenario}"
        f"<br><sup>regimes from the {description}, using only closes before each day</sup>",
        height=max(300, 120 + 46 * len(strategies)),
        xaxis_title="Regime (test days in it)",
        yaxis_title="Strategy",
        margin={"t": 90},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.02,
                "yanchor": "bottom",
                "pad": {"r": 0, "t": 0},
                "font": {"size": 11},
                "active": 0,
                "buttons": [
                    {
                        "label": "Annual return",
                        "method": "restyle",
                        "args": [{"visible": [True, False]}],
                    },
                    {"label": "Sharpe", "method": "restyle", "args": [{"visible": [False, True]}]},
                ],
            }
        ],
    )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    figure.update_xaxes(showgrid=False, side="bottom")
    return figure
