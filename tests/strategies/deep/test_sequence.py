"""The sequence path: a TCN or a transformer trains on each block's feature rows in one pass, with the
weights, losses and gradients of the windowed path (float32 tolerance); ``predict``
(windowed) gives the weights the sequence path gives."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import riskalloc as ra
from riskalloc.strategies.deep import DeepSharpe
from riskalloc.strategies.deep._blocks import BlockData, block_decision_mask
from riskalloc.strategies.deep._losses import LossInputs
from riskalloc.strategies.deep._sequence import RowBlockData, feature_rows, sequence_forward

SCENARIO = ra.scenario("covid-2017")
DATA = ra.MarketData(SCENARIO.prices, name="covid-2017")
TRAIN = DATA.until(SCENARIO.train_end).between("2014-01-01", None)
LOOKBACK = 20


@pytest.fixture(scope="module", params=["tcn", "transformer"])
def strategy(tiny, request) -> DeepSharpe:
    params = {**tiny, "network": request.param, "lookback": LOOKBACK, "n_layers": 2}
    return ra.get_strategy("deep_sharpe", **params, epochs=1, seed=0).fit(TRAIN)


def _block_data(strategy, sequence: bool) -> BlockData:
    strategy = copy.copy(strategy)
    strategy.sequence_training = sequence
    return strategy.block_data(TRAIN)


def test_a_tcn_or_transformer_trains_on_feature_rows_not_windows(strategy):
    rows, windows = _block_data(strategy, True), _block_data(strategy, False)
    assert isinstance(rows, RowBlockData) and not isinstance(windows, RowBlockData)
    n_dates, n_features, _, n_assets = windows.inputs.shape
    assert rows.rows.shape == (LOOKBACK - 1 + n_dates, n_features, n_assets)
    # The rows are those of the windows, bit for bit: the first window, then each last day.
    assert torch.equal(rows.rows[:LOOKBACK], windows.inputs[0].permute(1, 0, 2))
    assert torch.equal(rows.inputs, windows.inputs[:, :, -1])
    assert rows.inputs.data_ptr() == rows.rows[LOOKBACK - 1 :].data_ptr()  # a view, not a copy
    assert strategy.trains_on_sequences()
    for network in ("mlp", "lstm"):
        assert not ra.get_strategy("deep_sharpe", network=network).trains_on_sequences()


def _block_loss(strategy, data, forward, starts, length):
    positions = torch.as_tensor(np.concatenate([np.arange(s, s + length) for s in starts]))
    weights, _ = forward(positions)
    returns = data.next_returns[positions].view(len(starts), length, -1)
    schedule = strategy.context_.rebalance
    mask = [block_decision_mask(schedule, data.dates[s : s + length + 1]) for s in starts]
    return strategy.training_loss()(
        LossInputs(
            weights=weights.view(len(starts), length, -1),
            asset_returns=returns,
            cost_rate=strategy.training_cost_rate(strategy.costs_bps),
            cash_return=strategy.context_.cash_return,
            decision_mask=torch.as_tensor(np.stack(mask)),
        )
    )


@pytest.mark.parametrize(
    ("starts", "length"),
    [
        ([100], 63),  # one block
        ([300, 30], 63),  # two blocks, in a random order
        ([40, 103], 63),  # two adjacent blocks: one run of dates
        ([0, 200, 263, 500], 21),  # shorter blocks, some adjacent
    ],
)
def test_one_training_step_has_the_windowed_loss_and_gradients(strategy, starts, length):
    windows, rows = _block_data(strategy, False), _block_data(strategy, True)
    model = strategy.model_.train()

    def windowed(positions):
        return model(windows.inputs[positions]), {}

    results = []
    for data, forward in (
        (windows, windowed),
        (rows, sequence_forward(model, rows.rows, LOOKBACK)),
    ):
        model.zero_grad()
        loss = _block_loss(strategy, data, forward, starts, length)
        loss.backward()
        gradients = torch.cat([p.grad.flatten() for p in model.parameters()])
        results.append((float(loss.detach()), gradients))
    (windowed_loss, windowed_gradients), (sequence_loss, sequence_gradients) = results
    assert sequence_loss == pytest.approx(windowed_loss, abs=1e-5)
    scale = float(windowed_gradients.abs().max())
    assert float((sequence_gradients - windowed_gradients).abs().max()) <= 1e-4 * scale
    model.zero_grad()
    model.eval()


def test_predict_gives_the_weights_of_the_sequence_path(strategy):
    dates = DATA.dates[DATA.dates > SCENARIO.train_end][:80]
    rows = torch.from_numpy(feature_rows(strategy.features_, DATA, dates))
    with torch.no_grad():
        weights, _ = sequence_forward(strategy.model_, rows, LOOKBACK)(torch.arange(len(dates)))
    expected = strategy.predict(DATA, dates).to_numpy()
    np.testing.assert_allclose(weights.numpy(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("network", ["tcn", "transformer"])
def test_a_fit_through_either_path_gives_the_same_weights(tiny, network):
    # In float64: float32 rounding (1e-7) grows over Adam's steps into visibly different
    # models (1e-2 after 3 epochs at the default width), as a change of thread count
    # would; in float64 the two fits agree to 1e-13.
    params = {**tiny, "network": network, "lookback": LOOKBACK, "epochs": 2, "seed": 3}
    params["dtype"] = "float64"
    dates = DATA.dates[DATA.dates > SCENARIO.train_end][:40]
    weights = []
    for sequence in (True, False):
        strategy = ra.get_strategy("deep_sharpe", **params)
        strategy.sequence_training = sequence
        weights.append(strategy.fit(TRAIN).predict(DATA, dates).to_numpy())
    np.testing.assert_allclose(weights[0], weights[1], rtol=0, atol=1e-10)


def test_feature_rows_need_consecutive_dates(strategy):
    dates = DATA.dates[DATA.dates > SCENARIO.train_end][:10]
    with pytest.raises(ValueError, match="consecutive trading dates"):
        feature_rows(strategy.features_, DATA, dates[::2])
