"""The named scenarios match the Data and scenarios table of ARCHITECTURE.md."""

from __future__ import annotations

import pandas as pd
import pytest

import riskalloc
from riskalloc.data import SCENARIOS, load_dataset, scenario

BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]
BEAR_ASSETS = ["PEP", "KO", "BAC", "GE", "PFE", "MRK", "WMT", "LLY"]


@pytest.mark.parametrize(
    ("name", "assets", "start", "end", "first_day", "last_day", "n_days"),
    [
        # NYSE sessions 2010..2016: 252+252+250+252+252+252+252 (Sandy closed 2 days of 2012).
        ("bull-2010", BULL_ASSETS, "2010-01-01", "2016-12-31", "2010-01-04", "2016-12-30", 1762),
        # 2003..2009 = 252+252+252+251+251+253+252.
        ("bear-2003", BEAR_ASSETS, "2003-01-01", "2009-12-31", "2003-01-02", "2009-12-31", 1763),
    ],
)
def test_fraction_scenarios_train_on_the_first_80_percent(
    name: str,
    assets: list[str],
    start: str,
    end: str,
    first_day: str,
    last_day: str,
    n_days: int,
) -> None:
    chosen = scenario(name)
    assert chosen.name == name
    assert list(chosen.prices.columns) == assets  # in that order
    dates = chosen.prices.index
    assert len(dates) == n_days
    assert dates[0] == pd.Timestamp(first_day)
    assert dates[-1] == pd.Timestamp(last_day)
    expected = load_dataset("sp500").loc[start:end, assets]
    pd.testing.assert_frame_equal(chosen.prices, expected)

    n_train = int(0.8 * len(dates))
    assert chosen.test_start == dates[n_train]
    assert chosen.train_end == dates[n_train - 1]
    assert (dates < chosen.test_start).sum() == n_train
    assert not chosen.prices.isna().any().any()


def test_covid_2017_trains_2010_to_2016_and_tests_2017_to_2022() -> None:
    covid = scenario("covid-2017")
    prices = covid.prices
    assert list(prices.columns) == list(load_dataset("sp500").columns)
    assert prices.shape[1] == 20
    assert prices.index[0] == pd.Timestamp("2010-01-04")  # first trading day of 2010
    assert prices.index[-1] == pd.Timestamp("2022-12-28")
    assert covid.test_start == pd.Timestamp("2017-01-03")  # first trading day of 2017
    assert covid.train_end == pd.Timestamp("2016-12-30")
    pd.testing.assert_frame_equal(prices, load_dataset("sp500").loc["2010-01-01":"2022-12-28"])


def test_covid_2017_stress_window_is_the_feb_mar_2020_crash_of_the_event_table() -> None:
    covid = scenario("covid-2017")
    windows = covid.stress_windows
    assert len(windows) == 1
    ((first, last),) = windows.values()
    # The S&P 500's closing peak and trough of the crash, as the one event table states.
    assert first == pd.Timestamp("2020-02-19")
    assert last == pd.Timestamp("2020-03-23")
    assert covid.test_start <= first and last <= covid.prices.index[-1]


def test_every_listed_scenario_loads() -> None:
    assert set(SCENARIOS) == {
        "bull-2010",
        "bear-2003",
        "covid-2017",
        "multi-asset-2008",
        "rates-1994",
    }
    for name in SCENARIOS:
        assert isinstance(scenario(name), riskalloc.Scenario)


def test_unknown_scenario_is_a_config_error_listing_the_names() -> None:
    with pytest.raises(riskalloc.ConfigError) as caught:
        scenario("bull-1999")
    message = str(caught.value)
    assert "'bull-1999'" in message
    for name in ("bull-2010", "bear-2003", "covid-2017", "multi-asset-2008", "rates-1994"):
        assert name in message


def test_changing_scenario_prices_does_not_change_the_next_scenario() -> None:
    first = scenario("bull-2010")
    value = first.prices.iloc[0, 0]
    first.prices.iloc[0, 0] = -1.0
    assert scenario("bull-2010").prices.iloc[0, 0] == value
