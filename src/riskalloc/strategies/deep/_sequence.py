"""The sequence path: a causal network scores a whole block of dates in one pass.

A network whose score at a date depends on exactly the ``lookback`` feature rows
ending there (:class:`~riskalloc.strategies.deep.TCNNet`, and the transformer with its
banded causal attention) need not see each date's
window separately: run once over a block's rows plus the ``lookback - 1`` rows
before it, it gives every date of the block the score of its own window. Training
then holds each date's feature row once (``lookback`` times less memory than the
windows) and does no repeated work over overlapping windows. The weights are those
of the windowed path to float32 rounding, and ``predict`` (windowed) agrees. (With
``dropout > 0`` the draws differ: one mask per activation of the block, shared by the
windows that hold it, instead of one per window; each date's distribution is the same.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from riskalloc.data import MarketData
from riskalloc.features import FeatureBuilder
from riskalloc.strategies.deep._blocks import BlockData, BlockForward
from riskalloc.strategies.deep._nets import Network

__all__ = ["SEQUENCE_NETWORKS", "RowBlockData", "feature_rows", "sequence_forward"]

#: Networks whose receptive field is exactly ``lookback``, so one pass is exact.
SEQUENCE_NETWORKS = frozenset({Network.TCN, Network.TRANSFORMER})


def feature_rows(
    builder: FeatureBuilder, history: MarketData, dates: pd.DatetimeIndex
) -> np.ndarray:
    """Standardised feature rows ``(lookback - 1 + len(dates), features, assets)`` of the
    consecutive trading ``dates`` of ``history`` and the ``lookback - 1`` days before them.

    The rows of ``builder.transform``'s windows, each once: the windows ending at every
    ``lookback``-th date tile the span without overlap (and the window of the last date
    closes it), so no more than one window beyond the rows is ever built.
    """
    positions = history.dates.get_indexer(pd.DatetimeIndex(dates))
    if len(positions) == 0 or (np.diff(positions) != 1).any() or positions[0] < 0:
        raise ValueError("feature_rows: dates must be consecutive trading dates of the history")
    lookback = builder.lookback
    ends = list(range(0, len(dates), lookback))
    if ends[-1] != len(dates) - 1:
        ends.append(len(dates) - 1)
    windows = builder.transform(history, dates[ends])  # (len(ends), features, lookback, assets)
    pieces = [windows[0]]
    for k in range(1, len(ends)):
        pieces.append(windows[k][:, lookback - (ends[k] - ends[k - 1]) :])
    return np.ascontiguousarray(np.concatenate(pieces, axis=1).transpose(1, 0, 2))


@dataclass(frozen=True)
class RowBlockData(BlockData):
    """:class:`BlockData` of the sequence path.

    Attributes
    ----------
    inputs : (T, features, assets) the feature row of each decision date (a view of ``rows``)
    rows : (lookback - 1 + T, features, assets) the same rows after the first window's warm-up
    """

    rows: torch.Tensor


def sequence_forward(model: nn.Sequential, rows: torch.Tensor, lookback: int) -> BlockForward:
    """The block trainer's ``forward`` for ``model = Sequential(network, *allocation)``.

    ``positions`` (decision dates, indices into ``rows[lookback - 1:]``) are split into
    runs of consecutive dates (a block, or adjacent blocks: one pass is exact for any
    run); runs of one length are stacked and scored by ``network.forward_sequence`` on
    their rows and warm-up rows; the scores of all dates, in the order of
    ``positions``, go through the allocation layers.
    """
    network, allocation = model[0], model[1:]

    def forward(positions: torch.Tensor) -> tuple[torch.Tensor, dict]:
        cuts = (torch.nonzero(positions.diff() != 1).flatten() + 1).tolist()
        bounds = [0, *cuts, len(positions)]
        runs = [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]
        by_length: dict[int, list[int]] = {}
        for k, (first, stop) in enumerate(runs):
            by_length.setdefault(stop - first, []).append(k)
        scores: list[torch.Tensor | None] = [None] * len(runs)
        for length, members in by_length.items():
            starts = positions[[runs[k][0] for k in members]]
            index = starts[:, None] + torch.arange(lookback - 1 + length, device=rows.device)
            batch = rows[index].permute(0, 2, 1, 3)  # (runs, features, days, assets)
            for k, run_scores in zip(members, network.forward_sequence(batch), strict=True):
                scores[k] = run_scores
        return allocation(torch.cat(scores)), {}

    return forward
