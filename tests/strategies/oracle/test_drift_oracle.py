"""The drift oracle: long-only maximum Sharpe on the true next-day drifts of a drift market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app
from riskalloc.core import ConfigError, daily_rate
from riskalloc.data import MarketData, drift_market, load_dataset
from riskalloc.strategies import strategy_class
from riskalloc.strategies.oracle import DriftOracle, long_only_max_sharpe

SPEC = "synthetic:drift:assets=5,days=400,seed=3"


def sharpe(weights: np.ndarray, mean: np.ndarray) -> float:
    """Sharpe ratio of a portfolio under covariance I (any sigma^2 I scales it alike)."""
    return float(weights @ mean / np.linalg.norm(weights))


# --- the closed form ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_the_closed_form_matches_a_numerical_long_only_max_sharpe(seed):
    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0002 * (seed - 2), 0.001, size=8)
    weights = long_only_max_sharpe(mean[None, :])[0]
    assert np.all(weights >= 0) and weights.sum() == pytest.approx(1.0, abs=1e-12)
    # SLSQP from several simplex points, an independent optimiser of the same problem.
    best = -np.inf
    for start in rng.dirichlet(np.ones(8), size=5):
        found = minimize(
            lambda w: -sharpe(w, mean),
            start,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * 8,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        best = max(best, sharpe(found.x, mean))
    assert sharpe(weights, mean) >= best - 1e-9
    # and nothing on the simplex beats it.
    samples = rng.dirichlet(np.full(8, 0.3), size=20_000)
    assert (samples @ mean / np.linalg.norm(samples, axis=1)).max() <= sharpe(weights, mean)


def test_without_a_positive_excess_return_it_holds_the_best_asset_alone():
    weights = long_only_max_sharpe(np.array([[-0.003, -0.001, -0.002, -0.001]]))
    np.testing.assert_array_equal(weights, [[0.0, 1.0, 0.0, 0.0]])  # the first on ties
    weights = long_only_max_sharpe(np.array([[0.003, -0.001, 0.001, 0.0]]))
    np.testing.assert_allclose(weights, [[0.75, 0.0, 0.25, 0.0]])


# --- through the backtest -----------------------------------------------------------------
def test_it_holds_the_max_sharpe_portfolio_of_the_drift_known_at_each_close():
    prices, drifts = drift_market(SPEC)
    result = ra.backtest(load_dataset(SPEC), ra.get_strategy("drift_oracle"), rebalance="weekly")
    dates = result.weights.index
    expected = long_only_max_sharpe(drifts.loc[dates].to_numpy())
    np.testing.assert_array_equal(result.weights.to_numpy(), expected)
    # with cash earning a rate, on the drifts in excess of it.
    result = ra.backtest(prices, DriftOracle(SPEC), risk_free=0.05)
    excess = drifts.loc[result.weights.index].to_numpy() - daily_rate(0.05, 252)
    np.testing.assert_array_equal(result.weights.to_numpy(), long_only_max_sharpe(excess))
    assert (result.weights.sum(axis=1) - 1.0).abs().max() < 1e-12


def test_it_works_on_a_subset_of_the_assets_and_a_later_span():
    prices, drifts = drift_market(SPEC)
    market = MarketData(prices[["SYN04", "SYN02"]].loc["2000-03-01":], name="two")
    result = ra.backtest(market, DriftOracle(SPEC))
    dates = result.weights.index
    expected = long_only_max_sharpe(drifts.loc[dates, ["SYN04", "SYN02"]].to_numpy())
    np.testing.assert_array_equal(result.weights.to_numpy(), expected)


def test_a_decision_reads_nothing_after_its_date():
    market = MarketData(load_dataset(SPEC))
    oracle = DriftOracle().fit(market.until("2000-09-29"))
    dates = market.dates[200:300]
    full = oracle.allocate(market, dates)
    cut = dates[40]
    past = oracle.allocate(market.until(cut), dates[:41])
    pd.testing.assert_frame_equal(full.iloc[:41], past)
    # A longer market with the same seed: the same drifts, the same decisions.
    longer = MarketData(load_dataset(SPEC.replace("days=400", "days=700")))
    again = DriftOracle().fit(longer.until("2000-09-29")).allocate(longer, dates)
    pd.testing.assert_frame_equal(full, again)


# --- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prices", "dataset", "named"),
    [
        (load_dataset("sp500").iloc[:300], None, "carries no synthetic market spec"),
        (load_dataset("sp500").iloc[:300], SPEC, "asset 'AAPL' of prices is not in"),
        (load_dataset(SPEC), SPEC.replace("seed=3", "seed=4"), "the return of 'SYN01' on"),
        (load_dataset(SPEC), SPEC.replace("days=400", "days=100"), "not consecutive dates"),
        (
            load_dataset(SPEC).iloc[::2],
            None,
            "dates of prices are not consecutive dates of synthetic:drift:assets=5",
        ),
        (load_dataset("synthetic:regime:assets=3,days=300"), None, "which has no drifts"),
        (load_dataset(SPEC), "synthetic:drift:persistence=2", "persistence must be in [0, 1)"),
    ],
)
def test_a_history_that_is_not_the_specs_market_raises_a_config_error(prices, dataset, named):
    with pytest.raises(ConfigError, match="drift_oracle") as raised:
        ra.backtest(prices, ra.get_strategy("drift_oracle", dataset=dataset))
    assert named in str(raised.value)


def test_it_is_registered_as_an_oracle_not_a_classical_strategy():
    assert "drift_oracle" in ra.list_strategies()
    assert strategy_class("drift_oracle").family == "oracle"
    assert ra.get_strategy("drift_oracle").get_params() == {"dataset": None}
    assert repr(ra.get_strategy("drift_oracle", dataset=SPEC)) == f"DriftOracle(dataset={SPEC!r})"


def test_the_command_line_runs_it_with_the_spec_as_a_param(tmp_path):
    out = tmp_path / "oracle"
    result = CliRunner().invoke(
        app,
        ["backtest", "--dataset", SPEC, "--assets", "SYN01,SYN03", "--strategy", "drift_oracle",
         "--param", f"dataset={SPEC}", "--train-fraction", "0.5", "--out", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    weights = pd.read_parquet(out / "weights.parquet")
    assert set(weights["asset"]) == {"SYN01", "SYN03"}
    np.testing.assert_allclose(weights.groupby("date")["weight"].sum(), 1.0)
