"""Training progress that can be watched: trainers report their steps to whoever listens.

A trainer (the deep strategies' epoch loops, the RL agents' timesteps) calls
:func:`report_training` after each step. Nothing listens unless a caller wraps the work
in :func:`reporting_training` — the runner does, to show ``epoch 3/20`` beside each
running cell. The reporter is held in a :class:`contextvars.ContextVar`, so it belongs to
the one thread (or task) that set it, and it only receives: no trainer reads anything
back, so results are bit for bit the same with or without a listener. A reporter that
raises is ignored — a broken display never stops a fit.

Examples
--------
>>> steps = []
>>> with reporting_training(steps.append):
...     report_training(TrainingUnit.EPOCH, 1, 20)
>>> steps
[TrainingStep(unit=<TrainingUnit.EPOCH: 'epoch'>, done=1, total=20)]
>>> report_training(TrainingUnit.EPOCH, 2, 20)  # nobody listens: nothing happens
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "TrainingReporter",
    "TrainingStep",
    "TrainingUnit",
    "is_training_reported",
    "report_training",
    "reporting_training",
]


class TrainingUnit(enum.StrEnum):
    """What a trainer counts."""

    EPOCH = "epoch"
    TIMESTEP = "timestep"


@dataclass(frozen=True)
class TrainingStep:
    """``done`` of ``total`` units of one training run finished (``done`` counts from 1).

    A training run that stops early (early stopping) never reaches ``total``; the next
    run (a walk-forward refit) starts again from 1.
    """

    unit: TrainingUnit
    done: int
    total: int


TrainingReporter = Callable[[TrainingStep], None]

_REPORTER: ContextVar[TrainingReporter | None] = ContextVar("training_reporter", default=None)


@contextlib.contextmanager
def reporting_training(reporter: TrainingReporter | None) -> Iterator[None]:
    """Send the training steps of the work inside the block to ``reporter`` (None: nowhere)."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)


def is_training_reported() -> bool:
    """Whether someone listens (a trainer may skip building a costly report when not)."""
    return _REPORTER.get() is not None


def report_training(unit: TrainingUnit, done: int, total: int) -> None:
    """Tell the listener, if any, that ``done`` of ``total`` units are finished."""
    reporter = _REPORTER.get()
    if reporter is None:
        return
    try:
        reporter(TrainingStep(TrainingUnit(unit), int(done), int(total)))
    except Exception:  # a display must never change or stop a fit
        return
