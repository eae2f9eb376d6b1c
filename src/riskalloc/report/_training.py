"""Figure 12: training curves of the deep strategies and RL agents, one line per seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskalloc.report._run import RunLike, as_run
from riskalloc.report._style import figure_layout, strategy_colours

__all__ = ["training_curves"]

#: Episodes averaged in the RL curves (a moving mean; single episodes are noisy).
_EPISODE_WINDOW = 20


def training_curves(run: RunLike, scenario: str | None = None) -> go.Figure | None:
    """Learning curves of every strategy that trains, one panel per strategy.

    Deep strategies: the validation objective (solid) and the mean training objective
    (dotted) of each epoch of the first fit, lower is better, one line per seed, the
    epoch whose weights were kept marked with a star; the panel's title counts the
    walk-forward refits. RL agents: the total reward of each training episode against
    the timestep it ended at, a moving mean of 20 episodes, one line per seed.
    Returns None when no strategy of the scenario trains.
    """
    run = as_run(run)
    scenario = run.resolve_scenario(scenario)
    log = run.training_of(scenario)
    if log.empty:
        return None
    strategies = [s for s in run.strategies(scenario) if (log["strategy"] == s).any()]
    titles = [_title(log[log["strategy"] == s], s) for s in strategies]
    figure = make_subplots(rows=1, cols=len(strategies), subplot_titles=titles)
    colours = strategy_colours(run)
    for column, strategy in enumerate(strategies, start=1):
        rows = log[log["strategy"] == strategy]
        for seed, own in rows.groupby("seed", sort=True):
            if "epoch" in own and own["epoch"].notna().any():
                _deep_lines(figure, own, strategy, int(seed), colours[strategy], column)
            else:
                _rl_line(figure, own, strategy, int(seed), colours[strategy], column)
    return figure_layout(
        figure, f"Training: {scenario}", height=380, legend_title_text="strategy / seed"
    )


def _title(rows: pd.DataFrame, strategy: str) -> str:
    if "fit" in rows and rows["fit"].notna().any():
        refits = int(rows.groupby("seed")["fit"].max().max())
        return f"{strategy} ({refits} refits)" if refits else strategy
    return f"{strategy} (episode reward)"


def _deep_lines(
    figure: go.Figure, rows: pd.DataFrame, strategy: str, seed: int, colour: str, column: int
) -> None:
    first = rows[rows["fit"] == 0].sort_values("epoch")
    epochs = first["epoch"].to_numpy(dtype=int)
    name = f"{strategy} / {seed}"
    validation = first["validation_loss"].to_numpy(dtype=float)
    figure.add_trace(
        go.Scatter(x=epochs, y=first["train_loss"], mode="lines", name=f"{name} training",
                   line={"color": colour, "dash": "dot", "width": 1}, legendgroup=name,
                   showlegend=False),
        row=1, col=column,
    )  # fmt: skip
    if np.isfinite(validation).any():
        figure.add_trace(
            go.Scatter(x=epochs, y=validation, mode="lines", name=name,
                       line={"color": colour, "width": 1.5}, legendgroup=name),
            row=1, col=column,
        )  # fmt: skip
    chosen = first[first["chosen"].astype(bool)]
    if len(chosen):
        marked = chosen["validation_loss"].where(
            np.isfinite(chosen["validation_loss"]), chosen["train_loss"]
        )
        figure.add_trace(
            go.Scatter(x=chosen["epoch"], y=marked, mode="markers", name=f"{name} kept",
                       marker={"color": colour, "symbol": "star", "size": 11},
                       legendgroup=name, showlegend=False,
                       hovertemplate="epoch %{x} kept<extra></extra>"),
            row=1, col=column,
        )  # fmt: skip
    figure.update_xaxes(title_text="epoch (first fit)", row=1, col=column)
    figure.update_yaxes(title_text="objective (lower is better)", row=1, col=column)


def _rl_line(
    figure: go.Figure, rows: pd.DataFrame, strategy: str, seed: int, colour: str, column: int
) -> None:
    ordered = rows.sort_values("timestep")
    rewards = ordered["episode_reward"].astype(float)
    smoothed = rewards.rolling(_EPISODE_WINDOW, min_periods=1).mean()
    figure.add_trace(
        go.Scatter(x=ordered["timestep"], y=smoothed, mode="lines", name=f"{strategy} / {seed}",
                   line={"color": colour, "width": 1.5}),
        row=1, col=column,
    )  # fmt: skip
    figure.update_xaxes(title_text="timestep", row=1, col=column)
    figure.update_yaxes(title_text="episode reward (sum of log returns)", row=1, col=column)
