"""Minimum CVaR and mean-CVaR: the optimiser's objective against the independent evaluator,
skfolio as an oracle on real data, a known answer, properties, errors, and compile-once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import riskalloc as ra
from riskalloc.risk import conditional_value_at_risk, portfolio_mean
from riskalloc.strategies.classical import MeanCVaR, MinimumCVaR, _cvar, _optimiser

EXACT = 1e-12  # our weights: clipped to the bounds, budget restored after the solver
SOLVER = 1e-8  # another library's weights, as its solver meets the constraints


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return ra.load_dataset("sp500")


@pytest.fixture(scope="module")
def bull() -> ra.MarketData:
    return ra.MarketData(ra.scenario("bull-2010").prices, name="bull-2010")


def _spread_dates(market: ra.MarketData, window: int, count: int) -> pd.DatetimeIndex:
    positions = np.linspace(window, len(market.dates) - 1, count).round().astype(int)
    return market.dates[positions]


def _prices_from_returns(returns: np.ndarray, assets: list[str] | None = None) -> pd.DataFrame:
    """Prices whose simple daily returns are ``returns`` (one more row: the first price)."""
    growth = np.vstack([np.ones(returns.shape[1]), 1.0 + returns])
    columns = assets or [f"A{i}" for i in range(returns.shape[1])]
    index = pd.bdate_range("2020-01-01", periods=len(growth))
    return pd.DataFrame(100.0 * np.cumprod(growth, axis=0), index=index, columns=columns)


def _mean_cvar_objective(weights, windows, risk_aversion, confidence):
    """``-w'mu + lambda CVaR``, recomputed from risk/'s functions."""
    mean = portfolio_mean(weights, windows.mean(axis=-2))
    return -mean + risk_aversion * conditional_value_at_risk(weights, windows, confidence)


def _assert_feasible(
    weights: np.ndarray, lower: float, upper: float, tolerance: float = EXACT
) -> None:
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=0, atol=tolerance)
    assert weights.min() >= lower - tolerance
    assert weights.max() <= upper + tolerance


# --- the optimiser's own objective against the evaluator ------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"confidence": 0.9, "max_weight": 0.3},
        {"confidence": 0.99, "window": 120, "min_weight": -0.2},
    ],
    ids=["defaults", "cap-0.3-alpha-0.9", "shorts-alpha-0.99"],
)
def test_minimum_cvar_objective_is_the_evaluators_cvar(bull, params):
    strategy = MinimumCVaR(**params)
    dates = _spread_dates(bull, strategy.window, 40)
    weights = strategy.fit(bull.until(dates[0])).allocate(bull, dates).to_numpy()
    windows = bull.return_windows(dates, strategy.window)
    expected = conditional_value_at_risk(weights, windows, strategy.confidence)
    np.testing.assert_allclose(strategy.objective_.to_numpy(), expected, rtol=0, atol=1e-7)
    assert strategy.objective_.index.equals(dates)
    assert (strategy.allocation_methods_ == "minimum_cvar").all()
    _assert_feasible(weights, strategy.min_weight, strategy.max_weight)


@pytest.mark.parametrize("risk_aversion", [0.0, 0.5, 1.0, 5.0])
def test_mean_cvar_objective_is_minus_mean_plus_lambda_cvar(bull, risk_aversion):
    strategy = MeanCVaR(risk_aversion=risk_aversion, max_weight=0.5)
    dates = _spread_dates(bull, strategy.window, 40)
    weights = strategy.allocate(bull, dates).to_numpy()
    windows = bull.return_windows(dates, strategy.window)
    expected = _mean_cvar_objective(weights, windows, risk_aversion, strategy.confidence)
    np.testing.assert_allclose(strategy.objective_.to_numpy(), expected, rtol=0, atol=1e-7)
    _assert_feasible(weights, 0.0, 0.5)


def test_mean_cvar_trades_mean_for_cvar_as_risk_aversion_grows(bull):
    dates = _spread_dates(bull, 50, 20)
    windows = bull.return_windows(dates, 50)
    cvar, mean = [], []
    for risk_aversion in (0.0, 1.0, 100.0):
        weights = MeanCVaR(risk_aversion=risk_aversion).allocate(bull, dates).to_numpy()
        cvar.append(conditional_value_at_risk(weights, windows))
        mean.append(portfolio_mean(weights, windows.mean(axis=1)))
    # Non-increasing, up to the solver's tolerance where two risk aversions share an optimum.
    assert np.all(np.diff(cvar, axis=0) <= 1e-8) and np.all(np.diff(mean, axis=0) <= 1e-8)
    # A large risk aversion reaches the minimum-CVaR value.
    minimum = MinimumCVaR().allocate(bull, dates).to_numpy()
    np.testing.assert_allclose(cvar[-1], conditional_value_at_risk(minimum, windows), rtol=1e-4)


def test_a_perfect_hedge_has_zero_cvar():
    """Known answer: ``r_B = -r_A`` every day, so half in each loses nothing, and any other
    mix loses on the days the heavier asset falls."""
    rng = np.random.default_rng(3)
    a = rng.choice([-0.02, -0.01, 0.01, 0.02], size=60)
    c = rng.normal(0.0, 0.01, size=60)  # a third asset with losses of its own
    history = ra.MarketData(_prices_from_returns(np.column_stack([a, -a, c])))
    dates = history.dates[-3:]
    strategy = MinimumCVaR(window=50)
    weights = strategy.allocate(history, dates).to_numpy()
    # An interior-point optimum: exact to the solver's tolerance (about 1e-9 in CVaR).
    np.testing.assert_allclose(weights, np.tile([0.5, 0.5, 0.0], (3, 1)), atol=1e-6)
    np.testing.assert_allclose(strategy.objective_.to_numpy(), 0.0, atol=1e-8)


# --- skfolio as an independent oracle on the bundled real data --------------------------------

UNIVERSES = {
    "bull-2010-assets": ["AAPL", "GE", "JPM", "MSFT", "HD", "UNH", "LLY", "PFE"],
    "all-20": None,
}


@pytest.mark.parametrize("window", [50, 252])
@pytest.mark.parametrize("universe", list(UNIVERSES))
def test_minimum_cvar_is_at_least_as_good_as_skfolio(sp500, universe, window):
    from skfolio import RiskMeasure as SkfolioRiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    assets = UNIVERSES[universe] or list(sp500.columns)
    market = ra.MarketData(sp500[assets], name="sp500")
    dates = market.dates[[400, 2000, 3500, 5000, 6500, 8000]]  # 1991 to 2021
    ours = MinimumCVaR(window=window).allocate(market, dates).to_numpy()
    windows = market.return_windows(dates, window)
    for k, date in enumerate(dates):
        model = MeanRisk(
            risk_measure=SkfolioRiskMeasure.CVAR,
            objective_function=ObjectiveFunction.MINIMIZE_RISK,
            cvar_beta=0.95,
        ).fit(pd.DataFrame(windows[k], columns=assets))
        theirs = np.asarray(model.weights_, dtype=float)
        _assert_feasible(ours[k], 0.0, 1.0)
        _assert_feasible(theirs, 0.0, 1.0, SOLVER)
        our_cvar = conditional_value_at_risk(ours[k], windows[k], 0.95)
        their_cvar = conditional_value_at_risk(theirs, windows[k], 0.95)
        assert our_cvar <= their_cvar + 1e-6 * abs(their_cvar), (
            f"{universe}, window {window}, {date.date()}: our CVaR {our_cvar:.10g} "
            f"> skfolio's {their_cvar:.10g}"
        )


def test_mean_cvar_is_at_least_as_good_as_skfolios_utility(sp500):
    from skfolio import RiskMeasure as SkfolioRiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    market = ra.MarketData(sp500, name="sp500")
    dates = market.dates[[400, 3500, 8000]]
    ours = MeanCVaR(risk_aversion=2.0).allocate(market, dates).to_numpy()
    windows = market.return_windows(dates, 50)
    for k in range(len(dates)):
        # skfolio maximises mean - lambda CVaR with the sample mean: the same problem.
        theirs = (
            MeanRisk(
                risk_measure=SkfolioRiskMeasure.CVAR,
                objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
                risk_aversion=2.0,
                cvar_beta=0.95,
            )
            .fit(pd.DataFrame(windows[k], columns=sp500.columns))
            .weights_
        )
        ours_value = _mean_cvar_objective(ours[k], windows[k], 2.0, 0.95)
        theirs_value = _mean_cvar_objective(np.asarray(theirs), windows[k], 2.0, 0.95)
        assert ours_value <= theirs_value + 1e-6 * abs(theirs_value)


# --- properties -------------------------------------------------------------------------------


@st.composite
def _problems(draw):
    n_assets = draw(st.integers(2, 6))
    window = draw(st.integers(5, 40))
    # Returns in basis points: realistic granularity, and exact zeros are common.
    basis_points = draw(
        hnp.arrays(np.int64, (window + 3, n_assets), elements=st.integers(-1500, 1500))
    )
    lower = draw(st.floats(-0.3, 1.0 / n_assets))
    upper = draw(st.floats(max(lower, 1.0 / n_assets), 1.0))
    confidence = draw(st.floats(0.5, 0.99))
    risk_aversion = draw(st.none() | st.floats(0.0, 10.0))  # None: minimum CVaR
    return basis_points / 10_000.0, window, lower, upper, confidence, risk_aversion


def _calm_window() -> np.ndarray:
    """Daily moves of one basis point: solved unscaled, Clarabel's absolute tolerances
    left the objective off by 1e-7 (a relative 3e-4); hypothesis found it."""
    returns = np.full((12, 5), 1e-4)
    returns[[1, 2, 3, 4], [1, 2, 0, 3]] = 0.0
    return returns


# Derandomised: the same 60 examples on every run. Random draws once found all-zero windows,
# where Clarabel reports the objective 1.05e-7 from the exact 0 (its absolute tolerance);
# a CI run must not pass or fail by the draw.
@settings(max_examples=60, deadline=None, derandomize=True)
@given(_problems())
@example((_calm_window(), 9, 0.0, 0.203125, 0.984375, 3.0))
def test_weights_are_fully_invested_within_bounds_and_optimal_by_the_evaluator(problem):
    returns, window, lower, upper, confidence, risk_aversion = problem
    history = ra.MarketData(_prices_from_returns(returns))
    params = {"confidence": confidence, "window": window, "min_weight": lower, "max_weight": upper}
    strategy = MinimumCVaR(**params) if risk_aversion is None else MeanCVaR(risk_aversion, **params)
    dates = history.dates[-3:]
    weights = strategy.fit(history.until(dates[0])).allocate(history, dates).to_numpy()
    _assert_feasible(weights, lower, upper)
    windows = history.return_windows(dates, window)
    if risk_aversion is None:
        expected = conditional_value_at_risk(weights, windows, confidence)
    else:
        expected = _mean_cvar_objective(weights, windows, risk_aversion, confidence)
    np.testing.assert_allclose(strategy.objective_.to_numpy(), expected, rtol=0, atol=1e-7)
    # No feasible corner does better: equal weight is always feasible here.
    equal = np.full(returns.shape[1], 1.0 / returns.shape[1])
    if risk_aversion is None:
        benchmark = conditional_value_at_risk(equal, windows, confidence)
    else:
        benchmark = _mean_cvar_objective(equal, windows, risk_aversion, confidence)
    assert np.all(strategy.objective_.to_numpy() <= benchmark + 1e-7)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MinimumCVaR, MeanCVaR])
def test_bounds_that_cannot_be_met_name_the_constraint(bull, cls):
    dates = bull.dates[-2:]
    with pytest.raises(ra.ConfigError, match=r"max_weight=0\.1 is infeasible with 8 assets"):
        cls(max_weight=0.1).fit(bull)
    with pytest.raises(ra.ConfigError, match=r"max_weight=0\.1 is infeasible with 8 assets"):
        cls(max_weight=0.1).allocate(bull, dates)  # without fit, too
    with pytest.raises(ra.ConfigError, match=r"min_weight=0\.2 is infeasible with 8 assets"):
        cls(min_weight=0.2).fit(bull)
    with pytest.raises(ra.ConfigError, match="need min <= max"):
        cls(min_weight=0.3, max_weight=0.2).fit(bull)


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("minimum_cvar", {"confidence": 1.0}, "confidence"),
        ("minimum_cvar", {"confidence": 0.0}, "confidence"),
        ("mean_cvar", {"confidence": "95%"}, "confidence"),
        ("mean_cvar", {"risk_aversion": -1.0}, "risk_aversion"),
        ("mean_cvar", {"risk_aversion": float("inf")}, "risk_aversion"),
        ("minimum_cvar", {"window": 1}, "window"),
    ],
)
def test_invalid_parameters_are_named(bull, name, params, parameter):
    with pytest.raises(ra.ConfigError, match=f"{name}: parameter '{parameter}'"):
        ra.get_strategy(name, **params).fit(bull)


@pytest.mark.parametrize("status", ["infeasible", "solver_error"])
def test_a_solver_failure_raises_naming_the_strategy_and_the_date(bull, monkeypatch, status):
    import cvxpy as cp

    def failing_solve(problem, *args, **kwargs):
        if status == "solver_error":
            raise cp.error.SolverError("Solver 'CLARABEL' failed.")
        problem._status = cp.INFEASIBLE  # what cvxpy records for an infeasible problem
        return np.inf

    monkeypatch.setattr(cp.Problem, "solve", failing_solve)
    dates = bull.dates[[-5, -1]]
    with pytest.raises(
        RuntimeError, match=f"mean_cvar on {dates[0].date()}: Clarabel found no solution"
    ):
        MeanCVaR().allocate(bull, dates)


# --- registry and compile-once ----------------------------------------------------------------


def test_both_are_registered():
    assert isinstance(ra.get_strategy("minimum_cvar"), MinimumCVaR)
    assert isinstance(ra.get_strategy("mean_cvar", risk_aversion=3.0), MeanCVaR)
    assert MeanCVaR.param_names() == [
        "risk_aversion",
        "confidence",
        "window",
        "min_weight",
        "max_weight",
    ]


def test_the_programme_is_compiled_once_per_allocate_call(bull, monkeypatch):
    """One cvxpy problem and one compilation, even when ``allocate`` works in chunks."""
    import cvxpy as cp

    built, compiled = [], []
    original_init, original_chain = _cvar._CVaRProgramme.__init__, cp.Problem._construct_chain

    def counting_init(self, *args, **kwargs):
        built.append(1)
        original_init(self, *args, **kwargs)

    def counting_chain(self, *args, **kwargs):
        compiled.append(1)
        return original_chain(self, *args, **kwargs)

    monkeypatch.setattr(_cvar._CVaRProgramme, "__init__", counting_init)
    monkeypatch.setattr(cp.Problem, "_construct_chain", counting_chain)
    # About 5 dates per chunk, so the 30 dates take 6 chunks.
    monkeypatch.setattr(_optimiser, "_CHUNK_VALUES", 5 * (8 * 8 * 4 + 50 * 8 * 3))
    strategy = MinimumCVaR()
    dates = bull.dates[-30:]
    weights = strategy.allocate(bull, dates)
    assert (len(built), len(compiled)) == (1, 1)
    assert strategy._programme is None  # the solver is not kept after the call
    # The chunked run gives what one chunk gives.
    monkeypatch.undo()
    np.testing.assert_array_equal(
        MinimumCVaR().allocate(bull, dates).to_numpy(), weights.to_numpy()
    )
