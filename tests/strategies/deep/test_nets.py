"""Networks: shapes for any number of assets, permutation equivariance, determinism,
linear attention without an (assets x assets) matrix, and the TCN's receptive field of
exactly lookback: one pass over a span of dates and a stream of days give each date's
window scores (float32 tolerance)."""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.features import FeatureBuilder
from riskalloc.strategies.deep import (
    LSTMNet,
    MLPNet,
    TCNNet,
    TransformerNet,
    build_network,
)
from riskalloc.strategies.deep._nets_attention import feature_map, linear_attention
from riskalloc.strategies.deep._nets_tcn import TCNStream
from riskalloc.strategies.deep._sequence import feature_rows

N_FEATURES, LOOKBACK, HIDDEN = 3, 12, 16
SMALL = {"hidden_size": HIDDEN}
# (name, hyper-parameters): every network, and the transformer with both attentions.
NETWORKS = [
    ("mlp", SMALL),
    ("lstm", SMALL),
    ("tcn", SMALL),
    ("transformer", SMALL),
    ("transformer", {**SMALL, "attention": "linear"}),
]
IDS = ["mlp", "lstm", "tcn", "transformer-full", "transformer-linear"]


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _network(name, hyper, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    return build_network(name, N_FEATURES, LOOKBACK, **hyper).to(dtype).eval()


def _inputs(batch, n_assets, dtype=torch.float32, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, N_FEATURES, LOOKBACK, n_assets, generator=generator, dtype=dtype)


@pytest.mark.parametrize(("name", "hyper"), NETWORKS, ids=IDS)
def test_one_instance_serves_any_number_of_assets(name, hyper):
    net = _network(name, hyper)
    for n_assets in (5, 30, 1):
        scores = net(_inputs(4, n_assets))
        assert scores.shape == (4, n_assets)
        assert torch.isfinite(scores).all()


@pytest.mark.parametrize(("name", "hyper"), NETWORKS, ids=IDS)
def test_two_output_heads(name, hyper):
    net = _network(name, {**hyper, "outputs": 2})
    assert net(_inputs(3, 7)).shape == (3, 7, 2)


@pytest.mark.parametrize(("name", "hyper"), NETWORKS, ids=IDS)
def test_permuting_assets_permutes_scores(name, hyper):
    net = _network(name, hyper, dtype=torch.float64)
    x = _inputs(3, 9, dtype=torch.float64)
    permutation = torch.randperm(9, generator=torch.Generator().manual_seed(2))
    scores = net(x)
    permuted = net(x[..., permutation])
    torch.testing.assert_close(permuted, scores[:, permutation], rtol=0, atol=1e-12)
    # Not trivially equivariant: the scores differ between assets.
    assert scores.std(dim=1).min() > 1e-6


@pytest.mark.parametrize(("name", "hyper"), NETWORKS, ids=IDS)
def test_same_seed_same_network_and_scores(name, hyper):
    x = _inputs(2, 6)
    first, second = _network(name, hyper, seed=5), _network(name, hyper, seed=5)
    assert torch.equal(first(x), second(x))
    assert torch.equal(first(x), first(x))
    assert not torch.equal(_network(name, hyper, seed=6)(x), first(x))


def test_network_classes_and_defaults():
    assert isinstance(build_network("MLP", 2, 5), MLPNet)
    assert isinstance(build_network("tcn", 2, 5), TCNNet)
    assert isinstance(build_network("transformer", 2, 5), TransformerNet)
    lstm = build_network("lstm", 2, 5)
    assert isinstance(lstm, LSTMNet)
    assert (lstm.lstm.num_layers, lstm.lstm.hidden_size) == (2, 64)
    assert build_network("mlp", 2, 5, hidden_size=8, n_layers=3, dropout=0.1).body[-1].p == 0.1


def test_factory_and_inputs_fail_loudly():
    with pytest.raises(ConfigError, match="unknown network 'gru'; choose one of mlp, lstm"):
        build_network("gru", 2, 5)
    with pytest.raises(ConfigError, match=r"unknown hyper-parameter\(s\) \['n_heads'\]"):
        build_network("lstm", 2, 5, n_heads=2)
    with pytest.raises(ConfigError, match="not divisible by n_heads=3"):
        build_network("transformer", 2, 5, hidden_size=16, n_heads=3)
    with pytest.raises(ConfigError, match="'attention' must be one of 'full', 'linear'"):
        build_network("transformer", 2, 5, attention="quadratic")
    net = build_network("mlp", N_FEATURES, LOOKBACK)
    with pytest.raises(
        ValueError, match=r"expected input \(batch, features=3, lookback=12, assets\)"
    ):
        net(torch.randn(2, N_FEATURES, LOOKBACK + 1, 4))
    with pytest.raises(ValueError, match="got shape"):
        net(torch.randn(N_FEATURES, LOOKBACK, 4))


# -- TCN: a receptive field of exactly lookback, so one pass over a span is exact -------


@pytest.mark.parametrize("kernel_size", [2, 3, 4])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
@pytest.mark.parametrize("lookback", [1, 2, 5, 12, 20, 50, 63])
def test_tcn_score_sees_exactly_the_whole_window(lookback, n_layers, kernel_size):
    torch.manual_seed(0)
    net = TCNNet(N_FEATURES, lookback, hidden_size=8, n_layers=n_layers, kernel_size=kernel_size)
    net = net.double()
    assert net.receptive_field == lookback
    x = torch.randn(1, N_FEATURES, lookback, 3, dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(net(x).sum(), x)
    assert (gradient.abs().sum(dim=(0, 1, 3)) > 0).all()  # every day of the window, no gap


def _windows(rows: torch.Tensor, lookback: int) -> torch.Tensor:
    """``(batch, F, L - 1 + B, N)`` rows -> the ``batch * B`` windows ``(F, L, N)`` they hold."""
    _, n_features, _, n_assets = rows.shape
    windows = rows.unfold(2, lookback, 1).permute(0, 2, 1, 4, 3)  # (batch, B, F, L, N)
    return windows.reshape(-1, n_features, lookback, n_assets)


def _assert_scale_close(actual, expected, atol=1e-5):
    """float32 tolerance relative to the scores' scale."""
    actual, expected = actual.detach(), expected.detach()
    scale = max(float(expected.abs().max()), 1.0)
    assert float((actual - expected).abs().max()) <= atol * scale


@pytest.mark.parametrize("kernel_size", [2, 3])
@pytest.mark.parametrize("lookback", [5, 20, 50, 63])
def test_tcn_sequence_scores_equal_window_scores_on_random_rows(lookback, kernel_size):
    torch.manual_seed(0)
    net = TCNNet(N_FEATURES, lookback, hidden_size=HIDDEN, kernel_size=kernel_size).eval()
    generator = torch.Generator().manual_seed(1)
    rows = torch.randn(2, N_FEATURES, lookback - 1 + 40, 7, generator=generator)
    sequence = net.forward_sequence(rows)
    assert sequence.shape == (2, 40, 7)
    _assert_scale_close(sequence, net(_windows(rows, lookback)).view(2, 40, 7))


@pytest.mark.parametrize("kernel_size", [2, 3])
@pytest.mark.parametrize("lookback", [5, 20, 50, 63])
def test_tcn_sequence_scores_equal_window_scores_on_real_features(lookback, kernel_size):
    scenario = ra.scenario("bull-2010")
    data = ra.MarketData(scenario.prices, name="bull-2010")
    builder = FeatureBuilder(lookback=lookback).fit(data.until(scenario.train_end))
    dates = data.dates[data.dates > scenario.train_end][:60]
    windows = torch.from_numpy(builder.transform(data, dates))
    rows = torch.from_numpy(feature_rows(builder, data, dates))  # (L - 1 + 60, F, N)
    torch.manual_seed(0)
    net = TCNNet(builder.n_features, lookback, kernel_size=kernel_size).eval()  # default width
    sequence = net.forward_sequence(rows.permute(1, 0, 2)[None])[0]
    _assert_scale_close(sequence, net(windows))


def test_tcn_sequence_is_causal_with_a_receptive_field_of_lookback():
    torch.manual_seed(0)
    net = TCNNet(N_FEATURES, LOOKBACK, hidden_size=HIDDEN, n_layers=2, kernel_size=3).double()
    rows = torch.randn(1, N_FEATURES, LOOKBACK - 1 + 30, 4, dtype=torch.float64)
    before = net.forward_sequence(rows)
    day = LOOKBACK - 1 + 10  # the row of the span's date 10
    poisoned = rows.clone()
    poisoned[:, :, day] += 10.0
    after = net.forward_sequence(poisoned)
    moved = (after - before).abs().amax(dim=(0, 2)) > 0
    # Dates 10 .. 10 + lookback - 1 have the row in their window; no other date moves.
    assert moved.tolist() == [10 <= date < 10 + LOOKBACK for date in range(30)]


@pytest.mark.parametrize("attention", ["full", "linear"])
@pytest.mark.parametrize(("lookback", "n_layers"), [(5, 1), (20, 2), (50, 2), (63, 3)])
def test_transformer_sequence_scores_equal_window_scores(lookback, n_layers, attention):
    torch.manual_seed(0)
    net = TransformerNet(
        N_FEATURES, lookback, hidden_size=HIDDEN, n_layers=n_layers, attention=attention
    ).eval()
    with torch.no_grad():  # a trained-looking lag bias, not the zeros it starts from
        for layer in net.temporal.layers:
            layer.lag_bias.normal_()
    assert sum(band - 1 for band in net.temporal.bands) + 1 == lookback == net.receptive_field
    generator = torch.Generator().manual_seed(1)
    rows = torch.randn(2, N_FEATURES, lookback - 1 + 40, 7, generator=generator)
    sequence = net.forward_sequence(rows)
    assert sequence.shape == (2, 40, 7)
    _assert_scale_close(sequence, net(_windows(rows, lookback)).view(2, 40, 7))


def test_transformer_sequence_is_causal_with_a_receptive_field_of_lookback():
    torch.manual_seed(0)
    net = TransformerNet(N_FEATURES, LOOKBACK, hidden_size=HIDDEN, n_layers=2).double()
    rows = torch.randn(1, N_FEATURES, LOOKBACK - 1 + 30, 4, dtype=torch.float64)
    before = net.forward_sequence(rows)
    day = LOOKBACK - 1 + 10  # the row of the span's date 10
    poisoned = rows.clone()
    poisoned[:, :, day] += 10.0
    after = net.forward_sequence(poisoned)
    moved = (after - before).abs().amax(dim=(0, 2)) > 0
    # Dates 10 .. 10 + lookback - 1 have the row in their window; no other date moves.
    assert moved.tolist() == [10 <= date < 10 + LOOKBACK for date in range(30)]


@pytest.mark.parametrize(("kernel_size", "n_layers"), [(2, 1), (3, 2)])
def test_tcn_stream_steps_give_the_window_scores(kernel_size, n_layers):
    torch.manual_seed(0)
    net = TCNNet(
        N_FEATURES, LOOKBACK, hidden_size=HIDDEN, n_layers=n_layers, kernel_size=kernel_size
    ).eval()
    rows = torch.randn(1, N_FEATURES, LOOKBACK + 3 * LOOKBACK, 5)
    expected = net(_windows(rows, LOOKBACK))  # one window per date
    stream = TCNStream(net, rows[:, :, :LOOKBACK])
    _assert_scale_close(net(rows[:, :, :LOOKBACK]), expected[:1])
    for date in range(1, len(expected)):
        scores = stream.step(rows[0, :, LOOKBACK - 1 + date])
        _assert_scale_close(scores, expected[date : date + 1])


# -- Linear attention: the explicit formula, and no (assets x assets) tensor ----------


def test_linear_attention_equals_explicit_formula():
    generator = torch.Generator().manual_seed(3)
    query, key = torch.randn(2, 4, 11, 5, generator=generator, dtype=torch.float64).unbind(0)
    value = torch.randn(4, 11, 7, generator=generator, dtype=torch.float64)
    # Quadratic form: row-normalised similarities phi(q_i)' phi(k_j) times values.
    similarity = feature_map(query) @ feature_map(key).transpose(-2, -1)
    explicit = similarity / (similarity.sum(dim=-1, keepdim=True) + 1e-6) @ value
    torch.testing.assert_close(linear_attention(query, key, value), explicit, rtol=0, atol=1e-12)


class _ShapeRecorder(TorchDispatchMode):
    """Records the shape of every tensor each low-level operation returns."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in out if isinstance(out, tuple | list) else (out,):
            if isinstance(tensor, torch.Tensor):
                self.shapes.append(tuple(tensor.shape))
        return out


def _square_in_assets(attention, n_assets=97):
    # 97 assets: a prime that no other dimension (batch 2, hidden 16, heads 4, lookback 12) hits.
    net = _network("transformer", {**SMALL, "attention": attention})
    x = _inputs(2, n_assets)
    recorder = _ShapeRecorder()
    with recorder:
        net(x).sum().backward()
    return [shape for shape in recorder.shapes if shape.count(n_assets) >= 2]


def test_linear_attention_builds_no_assets_by_assets_tensor():
    assert _square_in_assets("linear") == []
    # The recorder does see the full attention's (assets x assets) matrix.
    assert (2, 4, 97, 97) in _square_in_assets("full")
