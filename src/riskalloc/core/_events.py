"""Named market events: one table of calendar windows, used by every layer.

The regime tables, the stress analysis, the scenarios' stress windows and the
report all read their windows here, so "the 2008 crisis" is one span everywhere.

Windows run from a closing peak of the S&P 500 (^GSPC) to its closing trough,
both inclusive, as read from the bundled ``sp500_index`` dataset (a test checks
them against it):

- **2008 crisis**: 2007-10-09 (close 1565.15) to 2009-03-09 (close 676.53);
- **COVID crash** (Feb–Mar 2020): 2020-02-19 (close 3386.15) to 2020-03-23 (close 2237.40).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["EVENT_WINDOWS", "EventWindow", "event_windows"]


@dataclass(frozen=True)
class EventWindow:
    """A named calendar window, first and last day inclusive."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", pd.Timestamp(self.start))
        object.__setattr__(self, "end", pd.Timestamp(self.end))
        if self.end < self.start:
            raise ValueError(f"event window '{self.name}' ends before it starts")

    def covers(self, dates: pd.DatetimeIndex) -> bool:
        """Whether ``dates`` include at least one day of the window."""
        dates = pd.DatetimeIndex(dates)
        return bool(((dates >= self.start) & (dates <= self.end)).any())


#: Every named event, by name.
EVENT_WINDOWS: dict[str, EventWindow] = {
    window.name: window
    for window in (
        EventWindow(
            "2008 crisis",
            "2007-10-09",
            "2009-03-09",
            "S&P 500 closing peak to closing trough of the global financial crisis",
        ),
        EventWindow(
            "COVID crash",
            "2020-02-19",
            "2020-03-23",
            "S&P 500 closing peak to closing trough of the Feb-Mar 2020 crash",
        ),
    )
}


def event_windows(*names: str) -> dict[str, tuple[str, str]]:
    """``name -> (first day, last day)`` as ISO dates, for the named events (all when none)."""
    chosen = names or tuple(EVENT_WINDOWS)
    return {
        name: (
            EVENT_WINDOWS[name].start.strftime("%Y-%m-%d"),
            EVENT_WINDOWS[name].end.strftime("%Y-%m-%d"),
        )
        for name in chosen
    }
