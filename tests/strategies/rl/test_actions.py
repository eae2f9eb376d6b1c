"""Actions to weights: the scaled softmax reaches concentrated portfolios; the DQN table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskalloc.core import ConfigError
from riskalloc.strategies.rl import CandidateActions, SoftmaxActions


@pytest.mark.parametrize("n_assets", [2, 4, 30])
def test_one_asset_can_take_most_of_the_portfolio_and_the_rest_almost_nothing(n_assets):
    action = -np.ones(n_assets, dtype=np.float32)
    action[1] = 1.0
    weights = SoftmaxActions(n_assets).weights(action)
    assert weights[1] >= 0.6
    assert weights.min() < 1e-4
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_the_scale_sets_the_concentration_and_out_of_box_actions_are_clipped():
    action = np.array([1.0, -1.0, -1.0])
    mild, sharp = SoftmaxActions(3, scale=0.5).weights(action), SoftmaxActions(3).weights(action)
    assert mild[0] < 0.6 < sharp[0]
    np.testing.assert_array_equal(SoftmaxActions(3).weights(action * 7), sharp)
    np.testing.assert_allclose(SoftmaxActions(3).weights(np.zeros(3)), 1 / 3)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float32, (5, 7), elements=st.floats(-3, 3, width=32)),
    st.booleans(),
)
def test_weights_are_long_only_and_sum_to_one_or_less_with_cash(actions, cash):
    mapping = SoftmaxActions(7 - int(cash), cash=cash)
    batch = mapping.weights(actions[:, : mapping.n_actions])
    assert batch.shape == (5, mapping.n_assets)
    assert (batch > 0).all()
    total = batch.sum(axis=1)
    if cash:
        assert (total < 1).all()
    else:
        np.testing.assert_allclose(total, 1.0, atol=1e-12)
    # The batch maps row by row like single actions.
    np.testing.assert_array_equal(batch[2], mapping.weights(actions[2, : mapping.n_actions]))


def test_all_cash_is_reachable_in_the_limit():
    action = np.array([-1.0, -1.0, 1.0])
    weights = SoftmaxActions(2, scale=10.0, cash=True).weights(action)
    assert weights.sum() < 1e-8


def test_candidate_actions_pick_rows_and_note_cash():
    table = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 0.0]])
    mapping = CandidateActions(table, ["equal", "first", "cash"])
    assert mapping.space.n == 3 and mapping.cash
    np.testing.assert_array_equal(mapping.weights(np.int64(1)), [1.0, 0.0])
    np.testing.assert_array_equal(mapping.weights(np.array([2, 0])), [[0, 0], [0.5, 0.5]])
    assert not CandidateActions(table[:2], ["equal", "first"]).cash


def test_an_action_of_the_wrong_length_is_refused_not_read_past_its_end():
    # The mapping is a compiled loop with no bounds checks, so the length is checked first.
    with pytest.raises(ConfigError, match=r"4 components \(assets \+ cash\), got shape \(3,\)"):
        SoftmaxActions(3, cash=True).weights(np.zeros(3))
    with pytest.raises(ConfigError, match=r"got shape \(2, 5\)"):
        SoftmaxActions(3).weights(np.zeros((2, 5)))


def test_integer_and_float32_actions_map_like_float64():
    mapping = SoftmaxActions(3)
    expected = mapping.weights(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(mapping.weights(np.array([1, 0, -1])), expected)
    np.testing.assert_array_equal(mapping.weights(np.array([1, 0, -1], np.float32)), expected)
