"""Attention across assets: full (softmax) and linear (kernel feature map) multi-head attention.

Both act on a set of per-asset embeddings ``(batch, assets, hidden)`` with no
position over assets, so they are permutation equivariant: permuting the assets
permutes the outputs. Full attention builds a ``(assets x assets)`` matrix per
head; linear attention (Katharopoulos et al. 2020, "Transformers are RNNs")
never does, so its cost grows linearly with the number of assets.
"""

from __future__ import annotations

import enum
import math

import torch
from torch import nn

from riskalloc.core import ConfigError

__all__ = ["AssetAttentionBlock", "Attention", "MultiHeadAttention", "linear_attention"]


class Attention(enum.StrEnum):
    """How assets attend to each other.

    FULL: ``softmax(q k' / sqrt(d)) v``, cost ``O(assets²)`` per head.
    LINEAR: ``phi(q) (phi(k)' v) / (phi(q) phi(k)' 1)`` with ``phi = elu + 1``,
    cost ``O(assets)`` per head.
    """

    FULL = "full"
    LINEAR = "linear"


def feature_map(x: torch.Tensor) -> torch.Tensor:
    """``phi(x) = elu(x) + 1``, the positive feature map of Katharopoulos et al. (2020)."""
    return nn.functional.elu(x) + 1.0


def linear_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Kernel attention without the ``(n x n)`` matrix.

    ``out_i = phi(q_i)' S / (phi(q_i)' z + eps)`` with ``S = sum_j phi(k_j) v_j'``
    (``d x d``) and ``z = sum_j phi(k_j)``: the same as normalising the rows of
    ``phi(Q) phi(K)'`` and multiplying by ``V``, computed in the other order.

    Parameters
    ----------
    query, key : (..., n, d)
    value : (..., n, d_v)

    Returns
    -------
    (..., n, d_v)
    """
    q = feature_map(query)
    k = feature_map(key)
    summary = torch.einsum("...nd,...ne->...de", k, value)
    normaliser = torch.einsum("...nd,...d->...n", q, k.sum(dim=-2))
    return torch.einsum("...nd,...de->...ne", q, summary) / (normaliser.unsqueeze(-1) + eps)


def full_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention, ``softmax(q k' / sqrt(d)) v``, shapes as :func:`linear_attention`."""
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    return torch.softmax(scores, dim=-1) @ value


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention over the asset axis of ``(batch, assets, hidden)``."""

    def __init__(self, hidden_size: int, n_heads: int, attention: Attention | str) -> None:
        super().__init__()
        if hidden_size % n_heads:
            raise ConfigError(
                f"MultiHeadAttention: hidden_size={hidden_size} is not divisible by "
                f"n_heads={n_heads}; choose n_heads among the divisors of hidden_size"
            )
        self.n_heads = n_heads
        self.attention = Attention(attention)
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)
        self.out = nn.Linear(hidden_size, hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, n_assets, hidden = x.shape
        # (batch, assets, 3 * hidden) -> 3 x (batch, heads, assets, head_size)
        qkv = self.qkv(x).view(batch, n_assets, 3, self.n_heads, hidden // self.n_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if self.attention is Attention.LINEAR:
            mixed = linear_attention(query, key, value)
        else:
            mixed = full_attention(query, key, value)
        return self.out(mixed.transpose(1, 2).reshape(batch, n_assets, hidden))


class AssetAttentionBlock(nn.Module):
    """Pre-norm transformer block across assets: attention then a feed-forward layer, each residual."""

    def __init__(
        self, hidden_size: int, n_heads: int, attention: Attention | str, dropout: float
    ) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(hidden_size)
        self.attention = MultiHeadAttention(hidden_size, n_heads, attention)
        self.feedforward_norm = nn.LayerNorm(hidden_size)
        self.feedforward = nn.Sequential(
            nn.Linear(hidden_size, 2 * hidden_size),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(2 * hidden_size, hidden_size),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.attention_norm(x)))
        return x + self.dropout(self.feedforward(self.feedforward_norm(x)))
