"""Rebalancing schedules: parsing and which dates are decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.core import Frequency, Rebalance


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", Rebalance.DAILY),
        ("weekly", Rebalance.WEEKLY),
        ("monthly", Rebalance.MONTHLY),
        ("quarterly", Rebalance.QUARTERLY),
        (" Weekly ", Rebalance.WEEKLY),
        ("5", Rebalance.every(5)),
        ("every-5", Rebalance.every(5)),
        ("5d", Rebalance.every(5)),
        (5, Rebalance.every(5)),
        ("1", Rebalance.every(1)),
        (Rebalance.MONTHLY, Rebalance.MONTHLY),
    ],
)
def test_parse(text, expected):
    assert Rebalance.parse(text) == expected


def test_parsed_values_are_typed():
    weekly = Rebalance.parse("weekly")
    assert weekly.frequency is Frequency.WEEKLY
    every = Rebalance.parse("every-5")
    assert every.frequency is Frequency.EVERY_N_DAYS
    assert every.n_days == 5
    assert str(every) == "every-5"
    assert repr(every) == "Rebalance.every(5)"
    assert str(weekly) == "weekly"
    assert repr(weekly) == "Rebalance.WEEKLY"


@pytest.mark.parametrize("bad", ["fortnightly", "every-five", "-3", "weekly-ish", "", "1.5", True])
def test_parse_rejects_bad_input_naming_the_value(bad):
    with pytest.raises(ra.ConfigError, match="rebalance") as error:
        Rebalance.parse(bad)
    assert repr(bad) in str(error.value)


@pytest.mark.parametrize("bad", ["0", "every-0", 0, -2])
def test_every_needs_at_least_one_day(bad):
    with pytest.raises(ra.ConfigError, match=r"N >= 1"):
        Rebalance.parse(bad)


def test_every_n_days_counts_from_the_first_decision():
    span = pd.bdate_range("2021-03-01", periods=10)
    mask = Rebalance.every(3).decision_mask(span)
    # Closes 0, 3, 6 decide; 9 would, but it is the last date.
    assert mask.tolist() == [True, False, False, True, False, False, True, False, False, False]


def test_daily_decides_at_every_close_but_the_last():
    span = pd.bdate_range("2021-03-01", periods=6)
    assert Rebalance.DAILY.decision_mask(span).tolist() == [True] * 5 + [False]


def test_a_single_date_span_is_one_decision():
    span = pd.bdate_range("2021-03-01", periods=1)
    for schedule in (Rebalance.DAILY, Rebalance.WEEKLY, Rebalance.MONTHLY, Rebalance.every(4)):
        assert schedule.decision_mask(span).tolist() == [True]


@pytest.fixture(scope="module")
def sp500_span() -> pd.DatetimeIndex:
    """Real trading dates from a Wednesday in 2001 to the last trading day of 2015."""
    dates = ra.load_dataset("sp500").index
    span = dates[(dates >= "2001-08-01") & (dates <= "2015-12-31")]
    assert span[0].day_name() == "Wednesday"
    assert span[-1] == pd.Timestamp("2015-12-31")  # the last of its week, month and quarter
    return span


def _last_of_each_group(span: pd.DatetimeIndex, keys: list) -> np.ndarray:
    """True at the last date of each run of equal keys (an independent reference)."""
    expected = np.zeros(len(span), dtype=bool)
    last_seen = {}
    for position, key in enumerate(keys):
        last_seen[key] = position
    expected[list(last_seen.values())] = True
    return expected


@pytest.mark.parametrize(
    "schedule",
    [Rebalance.DAILY, Rebalance.WEEKLY, Rebalance.MONTHLY, Rebalance.QUARTERLY, Rebalance.every(7)],
)
def test_first_date_always_decides_and_the_last_never(sp500_span, schedule):
    mask = schedule.decision_mask(sp500_span)
    assert mask.dtype == bool
    assert len(mask) == len(sp500_span)
    assert mask[0]
    assert not mask[-1]


def test_weekly_picks_the_last_trading_day_of_each_week(sp500_span):
    mask = Rebalance.WEEKLY.decision_mask(sp500_span)
    iso = sp500_span.isocalendar()
    keys = list(zip(iso["year"], iso["week"], strict=True))
    expected = _last_of_each_group(sp500_span, keys)
    expected[0], expected[-1] = True, False
    np.testing.assert_array_equal(mask, expected)

    decided = set(sp500_span[mask])
    # Good Friday 2010 (closed): Thursday closes the week.
    assert pd.Timestamp("2010-04-01") in decided
    assert pd.Timestamp("2010-03-31") not in decided
    # Christmas 2015 fell on a Friday.
    assert pd.Timestamp("2015-12-24") in decided
    # The week of 11 September 2001 had one trading day, its Monday.
    assert pd.Timestamp("2001-09-10") in decided
    assert pd.Timestamp("2001-09-07") in decided
    # An ordinary week closes on Friday.
    assert pd.Timestamp("2010-04-09") in decided
    assert pd.Timestamp("2010-04-08") not in decided


def test_monthly_picks_the_last_trading_day_of_each_month(sp500_span):
    mask = Rebalance.MONTHLY.decision_mask(sp500_span)
    keys = list(zip(sp500_span.year, sp500_span.month, strict=True))
    expected = _last_of_each_group(sp500_span, keys)
    expected[0], expected[-1] = True, False
    np.testing.assert_array_equal(mask, expected)
    decided = set(sp500_span[mask])
    assert pd.Timestamp("2015-05-29") in decided  # 31 May 2015 was a Sunday
    assert pd.Timestamp("2015-06-30") in decided


def test_quarterly_picks_the_last_trading_day_of_each_quarter(sp500_span):
    mask = Rebalance.QUARTERLY.decision_mask(sp500_span)
    keys = list(zip(sp500_span.year, sp500_span.quarter, strict=True))
    expected = _last_of_each_group(sp500_span, keys)
    expected[0], expected[-1] = True, False
    np.testing.assert_array_equal(mask, expected)
