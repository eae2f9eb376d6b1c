"""Networks that score assets from a window of features.

Every network reads one tensor ``(batch, features, lookback, assets)`` and
returns unnormalised scores ``(batch, assets)`` (``(batch, assets, outputs)``
with ``outputs > 1``); an allocation layer turns scores into weights. The
parameters act on one asset's window at a time (and, in
:class:`TransformerNet`, on the set of assets through attention, which has no
order), so one model serves any number of assets and permuting the assets
permutes the scores.

Examples
--------
>>> import torch
>>> net = build_network("lstm", n_features=3, lookback=20)
>>> net(torch.randn(8, 3, 20, 5)).shape
torch.Size([8, 5])
>>> net(torch.randn(8, 3, 20, 30)).shape
torch.Size([8, 30])
"""

from __future__ import annotations

import enum
import inspect
import math

import torch
from torch import nn

from riskalloc.core import ConfigError
from riskalloc.strategies.deep._nets_attention import AssetAttentionBlock, Attention

__all__ = [
    "LSTMNet",
    "MLPNet",
    "Network",
    "TCNNet",
    "TransformerNet",
    "build_network",
]


class Network(enum.StrEnum):
    MLP = "mlp"
    LSTM = "lstm"
    TCN = "tcn"
    TRANSFORMER = "transformer"


def _check_input(x: torch.Tensor, n_features: int, lookback: int, network: str) -> None:
    if x.ndim != 4 or x.shape[1] != n_features or x.shape[2] != lookback:
        raise ValueError(
            f"{network}: expected input (batch, features={n_features}, lookback={lookback}, "
            f"assets), got shape {tuple(x.shape)}"
        )


def _per_asset_sequences(x: torch.Tensor) -> torch.Tensor:
    """``(batch, features, lookback, assets)`` -> ``(batch * assets, lookback, features)``."""
    batch, n_features, lookback, n_assets = x.shape
    return x.permute(0, 3, 2, 1).reshape(batch * n_assets, lookback, n_features)


class _ScoreHead(nn.Module):
    """Linear map of an asset's embedding to its score(s); one output is squeezed away."""

    def __init__(self, hidden_size: int, outputs: int) -> None:
        super().__init__()
        if outputs < 1:
            raise ConfigError(f"parameter 'outputs' must be >= 1, got {outputs}")
        self.outputs = outputs
        self.linear = nn.Linear(hidden_size, outputs)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        scores = self.linear(embedding)  # (batch, assets, outputs)
        return scores.squeeze(-1) if self.outputs == 1 else scores


class MLPNet(nn.Module):
    """Feed-forward network on each asset's flattened window (``features x lookback`` inputs).

    Parameters
    ----------
    n_features, lookback : the input window the network is built for
    hidden_size : width of each hidden layer
    n_layers : number of hidden layers (ReLU, then dropout)
    dropout : dropout probability after each hidden layer
    outputs : scores per asset; 1 gives ``(batch, assets)``, k > 1 ``(batch, assets, k)``
    """

    def __init__(
        self,
        n_features: int,
        lookback: int,
        hidden_size: int = 64,
        n_layers: int = 2,
        dropout: float = 0.0,
        outputs: int = 1,
    ) -> None:
        super().__init__()
        self.n_features = n_features
        self.lookback = lookback
        layers: list[nn.Module] = []
        width = n_features * lookback
        for _ in range(n_layers):
            layers += [nn.Linear(width, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden_size
        self.body = nn.Sequential(*layers)
        self.head = _ScoreHead(width, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.n_features, self.lookback, type(self).__name__)
        batch, _, _, n_assets = x.shape
        windows = x.permute(0, 3, 1, 2).reshape(batch, n_assets, -1)
        return self.head(self.body(windows))


class LSTMNet(nn.Module):
    """LSTM over each asset's window; the top layer's last hidden state gives the score.

    Parameters as :class:`MLPNet`; defaults are 2 layers of 64 units. Dropout
    acts between LSTM layers.
    """

    def __init__(
        self,
        n_features: int,
        lookback: int,
        hidden_size: int = 64,
        n_layers: int = 2,
        dropout: float = 0.0,
        outputs: int = 1,
    ) -> None:
        super().__init__()
        self.n_features = n_features
        self.lookback = lookback
        self.lstm = nn.LSTM(
            n_features,
            hidden_size,
            num_layers=n_layers,
            batch_first=True,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.head = _ScoreHead(hidden_size, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.n_features, self.lookback, type(self).__name__)
        batch, _, _, n_assets = x.shape
        _, (hidden, _) = self.lstm(_per_asset_sequences(x))
        return self.head(hidden[-1].view(batch, n_assets, -1))


class _CausalConvBlock(nn.Module):
    """Two dilated causal convolutions with a residual connection (Bai et al. 2018)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, dropout: float
    ) -> None:
        super().__init__()
        # Padding on the left only: the output at step t sees steps <= t.
        self.left_padding = (kernel_size - 1) * dilation
        self.first = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)
        self.second = nn.Conv1d(out_channels, out_channels, kernel_size, dilation=dilation)
        self.dropout = nn.Dropout(dropout)
        self.residual = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = (self.left_padding, 0)
        y = self.dropout(torch.relu(self.first(nn.functional.pad(x, pad))))
        y = self.dropout(torch.relu(self.second(nn.functional.pad(y, pad))))
        return torch.relu(y + self.residual(x))


def tcn_receptive_field(n_layers: int, kernel_size: int) -> int:
    """Steps seen by the last output of ``n_layers`` blocks with dilations ``1, 2, 4, ...``.

    Each block has two convolutions: ``1 + 2 (kernel_size - 1) (2^n_layers - 1)``.
    """
    return 1 + 2 * (kernel_size - 1) * (2**n_layers - 1)


class TCNNet(nn.Module):
    """Temporal convolutional network: dilated causal convolutions over each asset's window.

    The score is read from the last step, which sees the whole window: by
    default ``n_layers`` is the smallest number of blocks (dilations 1, 2, 4,
    ...) whose receptive field :func:`tcn_receptive_field` covers ``lookback``.

    Parameters as :class:`MLPNet`, plus ``kernel_size`` of every convolution.
    """

    def __init__(
        self,
        n_features: int,
        lookback: int,
        hidden_size: int = 64,
        n_layers: int | None = None,
        dropout: float = 0.0,
        outputs: int = 1,
        kernel_size: int = 2,
    ) -> None:
        super().__init__()
        if kernel_size < 2:
            raise ConfigError(f"TCNNet: parameter 'kernel_size' must be >= 2, got {kernel_size}")
        if n_layers is None:
            n_layers = 1
            while tcn_receptive_field(n_layers, kernel_size) < lookback:
                n_layers += 1
        self.n_features = n_features
        self.lookback = lookback
        self.blocks = nn.Sequential(
            *(
                _CausalConvBlock(
                    n_features if level == 0 else hidden_size,
                    hidden_size,
                    kernel_size,
                    2**level,
                    dropout,
                )
                for level in range(n_layers)
            )
        )
        self.head = _ScoreHead(hidden_size, outputs)

    def temporal_features(self, x: torch.Tensor) -> torch.Tensor:
        """Causal features of every step, ``(batch, hidden, lookback, assets)``."""
        _check_input(x, self.n_features, self.lookback, type(self).__name__)
        batch, _, lookback, n_assets = x.shape
        sequences = _per_asset_sequences(x).transpose(1, 2)  # (batch * assets, features, lookback)
        features = self.blocks(sequences)
        return features.view(batch, n_assets, -1, lookback).permute(0, 2, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last_step = self.temporal_features(x)[:, :, -1, :]  # (batch, hidden, assets)
        return self.head(last_step.transpose(1, 2))


def _sinusoidal_positions(lookback: int, hidden_size: int) -> torch.Tensor:
    """Fixed sine/cosine position encodings (Vaswani et al. 2017), ``(lookback, hidden)``."""
    position = torch.arange(lookback, dtype=torch.float64)[:, None]
    frequency = torch.exp(
        torch.arange(0, hidden_size, 2, dtype=torch.float64) * (-math.log(10000.0) / hidden_size)
    )
    encoding = torch.zeros(lookback, hidden_size, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency[: hidden_size // 2])
    return encoding.to(torch.get_default_dtype())


class TransformerNet(nn.Module):
    """Per-asset temporal transformer encoder, then multi-head attention across assets.

    Each asset's window is embedded (linear map of the features plus sine
    position encodings), encoded by ``n_layers`` self-attention layers over
    time, and summarised by its last step. The assets' summaries then pass
    through ``asset_layers`` attention blocks across assets, which carry no
    asset order: the scores are permutation equivariant.

    Parameters
    ----------
    n_features, lookback, hidden_size, dropout, outputs : as :class:`MLPNet`
    n_layers : temporal encoder layers
    n_heads : attention heads (in time and across assets); must divide ``hidden_size``
    attention : ``"full"`` (softmax, ``O(assets²)``) or ``"linear"`` (kernel
        feature map, ``O(assets)``), see :class:`Attention`
    asset_layers : attention blocks across assets
    """

    def __init__(
        self,
        n_features: int,
        lookback: int,
        hidden_size: int = 64,
        n_layers: int = 2,
        dropout: float = 0.0,
        outputs: int = 1,
        n_heads: int = 4,
        attention: Attention | str = Attention.FULL,
        asset_layers: int = 1,
    ) -> None:
        super().__init__()
        if hidden_size % n_heads:
            raise ConfigError(
                f"TransformerNet: hidden_size={hidden_size} is not divisible by "
                f"n_heads={n_heads}; choose n_heads among the divisors of hidden_size"
            )
        try:
            attention = Attention(attention)
        except ValueError:
            choices = ", ".join(repr(kind.value) for kind in Attention)
            raise ConfigError(
                f"TransformerNet: parameter 'attention' must be one of {choices}, got {attention!r}"
            ) from None
        self.n_features = n_features
        self.lookback = lookback
        self.embedding = nn.Linear(n_features, hidden_size)
        self.register_buffer("positions", _sinusoidal_positions(lookback, hidden_size))
        layer = nn.TransformerEncoderLayer(
            hidden_size,
            n_heads,
            dim_feedforward=2 * hidden_size,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        self.temporal = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.across_assets = nn.Sequential(
            *(
                AssetAttentionBlock(hidden_size, n_heads, attention, dropout)
                for _ in range(asset_layers)
            )
        )
        self.norm = nn.LayerNorm(hidden_size)
        self.head = _ScoreHead(hidden_size, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.n_features, self.lookback, type(self).__name__)
        batch, _, _, n_assets = x.shape
        sequences = self.embedding(_per_asset_sequences(x)) + self.positions
        summary = self.temporal(sequences)[:, -1, :].view(batch, n_assets, -1)
        return self.head(self.norm(self.across_assets(summary)))


NETWORKS: dict[Network, type[nn.Module]] = {
    Network.MLP: MLPNet,
    Network.LSTM: LSTMNet,
    Network.TCN: TCNNet,
    Network.TRANSFORMER: TransformerNet,
}


def build_network(name: Network | str, n_features: int, lookback: int, **hyper) -> nn.Module:
    """Build a network by name: ``mlp``, ``lstm``, ``tcn`` or ``transformer``.

    ``hyper`` are the network's keyword parameters; all take ``hidden_size``,
    ``n_layers``, ``dropout`` and ``outputs``.

    Examples
    --------
    >>> build_network("tcn", n_features=2, lookback=32, hidden_size=16).blocks[-1].first.dilation
    (16,)
    """
    try:
        kind = Network(name.lower() if isinstance(name, str) else name)
    except ValueError:
        choices = ", ".join(network.value for network in Network)
        raise ConfigError(f"unknown network {name!r}; choose one of {choices}") from None
    network_class = NETWORKS[kind]
    accepted = set(inspect.signature(network_class).parameters) - {"n_features", "lookback"}
    unknown = sorted(set(hyper) - accepted)
    if unknown:
        raise ConfigError(
            f"build_network({kind.value!r}): unknown hyper-parameter(s) {unknown}; "
            f"{network_class.__name__} accepts {sorted(accepted)}"
        )
    return network_class(n_features, lookback, **hyper)
