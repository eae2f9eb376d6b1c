"""skfolio and scikit-learn interoperability, both ways.

- Any skfolio optimiser is a riskalloc strategy (``from_skfolio``, ``--strategy
  skfolio:CLASS``), fitted on each decision's window: skfolio's ``MeanRisk()`` (minimum
  variance) gives riskalloc's own ``minimum_variance`` weights on real windows.
- Any riskalloc strategy is a skfolio estimator (``riskalloc.sklearn.AllocatorEstimator``):
  scikit-learn's ``check_estimator`` passes where its checks apply, and skfolio's
  ``cross_val_predict`` with ``WalkForward`` runs a riskalloc allocator fold by fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skfolio.model_selection import WalkForward, cross_val_predict
from skfolio.optimization import HierarchicalRiskParity, MeanRisk
from sklearn.utils.estimator_checks import check_estimator
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app
from riskalloc.core import ConfigError
from riskalloc.sklearn import AllocatorEstimator

#: Checks whose inputs riskalloc refuses by design, and why (the rest must pass).
_IMPOSSIBLE_RETURNS = (
    "feeds standard-normal numbers as returns: days below -100 % compound to negative or "
    "astronomically large prices, which riskalloc's validation refuses"
)
NOT_APPLICABLE = dict.fromkeys(
    [
        "check_estimators_overwrite_params",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_dtype_object",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
    ],
    _IMPOSSIBLE_RETURNS,
)
NOT_APPLICABLE["check_methods_sample_order_invariance"] = (
    "predict returns a skfolio Portfolio (skfolio's convention), not an array to index"
)


def test_scikit_learn_checks_pass_where_they_apply():
    results = check_estimator(
        AllocatorEstimator(), expected_failed_checks=NOT_APPLICABLE, on_fail=None
    )
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert failed <= set(NOT_APPLICABLE), failed - set(NOT_APPLICABLE)
    assert len(passed) >= 25


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    prices = ra.load_dataset("sp500").loc["2012-01-01":"2016-12-31", ["AAPL", "JPM", "KO", "XOM"]]
    return prices.pct_change(fill_method=None).iloc[1:]


def test_walk_forward_cross_validation_runs_a_riskalloc_allocator(returns):
    model = AllocatorEstimator("inverse_volatility", params={"window": 60})
    folds = WalkForward(train_size=252, test_size=63)
    predicted = cross_val_predict(model, returns, cv=folds)
    assert len(predicted.portfolios) == len(list(folds.split(returns)))
    # Each fold holds the weights of a fit on that fold's training rows only.
    for portfolio, (train, _) in zip(predicted.portfolios, folds.split(returns), strict=True):
        direct = AllocatorEstimator("inverse_volatility", params={"window": 60})
        direct.fit(returns.iloc[train])
        np.testing.assert_allclose(portfolio.weights, direct.weights_, rtol=1e-12)
    assert np.isfinite(predicted.sharpe_ratio)


def test_a_deep_allocator_is_a_skfolio_estimator(returns):
    params = {"network": "mlp", "hidden_size": 8, "epochs": 1, "lookback": 20,
              "retrain_every": None}  # fmt: skip
    model = AllocatorEstimator("deep_sharpe", params=params).fit(returns.iloc[:600])
    assert model.weights_.sum() == pytest.approx(1.0, abs=1e-9)
    portfolio = model.predict(returns.iloc[600:])
    assert len(portfolio.returns) == len(returns) - 600
    with pytest.raises(ConfigError, match="params go with a strategy given by name"):
        AllocatorEstimator(ra.get_strategy("equal_weight"), params={"x": 1}).fit(returns)


def test_skfolio_mean_risk_is_riskallocs_minimum_variance():
    scenario = ra.scenario("bull-2010")
    tight = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}
    wrapped = ra.strategies.from_skfolio(MeanRisk(solver_params=tight), window=126)
    ours = ra.get_strategy("minimum_variance", window=126)
    a = ra.backtest(scenario, wrapped, rebalance="monthly").weights
    b = ra.backtest(scenario, ours, rebalance="monthly").weights
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=2e-4)
    # The objective (portfolio variance) agrees far more tightly than the weights.
    windows = ra.MarketData(scenario.prices).return_windows(a.index, 126)
    covariance = np.einsum("kti,ktj->kij", windows - windows.mean(1, keepdims=True),
                           windows - windows.mean(1, keepdims=True)) / 125  # fmt: skip
    var_a = np.einsum("ki,kij,kj->k", a.to_numpy(), covariance, a.to_numpy())
    var_b = np.einsum("ki,kij,kj->k", b.to_numpy(), covariance, b.to_numpy())
    np.testing.assert_allclose(var_a, var_b, rtol=1e-5)


def test_skfolio_strategies_by_name_from_the_command_line(tmp_path):
    runner = CliRunner()
    common = ["backtest", "--scenario", "bull-2010", "--rebalance", "monthly"]
    ok = runner.invoke(app, [*common, "--strategy", "skfolio:MeanRisk", "--param",
                             "risk_measure=CVaR", "--param", "window=126",
                             "--out", str(tmp_path / "cvar")])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    metrics = pd.read_csv(tmp_path / "cvar" / "metrics.csv")
    assert metrics.loc[0, "strategy"] == "skfolio:MeanRisk"
    bad = runner.invoke(app, [*common, "--strategy", "skfolio:MeanRisk", "--param",
                              "risk_measure=Bogus", "--out", str(tmp_path / "bad")])  # fmt: skip
    assert bad.exit_code == 2 and "must be one of" in bad.output
    unknown = runner.invoke(app, [*common, "--strategy", "skfolio:Nope",
                                  "--out", str(tmp_path / "nope")])  # fmt: skip
    assert unknown.exit_code == 2 and "unknown skfolio optimiser 'Nope'" in unknown.output


def test_hierarchical_risk_parity_runs_through_the_backtest():
    result = ra.backtest(
        ra.scenario("bull-2010"),
        ra.strategies.from_skfolio(HierarchicalRiskParity(), window=252),
        rebalance="monthly",
    )
    assert np.allclose(result.weights.sum(axis=1), 1.0)
    assert result.methods.str.startswith("skfolio HierarchicalRiskParity").all()


def test_a_pipeline_with_pre_selection_weights_the_assets_it_kept():
    from skfolio.pre_selection import SelectKExtremes
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline([("keep", SelectKExtremes(k=4, highest=True)), ("optimise", MeanRisk())])
    result = ra.backtest(
        ra.scenario("bull-2010"),
        ra.strategies.from_skfolio(pipeline, window=126),
        rebalance="monthly",
    )
    held = (result.weights > 1e-9).sum(axis=1)
    assert held.max() <= 4 and np.allclose(result.weights.sum(axis=1), 1.0)
    # Which four changes with the window: the selection is made at each decision.
    chosen = {tuple(row.index[row > 1e-9]) for _, row in result.weights.iterrows()}
    assert len(chosen) > 1
