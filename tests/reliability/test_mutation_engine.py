"""Engine behaviours that surviving mutants showed unpinned (issue #18, item 7; docs/reliability.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import attrs
import pytest

from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.model import Rule, RuleTrace
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy


def _weights(*weights: str, how: str = "normalise"):
    policy = make_sample_policy()
    criteria = tuple(attrs.evolve(c, weight=D(w)) for c, w in zip(policy.scoring.criteria, weights))
    return attrs.evolve(policy, scoring=attrs.evolve(policy.scoring, criteria=criteria, weights=how))


def test_normalised_weights_that_sum_below_one_are_scaled_up():
    # impact 0.3 + feasibility 0.2 = 0.5: normalised to 0.6 and 0.4, the sample's own weights.
    half = evaluation_with(None, _weights("0.3", "0.2"), make_sample_initiatives()[:1])
    whole = evaluation_with(None, _weights("0.6", "0.4"), make_sample_initiatives()[:1])
    assert half.decisions[0].score == whole.decisions[0].score == D("0.464")
    weights = [line.weight for line in half.explanation("SMP-1").scores]
    assert weights == [D("0.6"), D("0.4")]


def test_weights_that_sum_to_zero_are_not_divided_by():
    evaluation = evaluation_with(None, _weights("0", "0"), make_sample_initiatives()[:1])
    assert evaluation.decisions[0].score == D(0)
    assert [line.weight for line in evaluation.explanation("SMP-1").scores] == [D(0), D(0)]


def test_an_unknown_scorer_is_located_in_the_policy_file():
    policy = make_sample_policy()
    criteria = (attrs.evolve(policy.scoring.criteria[0], scorer="expected_valu"), *policy.scoring.criteria[1:])
    with pytest.raises(PolicyLoadError) as info:
        evaluation_with(None, attrs.evolve(policy, scoring=attrs.evolve(policy.scoring, criteria=criteria)), ())
    (d,) = info.value.diagnostics
    assert (d.code, d.location.file, d.location.key) == (
        "BP506", "<budgetpolicy.testing sample policy>", "scoring.criteria[0].scorer")
    assert "did you mean 'expected_value'" in d.hint


def test_a_trace_shows_dotted_names_and_a_reason_fills_them_even_when_only_the_head_is_read():
    policy = make_sample_policy()
    rules = (Rule(id="win", condition="forecast['win-rate'] > 1 and attributes.mentor_hours == null", effect="flag",
                  message="m", reason="forecast {forecast.win-rate}, hours {attributes.mentor_hours}, "
                                      "ratings {ratings.feasibility}"),)
    policy = attrs.evolve(policy, approval=attrs.evolve(policy.approval, rules=rules))
    for as_of in (None, dt.date(2026, 3, 1)):
        evaluation = evaluation_with(None, policy, make_sample_initiatives()[:1], as_of=as_of)
        text = "forecast 2.5, hours none, ratings 4"
        assert [r.message for r in evaluation.decisions[0].reasons] == [text]
        assert evaluation.explanation("SMP-1").rules == (
            RuleTrace("win", "flag", "fired", text, None,
                      {"attributes.mentor_hours": None, "forecast.win-rate": D("2.5")}),)
