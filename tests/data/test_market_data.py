"""`MarketData`: simple returns, the past only, read-only arrays, a stable fingerprint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskalloc
from riskalloc.data import MarketData

NAN = np.nan
DATES = pd.DatetimeIndex(
    [
        "2021-01-04",
        "2021-01-05",
        "2021-01-06",
        "2021-01-07",
        "2021-01-08",
        "2021-01-11",
        "2021-01-12",
    ]
)  # Mon..Fri, then Mon, Tue: the weekend 9-10 January is not a trading date


def make_prices() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "A": [100.0, 110.0, 99.0, 99.0, 108.9, 120.0, 60.0],
            "B": [50.0, NAN, 55.0, 44.0, 44.0, 66.0, 33.0],  # one missing price
            "C": [NAN, NAN, 10.0, 11.0, 12.1, 12.1, 24.2],  # starts late
        },
        index=DATES,
    )


@pytest.fixture
def data() -> MarketData:
    return MarketData(make_prices(), name="toy")


# --- returns ---------------------------------------------------------------------------------


def test_returns_are_simple_returns_with_a_nan_first_row(data: MarketData) -> None:
    expected = pd.DataFrame(
        {
            "A": [NAN, 0.1, -0.1, 0.0, 0.1, 120.0 / 108.9 - 1.0, -0.5],
            "B": [NAN, NAN, NAN, -0.2, 0.0, 0.5, -0.5],  # NaN when either price is missing
            "C": [NAN, NAN, NAN, 0.1, 0.1, 0.0, 1.0],
        },
        index=DATES,
    )
    assert data.returns.index.equals(DATES)
    assert list(data.returns.columns) == ["A", "B", "C"]
    np.testing.assert_allclose(data.returns.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)
    assert data.returns.iloc[0].isna().all()


def test_returns_match_the_definition_on_real_prices() -> None:
    prices = riskalloc.load_dataset("sp500").iloc[:300]
    data = MarketData(prices)
    values = prices.to_numpy()
    np.testing.assert_allclose(
        data.returns.to_numpy()[1:], values[1:] / values[:-1] - 1.0, rtol=1e-14
    )
    assert np.isnan(data.returns.to_numpy()[0]).all()


def test_first_valid_dates(data: MarketData) -> None:
    first = data.first_valid_dates()
    assert first["A"] == DATES[0] and first["B"] == DATES[0] and first["C"] == DATES[2]


# --- the past only ---------------------------------------------------------------------------


def test_until_a_trading_date_includes_it_and_nothing_after(data: MarketData) -> None:
    past = data.until("2021-01-07")
    assert list(past.dates) == list(DATES[:4])
    assert past.prices.index.max() <= pd.Timestamp("2021-01-07")
    pd.testing.assert_frame_equal(past.prices, make_prices().iloc[:4], check_freq=False)
    pd.testing.assert_frame_equal(past.returns, data.returns.iloc[:4])


def test_until_a_non_trading_date_stops_at_the_last_date_before_it(data: MarketData) -> None:
    past = data.until("2021-01-10")  # a Sunday
    assert past.dates[-1] == pd.Timestamp("2021-01-08")
    assert len(past) == 5
    assert (past.dates <= pd.Timestamp("2021-01-10")).all()


def test_until_before_the_first_date_is_empty(data: MarketData) -> None:
    assert len(data.until("2020-12-31")) == 0
    assert len(data.until(DATES[-1])) == len(DATES)
    assert len(data.until("2030-01-01")) == len(DATES)


def test_between_is_inclusive_at_both_ends(data: MarketData) -> None:
    span = data.between("2021-01-05", "2021-01-11")
    assert list(span.dates) == list(DATES[1:6])
    assert list(data.between("2021-01-09", "2021-01-12").dates) == list(DATES[5:])  # weekend start
    assert list(data.between(None, "2021-01-06").dates) == list(DATES[:3])
    assert list(data.between("2021-01-08", None).dates) == list(DATES[4:])
    assert len(data.between("2021-01-09", "2021-01-10")) == 0


def test_a_later_slice_keeps_its_first_return(data: MarketData) -> None:
    span = data.between("2021-01-05", None)
    # 110 / 100 - 1 from the day before the slice, not NaN.
    assert span.returns.iloc[0]["A"] == pytest.approx(0.1, rel=1e-12)


def test_select_keeps_the_order_given(data: MarketData) -> None:
    chosen = data.select(["C", "A"])
    assert list(chosen.assets) == ["C", "A"]
    pd.testing.assert_frame_equal(chosen.returns, data.returns[["C", "A"]])


def test_select_an_unknown_asset_is_a_config_error(data: MarketData) -> None:
    with pytest.raises(riskalloc.ConfigError) as caught:
        data.select(["A", "ZZZ"])
    message = str(caught.value)
    assert "ZZZ" in message
    assert "A, B, C" in message  # the available assets


# --- read-only -------------------------------------------------------------------------------


def views(data: MarketData) -> dict[str, MarketData]:
    return {
        "full": data,
        "until": data.until("2021-01-08"),
        "between": data.between("2021-01-05", "2021-01-11"),
        "select": data.select(["B", "A"]),
    }


@pytest.mark.parametrize("view", ["full", "until", "between", "select"])
@pytest.mark.parametrize("frame", ["prices", "returns"])
def test_arrays_are_read_only(data: MarketData, view: str, frame: str) -> None:
    values = getattr(views(data)[view], frame).to_numpy()
    with pytest.raises(ValueError):
        values[-1, 0] = 1.0
    with pytest.raises(ValueError):
        values[:] = 0.0


@pytest.mark.parametrize("view", ["full", "select"])
@pytest.mark.parametrize("frame", ["prices", "returns"])
def test_writing_into_a_frame_in_place_raises(data: MarketData, view: str, frame: str) -> None:
    held = getattr(views(data)[view], frame)
    before = held.iloc[-1, 0]
    with pytest.raises(ValueError, match="read-only"):
        held.iloc[-1, 0] = 1.0
    assert held.iloc[-1, 0] == before


@pytest.mark.parametrize("view", ["until", "between"])
@pytest.mark.parametrize("frame", ["prices", "returns"])
def test_writing_into_a_slice_never_changes_the_data_it_came_from(
    data: MarketData, view: str, frame: str
) -> None:
    before = getattr(data, frame).copy()
    sliced = getattr(views(data)[view], frame)
    try:
        sliced.iloc[0, 0] = 1234.5
    except ValueError:
        pass  # refusing the write is fine too
    pd.testing.assert_frame_equal(getattr(data, frame), before)


def test_feature_arrays_are_read_only() -> None:
    features = pd.DataFrame({"vix": np.arange(len(DATES), dtype=float)}, index=DATES)
    data = MarketData(make_prices(), features=features)
    with pytest.raises(ValueError):
        data.features.to_numpy()[0, 0] = 99.0  # type: ignore[union-attr]


def test_changing_the_source_frame_does_not_change_the_data(data: MarketData) -> None:
    source = make_prices()
    held = MarketData(source)
    source.iloc[0, 0] = 1.0
    assert held.prices.iloc[0, 0] == 100.0


# --- fingerprint -----------------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_prices(data: MarketData) -> None:
    again = MarketData(make_prices(), name="another name")
    assert data.fingerprint() == data.fingerprint() == again.fingerprint()
    assert len(data.fingerprint()) == 64
    assert (
        data.until("2021-01-08").fingerprint() == MarketData(make_prices().iloc[:5]).fingerprint()
    )


def test_fingerprint_changes_when_one_price_changes(data: MarketData) -> None:
    changed = make_prices()
    changed.iloc[3, 1] = np.nextafter(changed.iloc[3, 1], np.inf)  # one ulp on one price
    assert MarketData(changed).fingerprint() != data.fingerprint()


def test_fingerprint_changes_with_dates_or_asset_names(data: MarketData) -> None:
    renamed = make_prices().rename(columns={"C": "D"})
    shifted = make_prices()
    shifted.index = DATES + pd.Timedelta(days=1)
    assert MarketData(renamed).fingerprint() != data.fingerprint()
    assert MarketData(shifted).fingerprint() != data.fingerprint()


# --- bad frames ------------------------------------------------------------------------------


def test_unsorted_or_duplicate_dates_are_refused() -> None:
    with pytest.raises(riskalloc.DataError, match="sorted and unique"):
        MarketData(make_prices().iloc[::-1], name="toy")
    with pytest.raises(riskalloc.DataError, match="sorted and unique"):
        MarketData(make_prices().iloc[[0, 0, 1]], name="toy")
    with pytest.raises(riskalloc.DataError, match="DatetimeIndex"):
        MarketData(make_prices().reset_index(drop=True), name="toy")
