"""Training budgets by name: ``--preset default`` (sized for a demo on 2 cores) or ``full``.

A preset is a set of parameter values; each selected strategy takes the ones it has
(``total_timesteps`` for the RL agents, ``epochs`` and ``patience`` for the deep
strategies), and a ``--param`` given on the command line overrides the preset. The
values a run used are in its ``config.json`` like any other parameter.
"""

from __future__ import annotations

import enum
from typing import Any

from riskalloc.core import ConfigError
from riskalloc.strategies._registry import strategy_class

__all__ = ["PRESETS", "Preset", "preset_params"]


class Preset(enum.StrEnum):
    """A named training budget."""

    DEFAULT = "default"
    FULL = "full"


#: ``default`` keeps every strategy's own defaults (RL agents 50,000 timesteps, deep
#: strategies 20 epochs with early stopping after 5): ``make demo`` with ``rl_ppo`` and
#: ``rl_a2c`` finishes in minutes on 2 cores. ``full`` is the budget of a real study:
#: 1,000,000 timesteps per agent (about 7 minutes of PPO on 2 cores), 100 epochs
#: with early stopping after 10.
PRESETS: dict[Preset, dict[str, Any]] = {
    Preset.DEFAULT: {},
    Preset.FULL: {"total_timesteps": 1_000_000, "epochs": 100, "patience": 10},
}


def preset_params(preset: Preset | str, strategies: list[str]) -> dict[str, dict[str, Any]]:
    """The preset's values of each strategy's own parameters, by strategy name.

    Examples
    --------
    >>> preset_params("full", ["equal_weight", "rl_ppo"])["rl_ppo"]
    {'total_timesteps': 1000000}
    """
    try:
        values = PRESETS[Preset(preset)]
    except ValueError:
        raise ConfigError(f"--preset must be one of {', '.join(PRESETS)}, got {preset!r}") from None
    return {
        name: {k: v for k, v in values.items() if k in strategy_class(name).param_names()}
        for name in strategies
    }
