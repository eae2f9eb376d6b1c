"""Rebalancing schedules: which test dates are decision dates."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from riskalloc.core._errors import ConfigError

__all__ = ["Frequency", "Rebalance"]


class Frequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    EVERY_N_DAYS = "every_n_days"


@dataclass(frozen=True)
class Rebalance:
    """When to trade back to target weights.

    ``DAILY`` trades at every close; ``WEEKLY``/``MONTHLY``/``QUARTERLY`` at the
    last trading date of each calendar week/month/quarter; ``every(n)`` at every
    ``n``-th trading date counted from the first decision. The first decision
    (the close of the last training date) is always a rebalance, from cash.

    Examples
    --------
    >>> Rebalance.parse("weekly")
    Rebalance.WEEKLY
    >>> Rebalance.parse("5")
    Rebalance.every(5)
    """

    frequency: Frequency
    n_days: int = 1

    DAILY: ClassVar[Rebalance]
    WEEKLY: ClassVar[Rebalance]
    MONTHLY: ClassVar[Rebalance]
    QUARTERLY: ClassVar[Rebalance]

    @classmethod
    def every(cls, n_days: int) -> Rebalance:
        if isinstance(n_days, bool) or not isinstance(n_days, int) or n_days < 1:
            raise ConfigError(f"rebalance: every N days needs an integer N >= 1, got {n_days!r}")
        return cls(Frequency.EVERY_N_DAYS, n_days)

    @classmethod
    def parse(cls, value: str | int | Rebalance) -> Rebalance:
        """From ``daily|weekly|monthly|quarterly``, ``N``, ``Nd`` or ``every-N``."""
        if isinstance(value, Rebalance):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls.every(value)
        text = str(value).strip().lower()
        named = {f.value: f for f in Frequency if f is not Frequency.EVERY_N_DAYS}
        if text in named:
            return cls(named[text])
        match = re.fullmatch(r"(?:every[-_ ]?)?(\d+)\s*d?(?:ays?)?", text)
        if match:
            return cls.every(int(match.group(1)))
        raise ConfigError(
            f"rebalance: cannot read {value!r}; use daily, weekly, monthly, quarterly, "
            "or a number of trading days such as 5 or every-5"
        )

    def __repr__(self) -> str:
        if self.frequency is Frequency.EVERY_N_DAYS:
            return f"Rebalance.every({self.n_days})"
        return f"Rebalance.{self.frequency.name}"

    def __str__(self) -> str:
        if self.frequency is Frequency.EVERY_N_DAYS:
            return f"every-{self.n_days}"
        return self.frequency.value

    def decision_mask(self, span: pd.DatetimeIndex) -> np.ndarray:
        """Which dates of ``span`` are decisions.

        ``span[0]`` is the first decision (the close of the last training date);
        the last date is never one, since nothing is held after it.
        """
        n = len(span)
        if self.frequency is Frequency.DAILY:
            mask = np.ones(n, dtype=bool)
        elif self.frequency is Frequency.EVERY_N_DAYS:
            mask = np.arange(n) % self.n_days == 0
        else:
            period = {"weekly": "W", "monthly": "M", "quarterly": "Q"}[self.frequency.value]
            labels = span.to_period(period).asi8
            # The last trading date of each calendar period closes it.
            mask = np.append(labels[1:] != labels[:-1], True)
        mask[0] = True
        mask[-1] = n == 1
        return mask


Rebalance.DAILY = Rebalance(Frequency.DAILY)
Rebalance.WEEKLY = Rebalance(Frequency.WEEKLY)
Rebalance.MONTHLY = Rebalance(Frequency.MONTHLY)
Rebalance.QUARTERLY = Rebalance(Frequency.QUARTERLY)
