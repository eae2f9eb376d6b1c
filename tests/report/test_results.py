"""Figures drawn from BacktestResult objects held in memory (issue 13): one result, a list,
a dict, seeds of one strategy, and the same figure data as the run folder of the same backtests."""

from __future__ import annotations

import importlib

import numpy as np
import plotly.graph_objects as go
import pytest

import riskalloc as ra
from riskalloc import report
from riskalloc.core import ConfigError
from riskalloc.evaluation import METRIC_COLUMNS, StatisticsSettings
from riskalloc.runner import (
    BacktestSettings,
    DataSource,
    SourceKind,
    StrategyChoice,
    run_benchmark,
)

from ._runs import PLUGIN_DIR, finite_data

SCENARIO = "bull-2010"
CLASSICAL = ("equal_weight", "inverse_volatility")


def _weights_of_the_first(results, **options):
    """portfolio_weights draws one strategy: the first one of the results."""
    run = report.Run.from_results(results, **options)
    return report.portfolio_weights(run, strategy=run.strategies()[0])


# Each figure function and what it gives for classical results without prices:
# a figure, or None where the figure does not apply (no seeds, no forecasts) or needs
# the prices a result does not carry (documented in Run.from_results).
FIGURES = {
    report.cumulative_returns: go.Figure,
    report.drawdowns: go.Figure,
    _weights_of_the_first: go.Figure,
    report.risk_adjusted_returns: go.Figure,
    report.tail_risk: go.Figure,
    report.market_conditions: go.Figure,  # the S&P 500 index covers the test span
    report.summary_table: go.Figure,
    report.seed_stability: None,
    report.predictions_vs_actual: None,
    report.risk_attribution: None,
    report.risk_return: None,
}
NEED_PRICES = (report.risk_attribution, report.risk_return)


@pytest.fixture(scope="module")
def bull():
    return ra.scenario(SCENARIO)


@pytest.fixture(scope="module")
def results(bull) -> dict[str, ra.BacktestResult]:
    return {
        name: ra.backtest(bull, ra.get_strategy(name), rebalance="weekly") for name in CLASSICAL
    }


@pytest.fixture(scope="module")
def plugin():
    """The test plugin's seeded random allocator and trailing-mean forecaster."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PLUGIN_DIR))
        yield importlib.import_module("slow_strategy")


@pytest.fixture(scope="module")
def seeded(bull, plugin) -> list[ra.BacktestResult]:
    """Three seeds of one stochastic strategy and a strategy that forecasts."""
    return [
        ra.backtest(bull, plugin.SlowRandom(seed=seed, delay=0.0), rebalance="weekly")
        for seed in range(3)
    ] + [ra.backtest(bull, plugin.TrailingMeanForecast(), rebalance="weekly")]


def shapes(results: dict[str, ra.BacktestResult]) -> dict[str, object]:
    return {
        "one result": results["inverse_volatility"],
        "list": list(results.values()),
        "dict": {f"{name} (weekly)": result for name, result in results.items()},
    }


@pytest.mark.parametrize("shape", ["one result", "list", "dict"])
@pytest.mark.parametrize("build", FIGURES, ids=lambda f: f.__name__.strip("_"))
def test_every_figure_takes_one_result_a_list_or_a_dict(results, build, shape):
    figure = build(shapes(results)[shape])
    if FIGURES[build] is None:
        assert figure is None
        return
    assert isinstance(figure, go.Figure)
    assert figure.data and finite_data(figure) == []
    assert "backtest" in figure.layout.title.text  # the default scenario name


@pytest.mark.parametrize("build", NEED_PRICES, ids=lambda f: f.__name__)
def test_figures_that_need_prices_draw_them_when_given(results, bull, build):
    run = report.Run.from_results(results, prices=bull)
    assert run.scenarios == [SCENARIO]  # named after the Scenario given as prices
    figure = build(run)
    assert isinstance(figure, go.Figure)
    assert figure.data and finite_data(figure) == []


def test_labels_of_a_dict_name_the_strategies(results):
    figure = report.cumulative_returns(shapes(results)["dict"])
    assert [trace.name for trace in figure.data] == [
        "equal_weight (weekly)",
        "inverse_volatility (weekly)",
    ]


def test_cumulative_returns_plots_the_compounded_returns_of_the_result(results):
    result = results["inverse_volatility"]
    (trace,) = report.cumulative_returns(result).data
    # Wealth is 1 at the last training close (the first decision), then prod(1 + r).
    assert trace.x[0] == result.split.train_end
    assert list(trace.x[1:]) == list(result.returns.index)
    np.testing.assert_array_equal(trace.y, [1.0, *np.cumprod(1.0 + result.returns.to_numpy())])


def test_the_metrics_are_the_performance_of_each_result(results):
    run = report.Run.from_results(results)
    for name, result in results.items():
        row = run.metrics.set_index("strategy").loc[name, list(METRIC_COLUMNS)]
        np.testing.assert_array_equal(row.to_numpy(float), ra.performance(result).to_numpy(float))


def test_results_of_one_strategy_with_different_seeds_are_its_seeds(seeded):
    run = report.Run.from_results(seeded)
    assert run.strategies() == ["slow_random", "trailing_mean_forecast"]
    assert run.seeds("backtest", "slow_random") == [0, 1, 2]
    assert report.Run.from_results({"random": seeded[:3]}).seeds("backtest", "random") == [0, 1, 2]
    assert run.stochastic_strategies("backtest") == ["slow_random"]
    assert run.config["seeds"] == [0, 1, 2]
    assert "seed" not in run.config["strategies"]["slow_random"]
    assert isinstance(report.seed_stability(run), go.Figure)
    assert isinstance(report.predictions_vs_actual(run), go.Figure)
    line = next(
        t
        for t in report.cumulative_returns(run).data
        if t.meta == {"strategy": "slow_random", "role": "line"}
    )
    paths = np.stack([np.cumprod(1.0 + r.returns.to_numpy()) for r in seeded[:3]])
    np.testing.assert_allclose(line.y[1:], paths.mean(axis=0), rtol=1e-14)


def test_a_figure_of_results_equals_the_figure_of_their_run_folder(results, tmp_path):
    summary = run_benchmark(
        [DataSource(SourceKind.SCENARIO, SCENARIO)],
        [StrategyChoice(name) for name in CLASSICAL],
        tmp_path / "bench",
        settings=BacktestSettings(rebalance="weekly"),
        workers=1,
        progress=False,
        statistics=StatisticsSettings(enabled=False),
    )
    assert summary.ok, summary.failures
    from_folder = report.cumulative_returns(tmp_path / "bench", SCENARIO)
    from_results = report.cumulative_returns(report.Run.from_results(results, scenario=SCENARIO))
    assert [t.name for t in from_results.data] == [t.name for t in from_folder.data]
    for mine, stored in zip(from_results.data, from_folder.data, strict=True):
        np.testing.assert_array_equal(mine.y, stored.y)
        assert list(mine.x) == list(stored.x)
    assert from_results.to_json() == from_folder.to_json()  # layout and boundary too


def test_results_that_do_not_fit_one_run_are_named(results, seeded, bull):
    with pytest.raises(ConfigError, match="two results of 'equal_weight' with seed 0"):
        report.cumulative_returns([results["equal_weight"], results["equal_weight"]])
    with pytest.raises(ConfigError, match="got int"):
        report.cumulative_returns(3)
    with pytest.raises(ConfigError, match="no backtest results"):
        report.cumulative_returns([])
    other_window = ra.backtest(bull, ra.get_strategy("inverse_volatility", window=20))
    with pytest.raises(ConfigError, match="differ in window"):
        report.Run.from_results([results["inverse_volatility"], other_window])
    with pytest.raises(ConfigError, match="prices: no column for AAPL"):
        report.Run.from_results(results, prices=bull.prices.drop(columns="AAPL"))


def test_write_report_of_results_needs_a_folder_and_writes_it(results, bull, tmp_path):
    monthly = ra.backtest(bull, ra.get_strategy("equal_weight"), rebalance="monthly")
    labelled = {"weekly": results["equal_weight"], "monthly": monthly}
    with pytest.raises(ConfigError, match="out=FOLDER"):
        report.write_report(labelled)
    path = report.write_report(labelled, out=tmp_path / "report")
    assert path == tmp_path / "report" / "report.html"
    page = path.read_text()
    assert "Drawn from backtest results held in memory." in page
    assert "differs by strategy" in page  # weekly and monthly rebalancing
    assert 'data-section="cumulative-returns"' in page
