"""Deep trainers report each epoch to a listener, and a listener changes nothing.

The runner's progress display (``riskalloc.runner._progress``) listens through
:func:`riskalloc.strategies.reporting_training`; these tests check what the trainers send.
"""

from __future__ import annotations

import numpy as np
import pytest

import riskalloc as ra
from riskalloc.strategies import TrainingStep, TrainingUnit, report_training, reporting_training


def _fit(name, planted_prices, tiny, reporter=None, **params):
    strategy = ra.get_strategy(name, **{**tiny, **params})
    with reporting_training(reporter):
        result = ra.backtest(
            planted_prices, strategy, rebalance="weekly", test_start=planted_prices.index[900]
        )
    return strategy, result


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("deep_sharpe", {"epochs": 12, "patience": 2}),  # block trainer, may stop early
        ("deep_sharpe", {"epochs": 3, "validation_fraction": 0.0}),  # no validation
        ("forecast_mvo", {"epochs": 3}),  # the forecasters' train_loop
    ],
)
def test_every_epoch_is_reported_once_in_order(planted_prices, tiny, name, params):
    steps: list[TrainingStep] = []
    strategy, _ = _fit(name, planted_prices, tiny, steps.append, **params)
    trained = len(strategy.history_.train_loss)
    assert trained >= 1
    assert steps == [
        TrainingStep(TrainingUnit.EPOCH, epoch, params["epochs"]) for epoch in range(1, trained + 1)
    ]


def test_walk_forward_refits_report_runs_that_start_again_from_one(planted_prices, tiny):
    steps: list[TrainingStep] = []
    params = {"epochs": 2, "refit_epochs": 1, "retrain_every": 100, "validation_fraction": 0.0}
    strategy, _ = _fit("deep_sharpe", planted_prices, tiny, steps.append, **params)
    refits = len(strategy.refit_dates_)
    assert refits >= 2
    assert [(step.done, step.total) for step in steps] == [(1, 2), (2, 2)] + [(1, 1)] * refits


def test_results_are_bit_for_bit_the_same_with_a_listener_and_with_a_broken_one(
    planted_prices, tiny
):
    def broken(step: TrainingStep) -> None:
        raise RuntimeError("the display fell over")

    params = {"epochs": 3}
    _, quiet = _fit("deep_sharpe", planted_prices, tiny, **params)
    _, watched = _fit("deep_sharpe", planted_prices, tiny, lambda step: None, **params)
    _, broken_display = _fit("deep_sharpe", planted_prices, tiny, broken, **params)
    for result in (watched, broken_display):
        assert np.array_equal(result.weights.to_numpy(), quiet.weights.to_numpy())
        assert np.array_equal(result.returns.to_numpy(), quiet.returns.to_numpy())


def test_the_listener_belongs_to_the_block_that_set_it():
    outer: list[TrainingStep] = []
    inner: list[TrainingStep] = []
    with reporting_training(outer.append):
        with reporting_training(inner.append):
            report_training(TrainingUnit.EPOCH, 1, 2)
        report_training(TrainingUnit.TIMESTEP, 64, 128)
    report_training(TrainingUnit.EPOCH, 2, 2)  # nobody listens
    assert inner == [TrainingStep(TrainingUnit.EPOCH, 1, 2)]
    assert outer == [TrainingStep(TrainingUnit.TIMESTEP, 64, 128)]
