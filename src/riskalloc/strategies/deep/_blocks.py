"""Block objectives: train a deep allocator on the return series it is judged by.

A training sample is a **block** of ``block_length`` consecutive decision dates of the
training span. The network decides weights at every date of the block; the block is
then simulated as the backtest simulates a test span: it starts in cash at the block's
first date, trades to the decision on each rebalance date of the run's schedule
(:meth:`riskalloc.core.Rebalance.decision_mask`), drifts with prices between them, pays
the run's costs on turnover measured from the drifted weights, and credits cash at the
run's rate (:func:`riskalloc.core.torch_rebalance_step`). The loss is the strategy's
objective on the block's pooled daily net returns: minus the Sharpe ratio, minus the
Sortino ratio, ``-mean + lambda CVaR``, minus the log of final wealth, each as the
evaluator defines it. For fixed weights the loss of a block is therefore exactly minus
the metric ``ra.backtest`` + ``ra.performance`` report for that span (a test checks it
to 1e-9).

Each epoch tiles the training dates with blocks from a random offset, in a random
order, so block boundaries move from epoch to epoch and each date is used at most once
an epoch. Validation is a walk-forward backtest of the **end** of the training span: one
block from cash over the validation dates, scored by the same objective. No training
block holds a day of the validation span (the embargo is the one day a decision's
return needs), and nothing after the training span is read. Early stopping keeps the
epoch with the best validation objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import Rebalance
from riskalloc.strategies._training_progress import TrainingUnit, report_training
from riskalloc.strategies.deep._losses import Loss, LossInputs
from riskalloc.strategies.deep._training import EarlyStopping, TrainingHistory

__all__ = [
    "BlockData",
    "BlockForward",
    "BlockWeightsHook",
    "block_decision_mask",
    "block_split",
    "train_on_blocks",
]

#: ``(weights, date positions) -> weights``: layers applied to the network's weights
#: (flattened over the blocks' dates) before the simulation, e.g. the training limits.
BlockWeightsHook = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: ``date positions -> (weights, further LossInputs fields)``: a model's own forward pass.
BlockForward = Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, Any]]]


def block_decision_mask(schedule: Rebalance, dates: pd.DatetimeIndex) -> np.ndarray:
    """Rebalance dates of a block whose decisions are ``dates[:-1]`` (the last date only
    carries the return of the last decision): the backtest's mask for that span."""
    return schedule.decision_mask(pd.DatetimeIndex(dates))[:-1]


@dataclass(frozen=True)
class BlockData:
    """What the block trainer reads, computed once per fit.

    Attributes
    ----------
    inputs : (T, ...) network inputs of each decision date (windows or feature rows)
    next_returns : (T, assets) float64 simple returns of the day after each decision date
    dates : (T + 1,) the decision dates and the day after the last
    """

    inputs: torch.Tensor
    next_returns: torch.Tensor
    dates: pd.DatetimeIndex

    def __post_init__(self) -> None:
        if len(self.dates) != len(self.next_returns) + 1 or len(self.inputs) != len(
            self.next_returns
        ):
            raise ValueError("BlockData: inputs, next_returns and dates (+1) must align")


def block_split(n_dates: int, validation_fraction: float, embargo: int = 1) -> tuple[int, int]:
    """Training and validation decision dates of :func:`train_on_blocks`: the first
    ``n_train`` and the last ``n_validation`` (at least 2, for a Sharpe ratio), with
    ``embargo`` dates between them when there is a validation span.

    The embargo is the longest horizon a training date's loss reads: 1 for the next
    day's return the block objective earns, ``horizon`` when a forecast target covers
    ``horizon`` days; so no training day's loss reads a validation day.
    """
    n_validation = round(n_dates * validation_fraction) if validation_fraction > 0 else 0
    if n_validation == 1:
        n_validation = 2
    return n_dates - n_validation - (max(1, embargo) if n_validation else 0), n_validation


def train_on_blocks(
    model: nn.Module,
    loss: Loss,
    data: BlockData,
    *,
    schedule: Rebalance,
    block_length: int,
    dates_per_batch: int,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    validation_fraction: float,
    patience: int,
    cost_rate: float,
    cash_return: float,
    weights_hook: BlockWeightsHook | None = None,
    forward: BlockForward | None = None,
    validation_loss: Loss | None = None,
    embargo: int = 1,
) -> TrainingHistory:
    """Fit ``model`` (inputs -> weights ``(n, assets)``) on the block objective ``loss``.

    ``forward(positions)``, when given, replaces ``model(data.inputs[positions])``: it
    returns the weights ``(n, assets)`` of those decision dates and further
    :class:`LossInputs` fields (e.g. forecasts and their targets) for the loss.

    Minibatches hold ``max(1, dates_per_batch // block_length)`` blocks. The validation
    span is the last ``validation_fraction`` of the decision dates; training blocks end
    ``embargo`` dates before it (:func:`block_split`), and it is scored as one block by ``validation_loss`` (by default ``loss``;
    a strategy whose loss adds auxiliary terms scores its own objective). Returns the
    history; the model keeps the parameters of the best validation epoch (of the last
    epoch without validation).
    """
    n_dates = len(data.next_returns)
    n_train, n_validation = block_split(n_dates, validation_fraction, embargo)
    length = min(block_length, n_train)
    if length < 2:
        raise ValueError(
            f"train_on_blocks: {n_train} training decision dates leave no block of 2 dates"
        )
    blocks_per_batch = max(1, dates_per_batch // length)
    masks: dict[int, torch.Tensor] = {}

    def mask_of(start: int, stop: int) -> torch.Tensor:
        if (start, stop) not in masks:
            masks[start, stop] = torch.as_tensor(
                block_decision_mask(schedule, data.dates[start : stop + 1]),
                device=data.next_returns.device,
            )
        return masks[start, stop]

    def block_loss(starts: list[int], stop_length: int, objective: Loss = loss) -> torch.Tensor:
        positions = torch.as_tensor(
            np.concatenate([np.arange(s, s + stop_length) for s in starts]),
            device=data.inputs.device,
        )
        if forward is None:
            weights, extra = model(data.inputs[positions]), {}
        else:
            weights, extra = forward(positions)
        weights = weights.to(data.next_returns.dtype)
        if weights_hook is not None:
            weights = weights_hook(weights, positions)
        weights = weights.view(len(starts), stop_length, -1)
        returns = data.next_returns[positions].view(len(starts), stop_length, -1)
        mask = torch.stack([mask_of(s, s + stop_length) for s in starts])
        return objective(
            LossInputs(
                weights=weights,
                asset_returns=returns,
                cost_rate=cost_rate,
                cash_return=cash_return,
                decision_mask=mask,
                **extra,
            )
        )

    history = TrainingHistory(
        train_samples=np.arange(n_train),
        validation_samples=np.arange(n_dates - n_validation, n_dates),
    )
    stopping = EarlyStopping(model, history, patience)
    for epoch in range(epochs):
        model.train()
        # Tile from a random offset: block boundaries move from epoch to epoch.
        offset = int(torch.randint(length, (1,), generator=generator))
        starts = list(range(offset, n_train - length + 1, length)) or [0]
        order = torch.randperm(len(starts), generator=generator).tolist()
        total = 0.0
        for first in range(0, len(order), blocks_per_batch):
            batch = [starts[k] for k in order[first : first + blocks_per_batch]]
            optimizer.zero_grad()
            value = block_loss(batch, length)
            value.backward()
            optimizer.step()
            total += float(value.detach()) * len(batch)
        history.train_loss.append(total / len(starts))
        report_training(TrainingUnit.EPOCH, epoch + 1, epochs)  # to a listener, if any
        if n_validation == 0:
            history.best_epoch = epoch
            continue
        model.eval()
        with torch.no_grad():
            validation = float(
                block_loss([n_dates - n_validation], n_validation, validation_loss or loss)
            )
        if stopping.stop_after(epoch, validation):
            break
    return stopping.finish()
