"""What every network shares: the check of its input window and the per-asset score head."""

from __future__ import annotations

import torch
from torch import nn

from riskalloc.core import ConfigError

__all__ = ["ScoreHead", "check_input", "per_asset_sequences"]


def check_input(x: torch.Tensor, n_features: int, lookback: int, network: str) -> None:
    if x.ndim != 4 or x.shape[1] != n_features or x.shape[2] != lookback:
        raise ValueError(
            f"{network}: expected input (batch, features={n_features}, lookback={lookback}, "
            f"assets), got shape {tuple(x.shape)}"
        )


def per_asset_sequences(x: torch.Tensor) -> torch.Tensor:
    """``(batch, features, lookback, assets)`` -> ``(batch * assets, lookback, features)``."""
    batch, n_features, lookback, n_assets = x.shape
    return x.permute(0, 3, 2, 1).reshape(batch * n_assets, lookback, n_features)


class ScoreHead(nn.Module):
    """Linear map of an asset's embedding to its score(s); one output is squeezed away."""

    def __init__(self, hidden_size: int, outputs: int) -> None:
        super().__init__()
        if outputs < 1:
            raise ConfigError(f"parameter 'outputs' must be >= 1, got {outputs}")
        self.outputs = outputs
        self.linear = nn.Linear(hidden_size, outputs)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        scores = self.linear(embedding)  # (..., assets, outputs)
        return scores.squeeze(-1) if self.outputs == 1 else scores
