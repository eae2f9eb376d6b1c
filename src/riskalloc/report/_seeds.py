"""Figure 9: how much a stochastic strategy's result depends on its seed."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from riskalloc.evaluation import seeds_beating_benchmark
from riskalloc.report._run import RunLike, as_run
from riskalloc.report._style import METRIC_LABELS, figure_layout, strategy_colours

__all__ = ["seed_stability"]


def seed_stability(
    run: RunLike, scenario: str | None = None, *, metric: str = "sharpe"
) -> go.Figure | None:
    """The spread of a metric (default Sharpe) across seeds, per stochastic strategy.

    Each stochastic strategy is a box with every seed as a point; each
    deterministic strategy is one diamond beside them, for scale. A wide box is
    a finding in itself: that strategy's result is partly the luck of its seed.
    Above each box: the median over seeds and how many seeds beat the run's
    benchmark strategy (``config.json`` ``statistics.benchmark``, default
    ``equal_weight``; see :func:`riskalloc.evaluation.seeds_beating_benchmark`),
    whose value is the dotted line.

    Returns None when no strategy of the scenario has more than one seed.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    if not run.stochastic_strategies(scenario):
        return None
    metrics = run.metrics_of(scenario)
    label = METRIC_LABELS.get(metric, (metric, 1.0, ""))[0]
    colours = strategy_colours(run)
    benchmark = str(run.config.get("statistics", {}).get("benchmark", "equal_weight"))
    wins = seeds_beating_benchmark(metrics, benchmark, metric).set_index("strategy")
    figure = go.Figure()
    for strategy in run.strategies(scenario):
        rows = metrics[(metrics["strategy"] == strategy) & np.isfinite(metrics[metric])]
        if rows.empty:
            continue
        colour = colours[strategy]
        seeds = [f"seed {int(seed)}" for seed in rows["seed"]]
        common = {
            "name": strategy,
            "legendgroup": strategy,
            "text": seeds,
            "meta": {"strategy": strategy},
            "hovertemplate": f"{strategy}, %{{text}}: %{{y:.3f}}<extra></extra>",
        }
        if run.is_stochastic(scenario, strategy):
            figure.add_trace(
                go.Box(
                    x=[strategy] * len(rows),
                    y=rows[metric].to_numpy(dtype=float),
                    boxpoints="all",
                    jitter=0.35,
                    pointpos=0,
                    marker={"color": colour, "size": 7, "opacity": 0.85},
                    line={"color": colour, "width": 1.4},
                    fillcolor="rgba(0,0,0,0)",
                    **common,
                )
            )
            figure.add_annotation(
                x=strategy,
                y=float(rows[metric].max()),
                text=_seed_note(rows[metric].to_numpy(dtype=float), wins.loc[strategy], benchmark),
                showarrow=False,
                yanchor="bottom",
                yshift=6,
                font={"size": 11, "color": "#444"},
            )
        else:
            figure.add_trace(
                go.Scatter(
                    x=[strategy],
                    y=rows[metric].to_numpy(dtype=float),
                    mode="markers",
                    marker={
                        "symbol": "diamond",
                        "size": 13,
                        "color": colour,
                        "line": {"color": "#333", "width": 1},
                    },
                    **common,
                )
            )
    target = wins["benchmark_value"].iloc[0] if len(wins) else np.nan
    if np.isfinite(target):
        figure.add_hline(
            y=float(target),
            line={"color": "#888", "dash": "dot", "width": 1},
            annotation_text=f"{benchmark} {target:.3f}",
            annotation_position="bottom right",
        )
    return figure_layout(
        figure,
        f"Seed stability: {label} across seeds — {scenario}",
        height=400,
        xaxis_title="Strategy (boxes: seeds of a stochastic strategy; diamonds: deterministic)",
        yaxis_title=label,
        showlegend=False,
    )


def _seed_note(values: np.ndarray, wins, benchmark: str) -> str:
    """'median 0.812 · 7/10 beat equal_weight' for a stochastic strategy's box."""
    note = f"median {np.median(values):.3f}"
    if np.isfinite(wins["share"]):
        note += f" · {int(wins['beating'])}/{int(wins['seeds'])} beat {benchmark}"
    return note
