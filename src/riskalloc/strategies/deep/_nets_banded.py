"""Banded causal self-attention over time: a day's state reads a fixed band of past days.

Layer ``j`` of :class:`BandedTemporalEncoder` lets each day attend to itself and the
``band_j - 1`` days before it, with a learned bias per head and lag in place of
position encodings; everything else in a layer acts day by day. The bands are chosen
so that ``1 + sum_j (band_j - 1) = lookback``: the last layer's state of a day depends
on exactly the ``lookback`` input rows ending at that day, and on nothing else. Hence
one pass over a span of days gives every day the state its own window would give — the
same arithmetic up to float rounding (masked keys contribute exact zeros) — which is what
lets the transformer score a whole training block in one pass, like the TCN.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BandedTemporalEncoder", "band_lengths"]


def band_lengths(lookback: int, n_layers: int) -> list[int]:
    """Bands (days attended, the day itself included) of ``n_layers`` layers whose
    receptive field is exactly ``lookback``: the ``lookback - 1`` past days split as
    evenly as possible, the first layers taking the remainder.

    Examples
    --------
    >>> band_lengths(50, 2), band_lengths(5, 3)
    ([26, 25], [3, 2, 2])
    """
    reach, extra = divmod(lookback - 1, n_layers)
    return [1 + reach + (1 if layer < extra else 0) for layer in range(n_layers)]


class _BandedLayer(nn.Module):
    """Pre-norm block: banded causal multi-head attention, then a day-wise feed-forward."""

    def __init__(self, hidden_size: int, n_heads: int, band: int, dropout: float) -> None:
        super().__init__()
        self.n_heads, self.band = n_heads, band
        self.attention_norm = nn.LayerNorm(hidden_size)
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)
        self.out = nn.Linear(hidden_size, hidden_size)
        self.lag_bias = nn.Parameter(torch.zeros(n_heads, band))
        self.feedforward_norm = nn.LayerNorm(hidden_size)
        self.feedforward = nn.Sequential(
            nn.Linear(hidden_size, 2 * hidden_size),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(2 * hidden_size, hidden_size),
            nn.Dropout(dropout),
        )

    def mask(self, days: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """``(heads, days, days)`` additive mask: the lag's bias inside the band, -inf outside."""
        lag = torch.arange(days, device=device)[:, None] - torch.arange(days, device=device)
        inside = (lag >= 0) & (lag < self.band)
        bias = self.lag_bias.to(dtype)[:, lag.clamp(0, self.band - 1)]
        return bias.masked_fill(~inside, float("-inf"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequences, days, hidden = x.shape
        qkv = self.qkv(self.attention_norm(x))
        qkv = qkv.view(sequences, days, 3, self.n_heads, hidden // self.n_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        mixed = nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=self.mask(days, x.device, x.dtype)
        )
        x = x + self.out(mixed.transpose(1, 2).reshape(sequences, days, hidden))
        return x + self.feedforward(self.feedforward_norm(x))


class BandedTemporalEncoder(nn.Module):
    """``n_layers`` banded causal attention layers with a receptive field of ``lookback`` days.

    ``forward(x)``: ``(sequences, days, hidden)`` -> the same shape; day ``t``'s output
    depends on input days ``t - lookback + 1 .. t`` only (fewer at the start of ``x``).
    """

    def __init__(
        self, hidden_size: int, n_heads: int, n_layers: int, lookback: int, dropout: float
    ) -> None:
        super().__init__()
        self.lookback = lookback
        self.bands = band_lengths(lookback, n_layers)
        self.layers = nn.ModuleList(
            _BandedLayer(hidden_size, n_heads, band, dropout) for band in self.bands
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def extra_repr(self) -> str:
        return f"lookback={self.lookback}, bands={self.bands}"
