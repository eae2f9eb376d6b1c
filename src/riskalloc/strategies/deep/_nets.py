"""Networks that score assets from a window of features.

Every network reads one tensor ``(batch, features, lookback, assets)`` and
returns unnormalised scores ``(batch, assets)`` (``(batch, assets, outputs)``
with ``outputs > 1``); an allocation layer turns scores into weights. The
parameters act on one asset's window at a time (and, in
:class:`TransformerNet`, on the set of assets through attention, which has no
order), so one model serves any number of assets and permuting the assets
permutes the scores. :class:`TCNNet` (in ``_nets_tcn``) and :class:`TransformerNet`
have a receptive field of exactly ``lookback`` days, so they also score every date
of a span in one pass; the LSTM stays windowed (its docstring says why).

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

import torch
from torch import nn

from riskalloc.core import ConfigError
from riskalloc.strategies.deep._nets_attention import AssetAttentionBlock, Attention
from riskalloc.strategies.deep._nets_banded import BandedTemporalEncoder
from riskalloc.strategies.deep._nets_shared import ScoreHead, check_input, per_asset_sequences
from riskalloc.strategies.deep._nets_tcn import TCNNet

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
        self.head = ScoreHead(width, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.n_features, self.lookback, type(self).__name__)
        batch, _, _, n_assets = x.shape
        windows = x.permute(0, 3, 1, 2).reshape(batch, n_assets, -1)
        return self.head(self.body(windows))


class LSTMNet(nn.Module):
    """LSTM over each asset's window; the top layer's last hidden state gives the score.

    Parameters as :class:`MLPNet`; defaults are 2 layers of 64 units. Dropout
    acts between LSTM layers.

    The LSTM stays **windowed**, in training as at allocation: every date's score
    starts from a zero state at the first day of its own window. Running the
    recurrence once over a block of dates (after a ``lookback``-day warm-up) would
    be cheaper, but the state at a date would then carry everything since the
    warm-up began, more than ``lookback`` days, so the trained network would not
    be the one ``allocate`` evaluates on a window; nothing in the recurrence lets
    it forget the day that leaves the window.
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
        self.head = ScoreHead(hidden_size, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.n_features, self.lookback, type(self).__name__)
        batch, _, _, n_assets = x.shape
        _, (hidden, _) = self.lstm(per_asset_sequences(x))
        return self.head(hidden[-1].view(batch, n_assets, -1))


class TransformerNet(nn.Module):
    """Per-asset temporal transformer encoder, then multi-head attention across assets.

    Each asset's rows are embedded (a linear map of the features) and encoded by
    ``n_layers`` banded causal self-attention layers over time
    (:class:`~riskalloc.strategies.deep._nets_banded.BandedTemporalEncoder`): a day
    attends to itself and a band of the days before it, with a learned bias per head and
    lag instead of position encodings, and the bands add up to a receptive field of
    exactly ``lookback`` days. The encoding of the window's last day summarises the
    asset; the summaries then pass through ``asset_layers`` attention blocks across
    assets, which carry no asset order: the scores are permutation equivariant.

    Because a day's state depends only on the ``lookback`` rows ending there,
    :meth:`forward_sequence` scores every day of a span in one pass, with the scores
    each day's own window gives (float rounding apart), as :class:`TCNNet` does.

    Parameters
    ----------
    n_features, lookback, hidden_size, dropout, outputs : as :class:`MLPNet`
    n_layers : temporal attention layers (their bands split the lookback)
    n_heads : attention heads (in time and across assets); must divide ``hidden_size``
    attention : ``"full"`` (softmax, ``O(assets²)``) or ``"linear"`` (kernel
        feature map, ``O(assets)``) across assets, see :class:`Attention`
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
        self.temporal = BandedTemporalEncoder(hidden_size, n_heads, n_layers, lookback, dropout)
        self.across_assets = nn.Sequential(
            *(
                AssetAttentionBlock(hidden_size, n_heads, attention, dropout)
                for _ in range(asset_layers)
            )
        )
        self.norm = nn.LayerNorm(hidden_size)
        self.head = ScoreHead(hidden_size, outputs)

    @property
    def receptive_field(self) -> int:
        """Input days behind each score: ``lookback``."""
        return self.lookback

    def _scores(self, encoded: torch.Tensor) -> torch.Tensor:
        """``(batch, dates, assets, hidden)`` day encodings -> scores ``(batch, dates, assets[, outputs])``."""
        batch, dates, n_assets, hidden = encoded.shape
        mixed = self.across_assets(encoded.reshape(batch * dates, n_assets, hidden))
        scores = self.head(self.norm(mixed))
        return scores.view(batch, dates, *scores.shape[1:])

    def _encode(self, rows: torch.Tensor) -> torch.Tensor:
        """``(batch, features, days, assets)`` -> ``(batch, days, assets, hidden)``."""
        batch, _, days, n_assets = rows.shape
        encoded = self.temporal(self.embedding(per_asset_sequences(rows)))
        return encoded.view(batch, n_assets, days, -1).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.n_features, self.lookback, type(self).__name__)
        return self._scores(self._encode(x)[:, -1:])[:, 0]

    def forward_sequence(self, rows: torch.Tensor) -> torch.Tensor:
        """Scores of every date of a span with its ``lookback - 1`` warm-up rows.

        ``rows`` ``(batch, features, lookback - 1 + dates, assets)`` are the feature
        rows of consecutive days; returns ``(batch, dates, assets[, outputs])``: the
        scores of each of the last ``dates`` days, from the ``lookback`` rows ending there.
        """
        if rows.ndim != 4 or rows.shape[1] != self.n_features or rows.shape[2] < self.lookback:
            raise ValueError(
                f"TransformerNet: expected rows (batch, features={self.n_features}, at least "
                f"lookback={self.lookback} days, assets), got shape {tuple(rows.shape)}"
            )
        return self._scores(self._encode(rows)[:, self.lookback - 1 :])


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
    >>> build_network("tcn", n_features=2, lookback=32, hidden_size=16).receptive_field
    32
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
