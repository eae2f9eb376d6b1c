"""Named market events: one table of calendar windows, used by every layer.

The regime tables, the stress analysis, the scenarios' stress windows and the
report all read their windows here, so "the 2008 crisis" is one span everywhere.

Equity crashes run from a closing peak of the S&P 500 (^GSPC) to its closing
trough, both inclusive, as read from the bundled ``sp500_index`` dataset (a test
checks the default ones against it):

- **2008 crisis**: 2007-10-09 (close 1565.15) to 2009-03-09 (close 676.53);
- **COVID crash** (Feb–Mar 2020): 2020-02-19 (close 3386.15) to 2020-03-23 (close 2237.40);
- **dot-com bust**: 2000-03-24 (close 1527.46) to 2002-10-09 (close 776.76).

The stress episodes of the multi-asset scenarios span whole calendar months, from
the first to the last NYSE trading day of those months:

- **1994 bond rout**: Feb–Nov 1994, the Fed's tightening from 3 % to 5.5 %; the
  10-year yield rose from 5.8 % to 8 % (1994-02-01 .. 1994-11-30);
- **Lehman panic**: Sep 2008 – Mar 2009, Lehman's failure to the equity trough
  (2008-09-02 .. 2009-03-31);
- **2011 debt crisis**: Jul–Oct 2011, the US debt-ceiling standoff and downgrade
  and the euro-area debt crisis (2011-07-01 .. 2011-10-31);
- **taper tantrum**: May–Sep 2013, the bond sell-off after the Fed said it might
  taper its purchases (2013-05-01 .. 2013-09-30);
- **2014 oil crash**: Jun 2014 – Feb 2016, WTI from $108 (2014-06-20) to $26
  (2016-02-11) (2014-06-02 .. 2016-02-29).

Tables that take "every window" by default (:func:`event_windows` with no names)
get :data:`DEFAULT_EVENTS` only, so adding a window here changes no default table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["DEFAULT_EVENTS", "EVENT_WINDOWS", "EventWindow", "event_windows"]


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
        EventWindow(
            "dot-com bust",
            "2000-03-24",
            "2002-10-09",
            "S&P 500 closing peak to closing trough after the dot-com bubble",
        ),
        EventWindow(
            "1994 bond rout",
            "1994-02-01",
            "1994-11-30",
            "Feb-Nov 1994: Fed tightening, the 10-year Treasury yield from 5.8 % to 8 %",
        ),
        EventWindow(
            "Lehman panic",
            "2008-09-02",
            "2009-03-31",
            "Sep 2008 - Mar 2009: Lehman's failure to the equity trough",
        ),
        EventWindow(
            "2011 debt crisis",
            "2011-07-01",
            "2011-10-31",
            "Jul-Oct 2011: US debt-ceiling standoff and downgrade, euro-area debt crisis",
        ),
        EventWindow(
            "taper tantrum",
            "2013-05-01",
            "2013-09-30",
            "May-Sep 2013: bond sell-off on the Fed's talk of tapering its purchases",
        ),
        EventWindow(
            "2014 oil crash",
            "2014-06-02",
            "2016-02-29",
            "Jun 2014 - Feb 2016: WTI crude from $108 to $26",
        ),
    )
}

#: The windows :func:`event_windows` gives when no name is asked for: the default
#: stress and crisis windows of the evaluation tables and the report.
DEFAULT_EVENTS: tuple[str, ...] = ("2008 crisis", "COVID crash")


def event_windows(*names: str) -> dict[str, tuple[str, str]]:
    """``name -> (first day, last day)`` as ISO dates, for the named events.

    With no names, the :data:`DEFAULT_EVENTS`; ``event_windows(*EVENT_WINDOWS)`` gives
    every window. An unknown name raises ``KeyError``.

    Examples
    --------
    >>> event_windows("taper tantrum")
    {'taper tantrum': ('2013-05-01', '2013-09-30')}
    """
    chosen = names or DEFAULT_EVENTS
    return {
        name: (
            EVENT_WINDOWS[name].start.strftime("%Y-%m-%d"),
            EVENT_WINDOWS[name].end.strftime("%Y-%m-%d"),
        )
        for name in chosen
    }
