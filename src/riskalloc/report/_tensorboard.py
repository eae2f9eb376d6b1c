"""The run's training curves as TensorBoard event files (``--tensorboard DIR``).

One TensorBoard run per cell, ``DIR/SCENARIO/STRATEGY/seed-N``: deep strategies log
``objective/validation`` and ``objective/training`` for every epoch of the first fit
(step = epoch) and of each walk-forward refit (``refit/...``, step = the epoch counted
across refits), and ``epoch_kept`` per fit; RL agents log ``episode_reward`` against
the timestep the episode ended at. Needs the optional ``tensorboard`` package
(``pip install 'riskalloc[tensorboard]'``), checked before a run starts.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from riskalloc.core import ConfigError
from riskalloc.report._run import RunLike, as_run

__all__ = ["check_tensorboard", "write_tensorboard"]


def check_tensorboard() -> None:
    """A one-line error when TensorBoard's writer cannot be loaded."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise ConfigError(
            "--tensorboard needs the tensorboard package: pip install 'riskalloc[tensorboard]'"
        ) from None


def write_tensorboard(run: RunLike, directory: str | os.PathLike[str]) -> list[Path]:
    """Write every cell's training curves under ``directory``; the folders written."""
    check_tensorboard()
    from torch.utils.tensorboard import SummaryWriter

    run = as_run(run)
    written = []
    for scenario in run.scenarios:
        log = run.training_of(scenario)
        for (strategy, seed), rows in log.groupby(["strategy", "seed"], sort=False):
            folder = Path(directory) / scenario / str(strategy) / f"seed-{int(seed)}"
            with SummaryWriter(log_dir=str(folder)) as writer:
                if "epoch" in rows and rows["epoch"].notna().any():
                    _deep(writer, rows)
                else:
                    for _, row in rows.sort_values("timestep").iterrows():
                        writer.add_scalar(
                            "episode_reward", float(row["episode_reward"]), int(row["timestep"])
                        )
            written.append(folder)
    return written


def _deep(writer, rows) -> None:
    step = 0
    for fit, epochs in rows.sort_values(["fit", "epoch"]).groupby("fit", sort=True):
        prefix = "objective" if int(fit) == 0 else "refit"
        for _, row in epochs.iterrows():
            epoch = int(row["epoch"]) if int(fit) == 0 else step
            writer.add_scalar(f"{prefix}/training", float(row["train_loss"]), epoch)
            if not math.isnan(float(row["validation_loss"])):
                writer.add_scalar(f"{prefix}/validation", float(row["validation_loss"]), epoch)
            step += int(fit) != 0
        kept = epochs.loc[epochs["chosen"].astype(bool), "epoch"]
        if len(kept):
            writer.add_scalar("epoch_kept", int(kept.iloc[0]), int(fit))
