"""A small, honest training loop for forecasters (end-to-end allocators train on blocks:
:mod:`riskalloc.strategies.deep._blocks`).

One sample is a decision date ``t`` of the training span: its input window
``X[t]`` ``(features, lookback, assets)`` and the simple asset returns of the
``horizon`` days after it, ``t+1 .. t+horizon`` — all inside the training
span. The last ``validation_fraction`` of the samples (the end of the span, in
time order) are held out for early stopping; the ``horizon`` samples before
them are dropped so that no training target overlaps a validation one.
A forecaster's sample is the same window with a target per asset computed
from those ``horizon`` days (:func:`train_forecaster`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.core import DataError
from riskalloc.data import MarketData
from riskalloc.strategies._training_progress import TrainingUnit, report_training
from riskalloc.strategies.deep._losses import Loss, LossInputs

__all__ = [
    "EarlyStopping",
    "Optimizer",
    "TrainingHistory",
    "build_optimizer",
    "decision_returns",
    "train_forecaster",
    "train_loop",
]


class Optimizer(enum.StrEnum):
    ADAM = "adam"
    RMSPROP = "rmsprop"
    SGD = "sgd"


def build_optimizer(
    kind: Optimizer, parameters: Iterator[nn.Parameter], learning_rate: float, weight_decay: float
) -> torch.optim.Optimizer:
    """The optimiser ``kind`` over ``parameters``."""
    if kind is Optimizer.ADAM:
        return torch.optim.Adam(parameters, lr=learning_rate, weight_decay=weight_decay)
    if kind is Optimizer.RMSPROP:
        return torch.optim.RMSprop(parameters, lr=learning_rate, weight_decay=weight_decay)
    return torch.optim.SGD(parameters, lr=learning_rate, weight_decay=weight_decay)


@dataclass
class TrainingHistory:
    """Mean training loss and validation loss of each epoch; the epoch whose weights were kept."""

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    #: Indices (into the samples given) of those trained on and those held out.
    train_samples: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    validation_samples: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))


def split_samples(
    n_samples: int, validation_fraction: float, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices: validation is the last block, after an embargo of ``horizon``."""
    n_validation = round(n_samples * validation_fraction)
    if n_validation == 0:
        return np.arange(n_samples), np.empty(0, dtype=int)
    train_stop = max(n_samples - n_validation - horizon, 0)
    return np.arange(train_stop), np.arange(n_samples - n_validation, n_samples)


def train_forecaster(
    model: nn.Module,
    loss: Loss,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    validation_fraction: float,
    patience: int,
    horizon: int,
    validation_score: Callable[[np.ndarray], float] | None = None,
) -> TrainingHistory:
    """Fit ``model`` (inputs ``(S, F, L, N)`` -> predictions ``(S, N)``) to ``targets`` ``(S, N)``.

    ``loss`` reads ``LossInputs(predictions=..., targets=...)`` (e.g.
    :func:`~riskalloc.strategies.deep.mse`); predictions are cast to the
    targets' dtype first. ``horizon`` is the number of days a target covers,
    the embargo before the validation block. Minibatches, early stopping and
    the validation split are those of :func:`train_loop`; ``validation_score(index)``, when
    given, scores an epoch on the validation samples instead of the loss (lower is better).
    """

    def batch_loss(index: torch.Tensor) -> torch.Tensor:
        predictions = model(inputs[index]).to(targets.dtype)
        return loss(LossInputs(predictions=predictions, targets=targets[index]))

    return train_loop(
        model,
        batch_loss,
        len(inputs),
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        generator=generator,
        validation_fraction=validation_fraction,
        patience=patience,
        horizon=horizon,
        caller="train_forecaster",
        validation_score=validation_score,
    )


class EarlyStopping:
    """Keep the parameters of the epoch with the lowest validation loss; stop after
    ``patience`` epochs without a lower one. Shared by every trainer."""

    def __init__(self, model: nn.Module, history: TrainingHistory, patience: int) -> None:
        self.model, self.history, self.patience = model, history, patience
        self.best_loss, self.best_state, self.stale = float("inf"), None, 0

    def stop_after(self, epoch: int, validation: float) -> bool:
        """Record ``epoch``'s validation loss; True when training should stop."""
        self.history.validation_loss.append(validation)
        if validation < self.best_loss:
            self.best_loss, self.stale, self.history.best_epoch = validation, 0, epoch
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return False
        self.stale += 1
        return self.stale >= self.patience

    def finish(self) -> TrainingHistory:
        """Back to the best epoch's parameters (if any was validated), in evaluation mode."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.model.eval()
        return self.history


def train_loop(
    model: nn.Module,
    batch_loss: Callable[[torch.Tensor], torch.Tensor],
    n_samples: int,
    *,
    epochs: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    validation_fraction: float,
    patience: int,
    horizon: int,
    caller: str,
    validation_score: Callable[[np.ndarray], float] | None = None,
) -> TrainingHistory:
    """The loop both trainers share; ``batch_loss(index)`` is the loss of those samples.

    Each epoch is scored on the validation samples by ``validation_score(index)`` when
    given (e.g. a backtest of the validation span), else by ``batch_loss``; early stopping
    keeps the epoch with the lowest score."""
    train_index, validation_index = split_samples(n_samples, validation_fraction, horizon)
    if len(train_index) == 0:
        raise ValueError(f"{caller}: no training samples left after the validation split")
    history = TrainingHistory(train_samples=train_index, validation_samples=validation_index)
    stopping = EarlyStopping(model, history, patience)
    for epoch in range(epochs):
        model.train()
        order = torch.as_tensor(train_index)[torch.randperm(len(train_index), generator=generator)]
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            value = batch_loss(batch)
            value.backward()
            optimizer.step()
            total += float(value.detach()) * len(batch)
        history.train_loss.append(total / len(order))
        report_training(TrainingUnit.EPOCH, epoch + 1, epochs)  # to a listener, if any
        if len(validation_index) == 0:
            history.best_epoch = epoch
            continue
        model.eval()
        with torch.no_grad():
            if validation_score is not None:
                validation = float(validation_score(validation_index))
            else:
                validation = float(batch_loss(torch.as_tensor(validation_index)))
        if stopping.stop_after(epoch, validation):
            break
    return stopping.finish()


def decision_returns(
    train: MarketData, dates: pd.DatetimeIndex, horizon: int, strategy: str
) -> np.ndarray:
    """Simple returns ``(dates, horizon, assets)`` of the ``horizon`` days after each date."""
    positions = train.dates.get_indexer(dates)
    held = positions[:, None] + np.arange(1, horizon + 1)[None, :]
    returns = train.returns.to_numpy()[held]
    if not np.isfinite(returns).all():
        bad = dates[np.flatnonzero(~np.isfinite(returns).all(axis=(1, 2)))[0]]
        raise DataError(
            f"{strategy}: a return is missing in the {horizon} days after {bad.date()} of "
            f"{train.name}; fill the prices or train on a span where every asset trades"
        )
    return returns
