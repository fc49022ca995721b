"""Boundary and empty values through the compiled engine (issue #18, item 7).

Each case runs a real policy through ``compile_policy(...).evaluate``: conditions whose value is ``""``,
``[]`` or an empty map must not fire, on both of the engine's paths (the one-sweep path of a policy
without approve rules and no as-of date, and the rule-by-rule path); scorer answers at and just
outside the ends of 0..1, and NaN, are accepted or refused by name.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from types import ModuleType

import attrs
import pytest

from budgetpolicy import hookimpl
from budgetpolicy.errors import PluginError
from budgetpolicy.model import Rule
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy, with_criterion

AS_OF = dt.date(2026, 2, 1)


def _policy(*rules: Rule):
    policy = make_sample_policy()
    return attrs.evolve(policy, approval=attrs.evolve(policy.approval, rules=rules))


def _flag(id: str, condition: str) -> Rule:
    return Rule(id=id, condition=condition, effect="flag", message=f"flagged by {id}")


def _initiative(**changes):
    return attrs.evolve(make_sample_initiatives()[0], **changes)


# (condition, changes to the first sample initiative, whether it fires)
EMPTY_VALUES = [
    ("mentor", {"mentor": ""}, False),
    ("mentor", {"mentor": None}, False),
    ("mentor", {"mentor": "A. Lee"}, True),
    ("priorities", {"priorities": ()}, False),
    ("priorities", {"priorities": ("win-rate",)}, True),
    ("forecast", {"forecast": {}, "priorities": ()}, False),
    ("forecast", {"forecast": {"win-rate": D(1)}}, True),
    ("title if mentor else \"\"", {"mentor": None}, False),
    ("[] if mentor else priorities", {"mentor": "x"}, False),
    ("cost - cost", {}, False),
    ("cost - cost + 0.01", {}, True),
]


@pytest.mark.parametrize("as_of", [None, AS_OF], ids=["sweep", "rule-by-rule"])
@pytest.mark.parametrize("condition, changes, fires", EMPTY_VALUES)
def test_an_empty_value_does_not_fire_a_rule_on_either_path(condition, changes, fires, as_of):
    policy = _policy(_flag("probe", condition), _flag("always", "true"))
    evaluation = evaluation_with(None, policy, [_initiative(**changes)], as_of=as_of)
    decision = evaluation.decisions[0]
    assert decision.flags == (("probe", "always") if fires else ("always",))
    traces = evaluation.explanation(decision.initiative_id).rules
    assert traces[0].status == ("fired" if fires else "not_fired")
    assert traces[0].message == ("flagged by probe" if fires else "condition is false")


@pytest.mark.parametrize("as_of", [None, AS_OF], ids=["sweep", "rule-by-rule"])
def test_empty_values_behind_an_approve_rule(as_of):
    # With an approve rule the engine always goes rule by rule; an empty value must not fast-track.
    policy = _policy(Rule(id="fast", condition="priorities if mentor else []", effect="approve", message="fast"),
                     _flag("after", "true"))
    evaluation = evaluation_with(None, policy, [_initiative(mentor="")], as_of=as_of)
    decision = evaluation.decisions[0]
    assert decision.outcome == "approved" and decision.flags == ("after",)
    assert [(t.rule_id, t.status) for t in evaluation.explanation(decision.initiative_id).rules] == [
        ("fast", "not_fired"), ("after", "fired")]


def _constant(answer: object) -> ModuleType:
    @hookimpl
    def register_scorers(register):
        register("constant", lambda params, policy: lambda initiative: answer)

    plugin = ModuleType(f"constant-{answer!r}")
    plugin.register_scorers = register_scorers  # type: ignore[attr-defined]
    return plugin


def _constant_policy():
    return with_criterion(make_sample_policy(), "constant", criterion_id="constant")


@pytest.mark.parametrize("answer, raw", [(D(0), D(0)), (D(1), D(1)), (D("0.0000"), D(0)), (D("1.0000"), D(1)),
                                         (0, D(0)), (1, D(1)), ((D(1), "all of it"), D(1))])
def test_a_scorer_answer_at_either_end_is_kept_exactly(answer, raw):
    evaluation = evaluation_with(_constant(answer), _constant_policy(), make_sample_initiatives()[:1])
    (line,) = [s for s in evaluation.explanation("SMP-1").scores if s.criterion == "constant"]
    assert line.raw == raw
    # Weight 1 of the normalised 2.0 total: the constant adds exactly half its answer to the score.
    without = evaluation_with(_constant(D(0)), _constant_policy(), make_sample_initiatives()[:1])
    assert evaluation.decisions[0].score - without.decisions[0].score == raw / 2


@pytest.mark.parametrize("answer, says", [
    (D("1.0000000001"), "returned 1.0000000001 for initiative 'SMP-1', outside 0..1"),
    (D("-0.0000000001"), "returned -1E-10 for initiative 'SMP-1', outside 0..1"),
    (D("NaN"), "returned NaN for initiative 'SMP-1', outside 0..1"),
    (D("sNaN"), "returned sNaN for initiative 'SMP-1', outside 0..1"),
    (D("Infinity"), "returned Infinity for initiative 'SMP-1', outside 0..1"),
    (2, "returned 2 for initiative 'SMP-1', outside 0..1"),
    (float("nan"), "returned float for initiative 'SMP-1'; a scorer must return a Decimal in 0..1"),
    (0.5, "returned float for initiative 'SMP-1'; a scorer must return a Decimal in 0..1"),
    (True, "returned bool for initiative 'SMP-1'; a scorer must return a Decimal in 0..1"),
    (None, "returned NoneType for initiative 'SMP-1'; a scorer must return a Decimal in 0..1"),
])
def test_a_scorer_answer_outside_zero_to_one_or_not_a_number_is_refused_by_name(answer, says):
    with pytest.raises(PluginError) as info:
        evaluation_with(_constant(answer), _constant_policy(), make_sample_initiatives()[:1])
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "BP503"
    assert diagnostic.message.startswith("scorer 'constant' (plugin 'constant-")
    assert diagnostic.message.endswith(f"criterion 'constant') {says}")


@pytest.mark.parametrize("answer", [D(2), "high"])
def test_a_refused_scorer_answer_points_at_the_initiatives_row(answer):
    from budgetpolicy.errors import Location

    where = Location(file="initiatives.csv", row=7)
    initiative = attrs.evolve(make_sample_initiatives()[0], location=where)
    with pytest.raises(PluginError) as info:
        evaluation_with(_constant(answer), _constant_policy(), [initiative])
    assert info.value.diagnostics[0].location == where
    assert str(info.value).startswith("initiatives.csv: row 7: BP503 error: scorer 'constant'")
