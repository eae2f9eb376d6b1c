"""Forecasts a strategy makes are stored next to what then happened, with no look-ahead into them."""

import numpy as np
import pandas as pd
import pytest

import riskalloc as ra
from riskalloc.backtest import realised_forecasts


def test_realised_values_are_the_next_days_returns(plugin_env):
    scenario = ra.scenario("bull-2010")
    result = ra.backtest(scenario, ra.get_strategy("trailing_mean_forecast"), rebalance="weekly")
    predictions = result.predictions
    assert list(predictions.columns) == ["date", "asset", "target", "predicted", "realised"]
    returns = ra.MarketData(scenario.prices).returns
    for _, row in predictions.sample(25, random_state=0).iterrows():
        following = returns.index[returns.index.get_loc(row["date"]) + 1]
        assert row["realised"] == returns.loc[following, row["asset"]]
    # The forecast itself: the trailing 20-day mean up to and including the decision date.
    row = predictions.iloc[100]
    window = returns.loc[: row["date"], row["asset"]].iloc[-20:]
    assert row["predicted"] == pytest.approx(window.mean(), rel=1e-12)
    # Every decision date forecasts every asset, except the last one with no next day held.
    assert predictions["date"].nunique() == len(result.weights)


def test_multi_day_horizon_and_volatility_targets():
    dates = pd.bdate_range("2020-01-01", periods=6)
    returns = pd.DataFrame({"A": [np.nan, 0.01, -0.02, 0.03, 0.01, -0.01]}, index=dates)
    forecasts = pd.DataFrame(
        {
            "date": [dates[1], dates[1], dates[4]],
            "asset": ["A", "A", "A"],
            "target": ["return", "volatility", "return"],
            "predicted": [0.0, 0.2, 0.0],
        }
    )
    frame = realised_forecasts(forecasts, returns, horizon=3, strategy="s")
    assert len(frame) == 2  # the forecast at dates[4] runs past the data
    assert frame.loc[0, "realised"] == pytest.approx(0.98 * 1.03 * 1.01 - 1, rel=1e-12)
    assert frame.loc[1, "realised"] == pytest.approx(
        np.std([-0.02, 0.03, 0.01], ddof=1) * np.sqrt(252)
    )


def test_volatility_is_annualised_at_the_datas_own_frequency():
    dates = pd.date_range("2020-01-03", periods=5, freq="W-FRI")
    returns = pd.DataFrame({"A": [np.nan, 0.02, -0.03, 0.01, 0.04]}, index=dates)
    forecasts = pd.DataFrame(
        {"date": [dates[1]], "asset": ["A"], "target": ["volatility"], "predicted": [0.2]}
    )
    frame = realised_forecasts(forecasts, returns, horizon=3, strategy="s", periods_per_year=52)
    assert frame.loc[0, "realised"] == pytest.approx(
        np.std([-0.03, 0.01, 0.04], ddof=1) * np.sqrt(52), rel=1e-12
    )


def test_bad_forecasts_are_named():
    dates = pd.bdate_range("2020-01-01", periods=3)
    returns = pd.DataFrame({"A": [np.nan, 0.01, 0.02]}, index=dates)
    with pytest.raises(ValueError, match="unknown target"):
        realised_forecasts(
            pd.DataFrame(
                {"date": [dates[0]], "asset": ["A"], "target": ["price"], "predicted": [1.0]}
            ),
            returns,
            1,
            "s",
        )
    with pytest.raises(ValueError, match="not in the data"):
        realised_forecasts(
            pd.DataFrame(
                {"date": [dates[0]], "asset": ["B"], "target": ["return"], "predicted": [1.0]}
            ),
            returns,
            1,
            "s",
        )


def test_benchmark_stores_predictions_and_the_report_draws_them(tmp_path, plugin_env):
    from riskalloc import report
    from riskalloc.runner import (
        BacktestSettings,
        DataSource,
        SourceKind,
        StrategyChoice,
        run_benchmark,
    )
    from riskalloc.store import RunStore

    out = tmp_path / "run"
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, "bull-2010")],
        [StrategyChoice("trailing_mean_forecast"), StrategyChoice("equal_weight")],
        out,
        workers=1,
        progress=False,
        settings=BacktestSettings(rebalance="weekly"),
    )
    assert summary.ok
    stored = RunStore(out).predictions()
    assert set(stored["strategy"]) == {"trailing_mean_forecast"}
    figure = report.predictions_vs_actual(out)
    strategies = {trace.meta["strategy"] for trace in figure.data if trace.meta}
    assert strategies == {"trailing_mean_forecast"}
    points = [trace for trace in figure.data if trace.meta]
    assert np.isfinite(np.asarray(points[0].x, dtype=float)).all()
    assert "corr" in points[0].name and "hit rate" in points[0].name
    html = report.write_report(out).read_text()
    assert 'data-section="predictions"' in html


def test_no_forecasting_strategy_no_predictions_card(tmp_path):
    from riskalloc import report
    from riskalloc.runner import DataSource, SourceKind, StrategyChoice, run_benchmark

    out = tmp_path / "run"
    run_benchmark(
        [DataSource(SourceKind.SCENARIO, "bull-2010")],
        [StrategyChoice("equal_weight")],
        out,
        workers=1,
        progress=False,
    )
    assert report.predictions_vs_actual(out) is None
    assert 'data-section="predictions"' not in report.write_report(out).read_text()
    assert not (out / "predictions.parquet").exists()
