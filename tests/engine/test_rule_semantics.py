"""Rule semantics that mutation testing found unpinned (issue #18, item 7): each is asserted on real values."""

from __future__ import annotations

from decimal import Decimal as D
from types import ModuleType

import attrs
import pytest

from budgetpolicy import hookimpl
from budgetpolicy.engine.approve import _truthy
from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.model import FrozenMap, Rule
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy, with_criterion


def _with_rules(*rules: Rule):
    policy = make_sample_policy()
    return attrs.evolve(policy, approval=attrs.evolve(policy.approval, rules=rules))


def _rule(id: str, condition: str, effect: str = "flag", **kw):
    return Rule(id=id, condition=condition, effect=effect, message=f"message of {id}", **kw)


def test_a_policy_of_approve_rules_only_still_fast_tracks():
    policy = _with_rules(_rule("cheap", "cost < 1000000", "approve"), _rule("everything", "true", "approve"))
    evaluation = evaluation_with(None, policy, make_sample_initiatives()[:1])
    decision = evaluation.decisions[0]
    assert decision.outcome == "approved"
    statuses = [(t.rule_id, t.status) for t in evaluation.explanation(decision.initiative_id).rules]
    assert statuses == [("cheap", "fired"), ("everything", "not_reached")]
    assert [r.code for r in decision.reasons] == ["cheap"]


def test_every_bad_rule_condition_is_reported_at_once():
    policy = _with_rules(_rule("one", "cost >"), _rule("fine", "cost > 1"), _rule("two", "nosuchfield == 1"))
    with pytest.raises(PolicyLoadError) as info:
        evaluation_with(None, policy, ())
    keys = [d.location.key for d in info.value.diagnostics]
    assert keys == ["approval.rules[0].condition", "approval.rules[2].condition"]
    assert all(d.severity == "error" for d in info.value.diagnostics)


@pytest.mark.parametrize("value, truth", [
    ("", False), ("x", True), ([], False), ([0], True), ((), False), ({}, False), ({"a": 1}, True),
    (FrozenMap(), False), (FrozenMap({"a": 1}), True), (None, False), (D(0), False), (D("0.00"), False),
    (D("0.01"), True), (True, True), (False, False),
])
def test_what_counts_as_true_when_a_rule_reads_a_value_of_any_type(value, truth):
    assert _truthy(value) is truth


def _scorer_plugin(answer: D) -> ModuleType:
    @hookimpl
    def register_scorers(register):
        register("constant", lambda params, policy: lambda initiative: answer)

    plugin = ModuleType(f"constant-{answer}")
    plugin.register_scorers = register_scorers  # type: ignore[attr-defined]
    return plugin


@pytest.mark.parametrize("answer", [D(0), D(1), D("1.000")])
def test_a_scorer_may_answer_the_ends_of_zero_to_one(answer):
    policy = with_criterion(make_sample_policy(), "constant", criterion_id="constant")
    evaluation = evaluation_with(_scorer_plugin(answer), policy, make_sample_initiatives()[:1])
    (line,) = [s for s in evaluation.explanation(evaluation.decisions[0].initiative_id).scores
               if s.criterion == "constant"]
    assert line.raw == answer


@pytest.mark.parametrize("answer", [D("1.0001"), D("-0.0001")])
def test_a_scorer_answer_outside_zero_to_one_is_an_error_naming_it(answer):
    from budgetpolicy.errors import PluginError

    policy = with_criterion(make_sample_policy(), "constant", criterion_id="constant")
    with pytest.raises(PluginError) as info:
        evaluation_with(_scorer_plugin(answer), policy, make_sample_initiatives()[:1])
    assert "constant" in info.value.diagnostics[0].message
