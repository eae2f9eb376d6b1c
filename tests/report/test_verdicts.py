"""The verdict card that ends a scenario of report.html (deep and RL strategies only)."""

from __future__ import annotations

from riskalloc.report import Run, scenario_verdicts, write_report
from riskalloc.report._verdicts import SELECTION_NOTE, strategy_families

MIXED = {"equal_weight": 1, "minimum_variance": 1, "deep_sharpe": 2, "rl_a2c": 3}


def _section(html: str, scenario: str = "synthetic") -> str:
    start = html.index(f'<section class="scenario" id="scenario-{scenario}">')
    return html[start : html.index("</section>", start)]


def test_families_come_from_the_registry_and_limited_strategies_keep_theirs():
    assert strategy_families(
        ["equal_weight", "risk_parity+limits", "deep_sharpe", "rl_a2c", "not_registered"]
    ) == {
        "equal_weight": "classical",
        "risk_parity+limits": "classical",
        "deep_sharpe": "deep",
        "rl_a2c": "rl",
    }


def test_each_deep_and_rl_strategy_gets_a_verdict_card_at_the_end_of_its_scenario(
    synthetic_run,
):
    path = synthetic_run(MIXED)
    run = Run.load(path)
    table = scenario_verdicts(run, "synthetic")
    assert list(table["strategy"]) == ["deep_sharpe", "rl_a2c"]
    assert set(table["best_classical"]) <= {"equal_weight", "minimum_variance"}
    section = _section(write_report(path).read_text())
    card = section[section.index('data-section="verdict"') :]
    # The last card of the scenario: nothing follows it.
    assert "data-section=" not in card[len('data-section="verdict"') :]
    assert '<table class="summary verdict">' in card
    for sentence in table["summary"]:
        assert sentence.split(":")[0] + ":" in card
    assert card.count("<li>") == 2
    assert SELECTION_NOTE.split(":")[0] in card  # says the pick is made on the test span
    # A run made without statistics has no p-value against 1/N: said so, not hidden.
    assert "not tested" in card


def test_no_deep_or_rl_strategy_no_verdict(synthetic_run):
    path = synthetic_run({"equal_weight": 1, "inverse_volatility": 1})
    assert scenario_verdicts(path, "synthetic").empty
    assert 'data-section="verdict"' not in write_report(path).read_text()
