"""Hierarchical risk parity: skfolio as an oracle on real data, known answers, properties.

skfolio's ``HierarchicalRiskParity`` reproduces ours when configured as the
paper is: ``RiskMeasure.VARIANCE``, ``PearsonDistance()`` (``sqrt(0.5 (1 - rho))``),
single linkage, and ``HierarchicalSeriation(optimal_ordering=False)``. Its
defaults differ in two ways that both change the weights, by several percent
on the sp500 data (see ``test_skfolio_defaults_are_a_different_hrp``):
Ward linkage instead of single, and an optimal leaf ordering of the tree,
which keeps the tree but reorders its leaves, and the recursive bisection cuts
that order in halves. The covariance (``EmpiricalCovariance(ddof=1)``, its
default) is the same as ours; the ddof would not matter anyway, since
inverse-variance shares and the split factor are scale-free. skfolio refuses an
asset with zero variance (``NonPositiveVarianceError``), so windows in which a
price did not move are compared only with our own known limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import leaves_list, linkage
from skfolio.cluster import HierarchicalClustering, LinkageMethod
from skfolio.distance import PearsonDistance
from skfolio.measures import RiskMeasure
from skfolio.moments import EmpiricalCovariance
from skfolio.optimization import HierarchicalRiskParity as SkfolioHRP
from skfolio.prior import EmpiricalPrior
from skfolio.seriation import HierarchicalSeriation

import riskalloc as ra
from riskalloc.risk import estimate_covariance
from riskalloc.strategies.classical import HierarchicalRiskParity
from riskalloc.strategies.classical._hrp import (
    correlation_distance,
    quasi_diagonal_order,
    recursive_bisection,
)

BULL_ASSETS = ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"]


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return ra.load_dataset("sp500")


def _skfolio_hrp(min_weight: float, max_weight: float, **overrides) -> SkfolioHRP:
    """skfolio's HRP configured as Lopez de Prado's (and ours)."""
    params = {
        "risk_measure": RiskMeasure.VARIANCE,
        "prior_estimator": EmpiricalPrior(covariance_estimator=EmpiricalCovariance(ddof=1)),
        "distance_estimator": PearsonDistance(),
        "seriation_estimator": HierarchicalSeriation(
            hierarchical_clustering_estimator=HierarchicalClustering(
                linkage_method=LinkageMethod.SINGLE
            ),
            optimal_ordering=False,
        ),
        "min_weights": min_weight,
        "max_weights": max_weight,
    }
    params.update(overrides)
    return SkfolioHRP(**params)


def _spread_dates(market: ra.MarketData, window: int, count: int) -> pd.DatetimeIndex:
    """``count`` dates spread over the whole history whose windows have no constant asset."""
    candidates = market.dates[np.linspace(window + 1, len(market) - 1, count + 5).astype(int)]
    windows = market.return_windows(candidates, window)
    moving = (windows.std(axis=1) > 0).all(axis=1)
    return candidates[moving][:count]


# --- skfolio as the oracle on real data --------------------------------------------------


@pytest.mark.parametrize("bounds", [(0.0, 1.0), "binding"], ids=["long-only", "bounded"])
@pytest.mark.parametrize("window", [50, 252])
@pytest.mark.parametrize("assets", ["bull-2010", "all-20"])
def test_weights_match_skfolio_on_real_data(sp500, assets, window, bounds):
    prices = sp500[BULL_ASSETS] if assets == "bull-2010" else sp500
    n_assets = prices.shape[1]
    # Bounds tight enough to bind on many dates: a floor at half and a cap at 1.6 x equal weight.
    lower, upper = (0.5 / n_assets, 1.6 / n_assets) if bounds == "binding" else bounds
    market = ra.MarketData(prices)
    dates = _spread_dates(market, window, count=12)
    assert len(dates) == 12

    strategy = HierarchicalRiskParity(window=window, min_weight=lower, max_weight=upper)
    ours = strategy.allocate(market, dates).to_numpy()
    windows = market.return_windows(dates, window)
    our_order = quasi_diagonal_order(
        correlation_distance(strategy._estimate(windows, dates).covariance)
    )

    for k in range(len(dates)):
        oracle = _skfolio_hrp(lower, upper).fit(np.asarray(windows[k]))
        # Same tree and leaf order (no near-ties on these dates), so the same bisection.
        np.testing.assert_array_equal(our_order[k], oracle.seriation_estimator_.ordering_)
        np.testing.assert_allclose(ours[k], oracle.weights_, rtol=0, atol=1e-8)
        covariance = oracle.prior_estimator_.return_distribution_.covariance
        assert strategy.objective_.iloc[k] == pytest.approx(
            ours[k] @ covariance @ ours[k], rel=1e-9
        )

    if bounds == "binding":  # the bounds did shape the answer, so the comparison covers them
        at_a_bound = np.isclose(ours, lower, atol=1e-12) | np.isclose(ours, upper, atol=1e-12)
        assert at_a_bound.any(axis=1).sum() >= 5


def test_skfolio_defaults_are_a_different_hrp(sp500):
    """Ward linkage or an optimal leaf order changes the weights: the configuration above matters."""
    market = ra.MarketData(sp500)
    dates = _spread_dates(market, 252, count=5)
    ours = HierarchicalRiskParity(window=252).allocate(market, dates).to_numpy()
    windows = market.return_windows(dates, 252)
    optimal_leaf_order = HierarchicalSeriation(
        hierarchical_clustering_estimator=HierarchicalClustering(
            linkage_method=LinkageMethod.SINGLE
        )
    )
    for variant in (SkfolioHRP(), _skfolio_hrp(0.0, 1.0, seriation_estimator=optimal_leaf_order)):
        gaps = [
            np.abs(variant.fit(np.asarray(windows[k])).weights_ - ours[k]).max() for k in range(5)
        ]
        assert max(gaps) > 1e-3


# --- known answers -----------------------------------------------------------------------


def _returns_with_covariance(covariance: np.ndarray, n_days: int, seed: int = 0) -> np.ndarray:
    """Daily returns whose sample covariance (ddof=1) is exactly ``covariance``."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n_days, len(covariance)))
    noise -= noise.mean(axis=0)
    whitened = noise @ np.linalg.inv(np.linalg.cholesky(np.cov(noise, rowvar=False)).T)
    return 0.0005 + whitened @ np.linalg.cholesky(covariance).T


def _market_from_returns(returns: np.ndarray, assets: list[str]) -> ra.MarketData:
    growth = np.vstack([np.ones(len(assets)), np.cumprod(1.0 + returns, axis=0)])
    dates = pd.bdate_range("2020-01-01", periods=len(growth))
    return ra.MarketData(pd.DataFrame(100.0 * growth, index=dates, columns=assets))


# Assets A and B (vols 10 %, 20 %, correlation 0.5) form one block, C (vol 15 %) another.
BLOCK_COVARIANCE = np.array(
    [[0.01, 0.5 * 0.1 * 0.2, 0.0], [0.5 * 0.1 * 0.2, 0.04, 0.0], [0.0, 0.0, 0.0225]]
)


def test_block_diagonal_known_answer_by_hand():
    """A and B merge first, then C joins; scipy lists the older cluster (C, id 2) first.

    Order [C, A, B], halves {C} | {A, B}. The block {A, B} held at inverse
    variance u = (1/a², 1/b²) / sum = (0.8, 0.2) has variance
    0.64*0.01 + 0.04*0.04 + 2*0.8*0.2*0.01 = 0.0112, so C gets
    1 - 0.0225 / (0.0225 + 0.0112) = 112/337; the block's 225/337 splits 0.8 / 0.2:
    A = 180/337, B = 45/337.
    """
    returns = _returns_with_covariance(BLOCK_COVARIANCE, n_days=60)
    market = _market_from_returns(returns, ["A", "B", "C"])
    strategy = HierarchicalRiskParity(window=60)
    weights = strategy.allocate(market, market.dates[-1:])
    np.testing.assert_allclose(weights.to_numpy()[0], [180 / 337, 45 / 337, 112 / 337], rtol=1e-10)
    np.testing.assert_array_equal(
        quasi_diagonal_order(correlation_distance(BLOCK_COVARIANCE[None])), [[2, 0, 1]]
    )
    assert strategy.allocation_methods_.iloc[0] == "hrp"
    # objective_ is w'Sw, checked against the independent evaluator: the sample variance of the portfolio.
    expected = np.var(returns @ weights.to_numpy()[0], ddof=1)
    assert strategy.objective_.iloc[0] == pytest.approx(expected, rel=1e-7)


def test_block_diagonal_known_answer_with_a_cap():
    """max_weight 0.5: the top split (C 112/337) is feasible; A's 180/337 is capped at 0.5 and B takes the rest."""
    weights = recursive_bisection(BLOCK_COVARIANCE[None], np.array([[2, 0, 1]]), 0.0, 0.5)
    np.testing.assert_allclose(weights[0], [0.5, 225 / 337 - 0.5, 112 / 337], rtol=1e-12)


def test_two_assets_get_inverse_variance_whatever_their_correlation():
    for rho in (-0.9, 0.0, 0.7):
        covariance = np.array([[[0.04, rho * 0.2 * 0.1], [rho * 0.2 * 0.1, 0.01]]])
        order = quasi_diagonal_order(correlation_distance(covariance))
        np.testing.assert_allclose(
            recursive_bisection(covariance, order)[0], [0.2, 0.8], rtol=1e-12
        )


def test_a_single_asset_holds_everything(sp500):
    market = ra.MarketData(sp500[["AAPL"]].iloc[:100])
    weights = HierarchicalRiskParity().allocate(market, market.dates[-3:])
    np.testing.assert_array_equal(weights.to_numpy(), 1.0)


# --- properties --------------------------------------------------------------------------


@st.composite
def covariances_and_bounds(draw):
    n_assets = draw(st.integers(2, 12))
    n_days = draw(st.integers(n_assets + 2, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((n_days, 2)) @ rng.normal(0, 1, (2, n_assets))
    returns = (factors + rng.standard_normal((n_days, n_assets))) * rng.uniform(
        0.005, 0.05, n_assets
    )
    covariance = np.cov(returns, rowvar=False)[None]
    lower = draw(st.floats(0.0, 1.0 / n_assets))
    upper = draw(st.floats(1.0 / n_assets, 1.0))
    return covariance, lower, upper


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(covariances_and_bounds())
def test_weights_are_positive_fully_invested_and_bounded(case):
    covariance, lower, upper = case
    order = quasi_diagonal_order(correlation_distance(covariance))
    unbounded = recursive_bisection(covariance, order)[0]
    assert np.all(unbounded > 0)
    assert unbounded.sum() == pytest.approx(1.0, abs=1e-12)

    bounded = recursive_bisection(covariance, order, lower, upper)[0]
    assert bounded.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(bounded >= lower - 1e-12) and np.all(bounded <= upper + 1e-12)
    if lower == 0.0:
        assert np.all(bounded > 0)
    # Scale-free: the same weights from the covariance in annual units.
    np.testing.assert_allclose(
        recursive_bisection(252.0 * covariance, order, lower, upper)[0], bounded, atol=1e-14
    )


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 15), st.integers(0, 2**32 - 1))
def test_leaf_order_is_scipys_leaves_list(n_assets, seed):
    rng = np.random.default_rng(seed)
    # Rounded distances make ties, where the tree's own conventions decide.
    distances = np.round(rng.uniform(0.0, 1.0, (3, n_assets * (n_assets - 1) // 2)), 1)
    expected = [leaves_list(linkage(row, method="single")) for row in distances]
    np.testing.assert_array_equal(quasi_diagonal_order(distances), expected)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(3, 8),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.1]),
    st.sampled_from([1.0, 0.45]),
)
def test_strategy_weights_are_valid_on_random_markets(n_assets, seed, lower, upper):
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0003, 0.015, (90, n_assets))
    market = _market_from_returns(returns, [f"X{i}" for i in range(n_assets)])
    weights = (
        HierarchicalRiskParity(window=30, min_weight=lower, max_weight=upper)
        .allocate(market, market.dates[-20:])
        .to_numpy()
    )
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(weights >= lower - 1e-12) and np.all(weights <= upper + 1e-12)
    assert np.all(weights > 0)


# --- degenerate windows ------------------------------------------------------------------


def test_a_constant_price_takes_the_weight_its_bounds_allow(sp500):
    """A riskless asset is the limit of inverse variance: nearly everything, or its cap."""
    prices = sp500[BULL_ASSETS].iloc[:300].copy()
    prices["CASH"] = 100.0
    market = ra.MarketData(prices)
    dates = market.dates[-5:]
    strategy = HierarchicalRiskParity(window=50)
    weights = strategy.allocate(market, dates)
    assert np.isfinite(weights.to_numpy()).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    assert (weights["CASH"] > 1 - 1e-6).all()
    assert (strategy.allocation_methods_ == "hrp (regularised covariance)").all()

    capped = HierarchicalRiskParity(window=50, max_weight=0.3).allocate(market, dates)
    np.testing.assert_allclose(capped["CASH"], 0.3, atol=1e-12)
    np.testing.assert_allclose(capped.sum(axis=1), 1.0, atol=1e-12)
    assert (capped.to_numpy() > 0).all() and (capped.to_numpy() <= 0.3 + 1e-12).all()


def test_the_real_stale_prices_of_rrc_give_a_defined_answer(sp500):
    """RRC's price did not move for 50 days up to 1990-03-15 (skfolio raises there)."""
    market = ra.MarketData(sp500)
    date = pd.DatetimeIndex(["1990-03-15"])
    assert (market.return_windows(date, 50)[0][:, sp500.columns.get_loc("RRC")] == 0).all()
    weights = HierarchicalRiskParity(window=50, max_weight=0.25).allocate(market, date).to_numpy()
    assert np.isfinite(weights).all() and weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert weights[0, sp500.columns.get_loc("RRC")] == pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize(("window", "assets"), [(5, "bull-2010"), (10, "all-20")])
def test_more_assets_than_days(sp500, window, assets):
    prices = sp500[BULL_ASSETS] if assets == "bull-2010" else sp500
    market = ra.MarketData(prices.iloc[1000:1200])
    strategy = HierarchicalRiskParity(window=window)
    weights = strategy.allocate(market, market.dates[-10:]).to_numpy()
    assert np.isfinite(weights).all() and (weights > 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    assert strategy.allocation_methods_.str.contains("regularised").all()
    assert np.isfinite(strategy.objective_).all() and (strategy.objective_ > 0).all()


# --- estimators, parameters, registry ----------------------------------------------------


@pytest.mark.parametrize("covariance", ["ledoit_wolf", "ewma"])
def test_the_tree_and_risks_use_the_chosen_covariance(sp500, covariance):
    market = ra.MarketData(sp500[BULL_ASSETS])
    dates = market.dates[[400, 900, 1500]]
    strategy = HierarchicalRiskParity(covariance=covariance, half_life=10.0)
    weights = strategy.allocate(market, dates).to_numpy()
    estimated = estimate_covariance(market.return_windows(dates, 50), covariance, 10.0)
    expected = recursive_bisection(estimated, quasi_diagonal_order(correlation_distance(estimated)))
    np.testing.assert_allclose(weights, expected, atol=1e-12)
    sample = HierarchicalRiskParity().allocate(market, dates).to_numpy()
    assert np.abs(weights - sample).max() > 1e-4


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_weight": -0.1}, "min_weight"),
        ({"min_weight": 0.2}, "min_weight=0.2 is infeasible"),
        ({"max_weight": 0.1}, "max_weight=0.1 is infeasible"),
        ({"window": 1}, "window"),
        ({"covariance": "robust"}, "covariance"),
    ],
)
def test_parameter_errors_name_the_parameter(sp500, params, message):
    market = ra.MarketData(sp500[BULL_ASSETS].iloc[:200])
    with pytest.raises(ra.ConfigError, match=message):
        HierarchicalRiskParity(**params).fit(market)


def test_registered_as_hrp():
    strategy = ra.get_strategy("hrp", window=60, max_weight=0.3)
    assert isinstance(strategy, HierarchicalRiskParity)
    assert strategy.name == "hrp" and strategy.min_history == 61
    assert HierarchicalRiskParity.param_names() == [
        "window",
        "covariance",
        "half_life",
        "min_weight",
        "max_weight",
    ]
