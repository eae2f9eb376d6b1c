"""A deep strategy's training curve: one row per epoch of every fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["training_log"]


def training_log(fits: list[tuple[pd.Timestamp, Any]]) -> pd.DataFrame:
    """One row per epoch of each fit (0: the first fit, then each walk-forward refit): the
    fit's last training date, the epoch, its mean training loss and validation loss, and
    whether it is the epoch whose weights were kept."""
    rows = []
    for number, (end, history) in enumerate(fits):
        if history is None:
            continue
        validation = list(history.validation_loss)
        for epoch, loss in enumerate(history.train_loss):
            rows.append(
                {
                    "fit": number,
                    "fit_end": pd.Timestamp(end),
                    "epoch": epoch,
                    "train_loss": float(loss),
                    "validation_loss": float(validation[epoch])
                    if epoch < len(validation)
                    else np.nan,
                    "chosen": epoch == history.best_epoch,
                }
            )
    columns = ["fit", "fit_end", "epoch", "train_loss", "validation_loss", "chosen"]
    return pd.DataFrame(rows, columns=columns)
