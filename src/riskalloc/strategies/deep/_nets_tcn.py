"""Temporal convolutional network whose receptive field is exactly the lookback.

The score of a date depends on the ``lookback`` feature rows ending at that date
and on nothing else: the convolutions are causal and unpadded, and their
dilations are chosen so that they reach back exactly ``lookback - 1`` days
(:func:`tcn_schedule`). The network can therefore score every date of a
contiguous span in one pass (:meth:`TCNNet.forward_sequence`, how end-to-end
strategies train on blocks of dates), or one new day at a time from the
activations it kept of the previous days (:class:`TCNStream`, how a
:class:`~riskalloc.strategies.deep.DecisionStream` serves it), with the scores
the window of that date gives (to float32 rounding: the same products summed in
another order).

Examples
--------
>>> import torch
>>> net = TCNNet(n_features=3, lookback=20, hidden_size=8).eval()
>>> net.receptive_field
20
>>> rows = torch.randn(2, 3, 20 - 1 + 5, 4)  # 19 warm-up rows, then 5 dates
>>> windows = rows.unfold(2, 20, 1).permute(0, 2, 1, 4, 3)  # (2, 5, 3, 20, 4)
>>> torch.allclose(net.forward_sequence(rows), net(windows.reshape(10, 3, 20, 4)).view(2, 5, 4),
...                atol=1e-5)
True
"""

from __future__ import annotations

import torch
from torch import nn

from riskalloc.core import ConfigError
from riskalloc.strategies.deep._nets_shared import ScoreHead, check_input

__all__ = ["TCNNet", "TCNStream", "tcn_schedule"]

#: ``(kernel size, dilation)`` of one causal convolution; it reaches back
#: ``(kernel size - 1) * dilation`` steps.
Taps = tuple[int, int]


def _taps(span: int, kernel_size: int) -> Taps:
    """A convolution reaching back exactly ``span`` steps: the widest kernel up to
    ``kernel_size`` whose ``kernel - 1`` divides ``span`` (a pointwise one for 0)."""
    if span == 0:
        return 1, 1
    kernel = max(k for k in range(2, kernel_size + 1) if span % (k - 1) == 0)
    return kernel, span // (kernel - 1)


def tcn_schedule(lookback: int, kernel_size: int, n_layers: int = 1) -> list[tuple[Taps, Taps]]:
    """``(kernel, dilation)`` of the two convolutions of each residual block.

    The ``lookback - 1`` past days are split as evenly as possible between
    ``n_layers`` stacks. A stack's blocks have dilations ``1, 2, 4, ...`` (Bai et
    al. 2018); its last convolutions are shortened (a smaller dilation, or a
    narrower kernel when ``kernel_size - 1`` does not divide what is left) so
    that it reaches back exactly its share. Each dilation is at most the
    receptive field below it, so the steps seen have no gaps. The receptive field,
    ``1 + sum((kernel - 1) * dilation)`` over every convolution, is ``lookback``.

    Examples
    --------
    >>> tcn_schedule(8, kernel_size=2)  # 1 + (1 + 1) + (2 + 2) + (1 + 0) = 8
    [((2, 1), (2, 1)), ((2, 2), (2, 2)), ((2, 1), (1, 1))]
    """
    blocks: list[tuple[Taps, Taps]] = []
    for stack in range(n_layers):
        share = (lookback - 1) // n_layers + (stack < (lookback - 1) % n_layers)
        covered, dilation = 0, 1
        while True:  # at least one block: a pointwise one when the share is 0
            taps = []
            for _ in range(2):
                span = min((kernel_size - 1) * dilation, share - covered)
                taps.append(_taps(span, kernel_size))
                covered += span
            blocks.append((taps[0], taps[1]))
            dilation *= 2
            if covered == share:
                break
    return blocks


class _CausalConvBlock(nn.Module):
    """Two dilated causal convolutions with a residual connection (Bai et al. 2018).

    Unpadded: ``steps`` inputs give ``steps - span`` outputs, each of which sees
    only real inputs (``span`` is how far back the two convolutions reach).
    """

    def __init__(
        self, in_channels: int, out_channels: int, first: Taps, second: Taps, dropout: float
    ) -> None:
        super().__init__()
        self.first = nn.Conv1d(in_channels, out_channels, first[0], dilation=first[1])
        self.second = nn.Conv1d(out_channels, out_channels, second[0], dilation=second[1])
        self.first_span = (first[0] - 1) * first[1]
        self.span = self.first_span + (second[0] - 1) * second[1]
        self.dropout = nn.Dropout(dropout)
        self.residual = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(sequences, channels, steps)`` -> ``(sequences, out_channels, steps - span)``."""
        y = self.dropout(torch.relu(self.first(x)))
        y = self.dropout(torch.relu(self.second(y)))
        return torch.relu(y + self.residual(x[..., self.span :]))


class TCNNet(nn.Module):
    """Temporal convolutional network: dilated causal convolutions over each asset's window.

    Residual blocks of two unpadded causal convolutions (ReLU, dropout) whose
    dilations :func:`tcn_schedule` chooses so that the **receptive field is exactly
    ``lookback``**: the score reads the one output of the window's last step, which
    sees every day of the window and no padding. So the score of a date is the same
    whether computed on its window (:meth:`forward`), in one pass over a span of
    dates (:meth:`forward_sequence`) or step by step (:class:`TCNStream`).

    Parameters
    ----------
    n_features, lookback, hidden_size, dropout, outputs : as :class:`MLPNet`
    n_layers : stacks of blocks (dilations ``1, 2, 4, ...`` restarting in each); the
        stacks share the lookback, so more of them make the network deeper, not its
        receptive field longer
    kernel_size : taps of every convolution (the last ones of a stack may be narrower)
    """

    def __init__(
        self,
        n_features: int,
        lookback: int,
        hidden_size: int = 64,
        n_layers: int = 1,
        dropout: float = 0.0,
        outputs: int = 1,
        kernel_size: int = 2,
    ) -> None:
        super().__init__()
        if kernel_size < 2:
            raise ConfigError(f"TCNNet: parameter 'kernel_size' must be >= 2, got {kernel_size}")
        if n_layers < 1 or lookback < 1:
            raise ConfigError(
                f"TCNNet: parameters 'n_layers' and 'lookback' must be >= 1, got {n_layers} "
                f"and {lookback}"
            )
        self.n_features = n_features
        self.lookback = lookback
        self.blocks = nn.Sequential(
            *(
                _CausalConvBlock(
                    n_features if level == 0 else hidden_size, hidden_size, *taps, dropout
                )
                for level, taps in enumerate(tcn_schedule(lookback, kernel_size, n_layers))
            )
        )
        self.head = ScoreHead(hidden_size, outputs)

    @property
    def receptive_field(self) -> int:
        """Days seen by one score: ``lookback``."""
        return 1 + sum(block.span for block in self.blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, assets)`` of windows ``(batch, features, lookback, assets)``."""
        check_input(x, self.n_features, self.lookback, type(self).__name__)
        return self.forward_sequence(x)[:, 0]

    def forward_sequence(self, rows: torch.Tensor) -> torch.Tensor:
        """Scores of every date of a span with its ``lookback - 1`` warm-up rows.

        ``rows`` ``(batch, features, lookback - 1 + dates, assets)`` are the feature
        rows of consecutive days; returns ``(batch, dates, assets)``: the score of each
        of the last ``dates`` days, computed from the ``lookback`` rows ending there.
        """
        if rows.ndim != 4 or rows.shape[1] != self.n_features or rows.shape[2] < self.lookback:
            raise ValueError(
                f"TCNNet: expected rows (batch, features={self.n_features}, at least "
                f"lookback={self.lookback} days, assets), got shape {tuple(rows.shape)}"
            )
        batch, n_features, days, n_assets = rows.shape
        sequences = rows.permute(0, 3, 1, 2).reshape(batch * n_assets, n_features, days)
        features = self.blocks(sequences)  # (batch * assets, hidden, dates)
        dates = features.shape[-1]
        embedding = features.view(batch, n_assets, -1, dates).permute(0, 3, 1, 2)
        return self.head(embedding)


class _ColumnConvolution:
    """One causal convolution of a stream, a column at a time: it keeps the last
    ``(kernel - 1) * dilation`` columns of its input, and one new column costs one
    matrix product with the kernel's taps laid side by side."""

    def __init__(self, conv: nn.Conv1d, inputs: torch.Tensor) -> None:
        _, channels, kernel = conv.weight.shape
        self.dilation = conv.dilation[0]
        self.span = (kernel - 1) * self.dilation
        # Row j * channels + c multiplies channel c of tap j (the oldest tap is j = 0).
        self.weight = conv.weight.detach().permute(2, 1, 0).reshape(kernel * channels, -1)
        self.bias = conv.bias.detach()
        # Time first, twice the columns kept: an append costs one column amortised.
        sequences = inputs.shape[0]
        self.columns = inputs.new_empty(2 * (self.span + 1), sequences, channels)
        self.columns[: self.span] = inputs[..., inputs.shape[-1] - self.span :].permute(2, 0, 1)
        self.end = self.span

    def __call__(self, column: torch.Tensor) -> torch.Tensor:
        """``(sequences, channels)`` input at the new step -> ``(sequences, out_channels)``."""
        if self.end == len(self.columns):
            self.columns[: self.span] = self.columns[self.end - self.span : self.end].clone()
            self.end = self.span
        self.columns[self.end] = column
        self.end += 1
        taps = self.columns[self.end - 1 - self.span : self.end : self.dilation]
        return torch.addmm(self.bias, taps.transpose(0, 1).reshape(len(column), -1), self.weight)


_Residual = tuple[torch.Tensor, torch.Tensor] | None


class TCNStream:
    """A :class:`TCNNet`'s scores one new day at a time, from the activations it kept.

    Each convolution keeps the last ``(kernel - 1) * dilation`` columns of its input,
    so a new day costs one output column per convolution (a matrix product) instead
    of the whole window; the scores equal those of :meth:`TCNNet.forward` on the
    window ending at that day to float32 rounding (the same products, summed in
    another order). Evaluation mode (no dropout), no autograd; the network's
    parameters are read once, at the start.

    Parameters
    ----------
    net : TCNNet
    window : torch.Tensor
        ``(1, features, lookback, assets)``: the window ending at the last day seen.
    """

    def __init__(self, net: TCNNet, window: torch.Tensor) -> None:
        check_input(window, net.n_features, net.lookback, "TCNStream")
        if window.shape[0] != 1:
            raise ValueError(f"TCNStream: expected one window, got a batch of {window.shape[0]}")
        self.head = net.head
        # Per block: its two convolutions, and its residual's bias and matrix (None: identity).
        self._blocks: list[tuple[_ColumnConvolution, _ColumnConvolution, _Residual]] = []
        with torch.inference_mode():
            x = window[0].permute(2, 0, 1)  # (assets, features, lookback)
            for block in net.blocks:
                y = torch.relu(block.first(x))
                first, second = (
                    _ColumnConvolution(block.first, x),
                    _ColumnConvolution(block.second, y),
                )
                y = torch.relu(block.second(y))
                x = torch.relu(y + block.residual(x[..., block.span :]))
                residual = None
                if isinstance(block.residual, nn.Conv1d):  # 1x1: a matrix product
                    weight = block.residual.weight.detach()[:, :, 0].t()
                    residual = (block.residual.bias.detach(), weight)
                self._blocks.append((first, second, residual))

    def step(self, row: torch.Tensor) -> torch.Tensor:
        """Scores ``(1, assets)`` of the next day from its feature row ``(features, assets)``."""
        with torch.inference_mode():
            x = row.t()  # (assets, features)
            for first, second, residual in self._blocks:
                y = torch.relu(second(torch.relu(first(x))))
                shortcut = x if residual is None else torch.addmm(residual[0], x, residual[1])
                x = torch.relu(y + shortcut)
            return self.head(x[None])
