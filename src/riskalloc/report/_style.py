"""The look shared by every figure: one template, one colour per strategy, metric labels."""

from __future__ import annotations

from functools import cache

import plotly.graph_objects as go

from riskalloc.report._run import Run

__all__ = [
    "METRIC_LABELS",
    "TOP_LEGEND",
    "asset_colours",
    "figure_layout",
    "strategy_colours",
    "translucent",
]

# Tableau 10: distinct, calm, readable on white and in print; then more for long lists.
_STRATEGY_PALETTE = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
    "#B279A2", "#EECA3B", "#9D755D", "#FF9DA6", "#79706E",
    "#1F3A93", "#B35806", "#1B7837", "#A50026", "#00798C",
    "#6A3D9A", "#8C6D1F", "#543005", "#C51B7D", "#252525",
)  # fmt: skip
# Lighter tones for the stacked weights, so the strategy colours stay the loud ones.
_ASSET_PALETTE = (
    "#8DD3C7", "#FDB462", "#BEBADA", "#FB8072", "#80B1D3",
    "#B3DE69", "#FCCDE5", "#BC80BD", "#CCEBC5", "#FFED6F",
    "#A6CEE3", "#FB9A99", "#CAB2D6", "#FDBF6F", "#B2DF8A",
    "#D9D9D9", "#E5C494", "#66C2A5", "#FC8D62", "#8DA0CB",
)  # fmt: skip
CASH_COLOUR = "#F0F0F0"

#: A horizontal legend between the title and the plot, leaving the plot the full width.
TOP_LEGEND = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.01, "yanchor": "bottom"}

#: Metric column -> (label, scale for display, number format).
METRIC_LABELS: dict[str, tuple[str, float, str]] = {
    "annual_return": ("Annual return %", 100.0, "{:.2f}"),
    "cumulative_return": ("Cumulative return %", 100.0, "{:.2f}"),
    "annual_volatility": ("Annual volatility %", 100.0, "{:.2f}"),
    "sharpe": ("Sharpe", 1.0, "{:.3f}"),
    "calmar": ("Calmar", 1.0, "{:.3f}"),
    "stability": ("Stability", 1.0, "{:.3f}"),
    "max_drawdown": ("Max drawdown %", 100.0, "{:.2f}"),
    "sortino": ("Sortino", 1.0, "{:.3f}"),
    "var_95": ("VaR 95 %", 100.0, "{:.2f}"),
    "cvar_95": ("CVaR 95 %", 100.0, "{:.2f}"),
    "turnover": ("Turnover % / day", 100.0, "{:.3f}"),
}

_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


@cache
def _template() -> go.layout.Template:
    # A small template of our own: plotly's default one is ~10 kB per figure in the file.
    return go.layout.Template(
        layout=go.Layout(
            font={"family": _FONT, "size": 12, "color": "#222"},
            paper_bgcolor="white",
            plot_bgcolor="white",
            colorway=list(_STRATEGY_PALETTE),
            title={
                "x": 0.0,
                "xanchor": "left",
                "y": 1.0,
                "yref": "container",
                "yanchor": "top",
                "pad": {"t": 14, "l": 4},
                "font": {"size": 15},
            },
            xaxis={
                "showgrid": True,
                "gridcolor": "#ECECEC",
                "linecolor": "#888",
                "ticks": "outside",
                "zeroline": False,
                "automargin": True,
            },
            yaxis={
                "showgrid": True,
                "gridcolor": "#ECECEC",
                "linecolor": "#888",
                "zerolinecolor": "#BBB",
                "automargin": True,
            },
            legend={"bgcolor": "rgba(255,255,255,0.8)", "font": {"size": 11}},
            hoverlabel={"font": {"family": _FONT}},
            margin={"l": 60, "r": 20, "t": 60, "b": 50},
        )
    )


def figure_layout(
    figure: go.Figure, title: str, *, height: int = 420, **layout: object
) -> go.Figure:
    """Apply the report's template, a left-aligned title and a height to ``figure``."""
    figure.update_layout(template=_template(), title={"text": title}, height=height, **layout)
    return figure


def strategy_colours(run: Run) -> dict[str, str]:
    """One colour per strategy of the run, the same in every scenario and figure."""
    return colours_in_order(run.strategies())


def colours_in_order(strategies: list[str]) -> dict[str, str]:
    """One colour per strategy, by position in ``strategies``."""
    return {
        name: _STRATEGY_PALETTE[position % len(_STRATEGY_PALETTE)]
        for position, name in enumerate(strategies)
    }


def asset_colours(assets: list[str]) -> dict[str, str]:
    """One colour per asset (cash is light grey)."""
    colours = {
        asset: _ASSET_PALETTE[position % len(_ASSET_PALETTE)]
        for position, asset in enumerate(a for a in assets if a != "cash")
    }
    return colours | {"cash": CASH_COLOUR}


def translucent(colour: str, alpha: float) -> str:
    """``#RRGGBB`` as ``rgba(r, g, b, alpha)``."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
