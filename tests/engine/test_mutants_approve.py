"""Approval's edges that surviving mutants showed unpinned (issue #18 item 7; docs/reliability.md).

A condition that fails on a row is reported with the rule's id, the initiative and the place in the
policy, on both of the engine's paths (the one sweep of a policy without approve rules and no as-of
date, and the rule-by-rule run); a condition that does not compile names its rule; a sign-off rule
that did not fire still shows its role in the trace.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from budgetpolicy.errors import ExpressionError, PolicyLoadError
from budgetpolicy.model import RuleTrace
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy, with_rule

BOOM = "cost / (headcount - 12) > 1"  # SMP-1 has 12 heads: division by zero on that row only


def _without_approve_rules(policy):
    rules = tuple(r for r in policy.approval.rules if r.effect != "approve")
    return attrs.evolve(policy, approval=attrs.evolve(policy.approval, rules=rules))


@pytest.mark.parametrize("as_of", [None, dt.date(2026, 2, 1)], ids=["no-as-of", "as-of"])
@pytest.mark.parametrize("sweep", [True, False], ids=["sweepable", "with-approve-rule"])
def test_a_condition_failing_on_a_row_names_the_rule_the_initiative_and_the_place(as_of, sweep):
    policy = with_rule(make_sample_policy(), BOOM, rule_id="boom")
    policy = _without_approve_rules(policy) if sweep else policy
    with pytest.raises(ExpressionError) as info:
        evaluation_with(None, policy, make_sample_initiatives()[:2], as_of=as_of)
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.location.key) == (
        "BP350", "rule 'boom': division by zero (column 6) on initiative 'SMP-1'", "approval.rules[0].condition")


def test_the_same_policy_decides_the_rows_where_the_condition_does_not_fail():
    policy = _without_approve_rules(with_rule(make_sample_policy(), BOOM, rule_id="boom"))
    decisions = evaluation_with(None, policy, make_sample_initiatives()[1:3]).decisions
    assert [(d.initiative_id, d.outcome, d.flags) for d in decisions] == [
        ("SMP-2", "pending_approval", ()), ("SMP-3", "approved", ())]


def test_a_condition_that_does_not_compile_is_reported_with_its_rule_id():
    with pytest.raises(PolicyLoadError) as info:
        evaluation_with(None, with_rule(make_sample_policy(), "cost >", rule_id="bad"), [])
    (d,) = info.value.diagnostics
    assert (d.code, d.location.key) == ("BP301", "approval.rules[0].condition")
    assert d.message == ("rule 'bad': expected a value (number, string, name, '(' or '['), found end of "
                         "expression (column 7)")


def test_a_sign_off_rule_that_did_not_fire_keeps_its_role_in_the_trace():
    evaluation = evaluation_with(None, make_sample_policy(), make_sample_initiatives()[:1])
    (trace,) = [t for t in evaluation.explanation("SMP-1").rules if t.rule_id == "vp-over-25k"]
    assert trace == RuleTrace("vp-over-25k", "require", "not_fired", "condition is false", "vp", {"cost": 20000})


@pytest.mark.parametrize("sweep", [True, False], ids=["sweepable", "with-approve-rule"])
def test_a_rule_not_yet_in_force_is_skipped_and_the_rules_after_it_still_run(sweep):
    policy = with_rule(make_sample_policy(), "cost > 0", rule_id="later-flag", message="always")
    policy = with_rule(policy, "cost > 0", rule_id="july", message="from July",
                       effective_from=dt.date(2026, 7, 1))
    policy = _without_approve_rules(policy) if sweep else policy
    evaluation = evaluation_with(None, policy, make_sample_initiatives()[:1], as_of=dt.date(2026, 2, 1))
    assert evaluation.decisions[0].flags == ("later-flag",)
    july, later = evaluation.explanation("SMP-1").rules[:2]
    assert july == RuleTrace("july", "flag", "not_in_force", "not in force on 2026-02-01: effective from 2026-07-01")
    assert (later.rule_id, later.status, later.message) == ("later-flag", "fired", "always")


def test_every_rule_after_a_fast_track_is_traced_as_not_reached():
    policy = with_rule(make_sample_policy(), "true", effect="approve", rule_id="fast", message="fast track")
    evaluation = evaluation_with(None, policy, make_sample_initiatives()[:1])
    traces = evaluation.explanation("SMP-1").rules
    assert [(t.rule_id, t.status) for t in traces] == [("fast", "fired")] + [
        (r.id, "not_reached") for r in make_sample_policy().approval.rules]
    assert {t.message for t in traces[1:]} == {"an earlier approve rule fast-tracked"}
