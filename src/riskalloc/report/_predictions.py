"""Figure 10: predictions vs actual, for strategies that forecast returns or volatility."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskalloc.report._run import RunLike, as_run
from riskalloc.report._style import figure_layout, strategy_colours

__all__ = ["predictions_vs_actual"]

_TITLES = {"return": "Returns", "volatility": "Volatility (annualised)"}
#: At most this many points per strategy and target are drawn (evenly spaced), to keep the file light.
_MAX_POINTS = 3000


def predictions_vs_actual(run: RunLike, scenario: str | None = None) -> go.Figure | None:
    """Predicted against realised values of every forecast, one panel per target.

    Each point is one forecast (date x asset, seeds pooled); the dashed line is
    a perfect forecast. The legend gives, per strategy, the correlation of
    predicted and realised values and, for returns, the hit rate (share of
    forecasts with the right sign). Returns None when no strategy of the
    scenario forecasts.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    forecasts = run.predictions_of(scenario)
    if forecasts.empty:
        return None
    forecasts = forecasts[
        np.isfinite(forecasts["predicted"].astype(float))
        & np.isfinite(forecasts["realised"].astype(float))
    ]
    if forecasts.empty:
        return None
    targets = [target for target in _TITLES if (forecasts["target"] == target).any()]
    figure = make_subplots(rows=1, cols=len(targets), subplot_titles=[_TITLES[t] for t in targets])
    colours = strategy_colours(run)
    for column, target in enumerate(targets, start=1):
        chosen = forecasts[forecasts["target"] == target]
        for strategy in run.strategies(scenario):
            rows = chosen[chosen["strategy"].astype(str) == strategy]
            if rows.empty:
                continue
            correlation = (
                np.corrcoef(rows["predicted"], rows["realised"])[0, 1] if len(rows) > 2 else np.nan
            )
            label = f"{strategy}: corr {correlation:.2f}"
            if target == "return":
                hits = np.mean(np.sign(rows["predicted"]) == np.sign(rows["realised"]))
                label += f", hit rate {100 * hits:.0f} %"
            shown = rows.iloc[
                np.unique(np.linspace(0, len(rows) - 1, min(len(rows), _MAX_POINTS)).astype(int))
            ]
            figure.add_trace(
                go.Scattergl(
                    x=100 * shown["predicted"],
                    y=100 * shown["realised"],
                    mode="markers",
                    name=label,
                    meta={"strategy": strategy},
                    marker={"color": colours[strategy], "size": 4, "opacity": 0.5},
                    legendgroup=strategy,
                ),
                row=1,
                col=column,
            )
        low = 100 * float(min(chosen["predicted"].min(), chosen["realised"].min()))
        high = 100 * float(max(chosen["predicted"].max(), chosen["realised"].max()))
        figure.add_trace(
            go.Scatter(
                x=[low, high],
                y=[low, high],
                mode="lines",
                name="perfect forecast",
                line={"color": "#888", "dash": "dash"},
                showlegend=column == 1,
            ),
            row=1,
            col=column,
        )
        figure.update_xaxes(title_text="Predicted (%)", row=1, col=column)
        figure.update_yaxes(title_text="Realised (%)", row=1, col=column)
    return figure_layout(figure, f"Predictions vs actual — {scenario}", height=460)
