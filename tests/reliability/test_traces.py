"""Exact rule traces and rendered reason templates (issue #18, item 7).

Each test asserts the whole value a user sees: every trace field (rule, effect, status, message, role,
the values the condition read) and every reason's text, so a change to any of them fails here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import attrs
import pytest

from budgetpolicy.model import Reason, Rule, RuleTrace
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy


def _policy(*rules: Rule):
    policy = make_sample_policy()
    return attrs.evolve(policy, approval=attrs.evolve(policy.approval, rules=rules))


def _bootcamp(**changes):
    return attrs.evolve(make_sample_initiatives()[0], **changes)  # SMP-1: training, Sales, 20,000, win-rate


RULES = (
    Rule(id="dated", condition="true", effect="flag", message="dated", effective_from=dt.date(2026, 7, 1)),
    Rule(id="expired", condition="true", effect="flag", message="expired", effective_until=dt.date(2026, 1, 31)),
    Rule(id="big", condition="cost > 10000 and headcount >= 12", effect="require", role="vp", message="big",
         reason="cost {cost} for {headcount} people in {department}; {nosuch} stays"),
    Rule(id="cheap", condition="cost < 1000", effect="reject", message="too cheap to matter"),
    Rule(id="sales", condition="department == 'Sales'", effect="flag", message="a Sales bet",
         reason="linked to {priorities}; forecast {forecast}; mentor {mentor}; pilot {pilot}"),
    Rule(id="fast", condition="probability >= 0.8", effect="approve", message="likely to work"),
    Rule(id="late", condition="true", effect="reject", message="never reached"),
)


def test_every_trace_field_on_the_rule_by_rule_path():
    evaluation = evaluation_with(None, _policy(*RULES), [_bootcamp()], as_of=dt.date(2026, 3, 1))
    decision = evaluation.decisions[0]
    assert decision.outcome == "pending_approval" and decision.required_approvers == ("vp",)
    assert decision.flags == ("sales",)
    assert decision.reasons == (
        Reason("big", "cost 20,000 for 12 people in Sales; {nosuch} stays"),
        Reason("sales", "linked to win-rate; forecast win-rate: 2.5; mentor none; pilot no"),
        Reason("fast", "likely to work"),
    )
    assert evaluation.explanation("SMP-1").rules == (
        RuleTrace("dated", "flag", "not_in_force", "not in force on 2026-03-01: effective from 2026-07-01"),
        RuleTrace("expired", "flag", "not_in_force", "not in force on 2026-03-01: expired 2026-01-31"),
        RuleTrace("big", "require", "fired", "cost 20,000 for 12 people in Sales; {nosuch} stays", "vp",
                  {"cost": D(20000), "headcount": D(12)}),
        RuleTrace("cheap", "reject", "not_fired", "condition is false", None, {"cost": D(20000)}),
        RuleTrace("sales", "flag", "fired", "linked to win-rate; forecast win-rate: 2.5; mentor none; pilot no",
                  None, {"department": "Sales"}),
        RuleTrace("fast", "approve", "fired", "likely to work", None, {"probability": D("0.8")}),
        RuleTrace("late", "reject", "not_reached", "an earlier approve rule fast-tracked"),
    )


def test_a_reject_before_the_fast_track_still_wins_and_drops_the_sign_off():
    evaluation = evaluation_with(None, _policy(*RULES), [_bootcamp(cost=D(500))], as_of=dt.date(2026, 3, 1))
    decision = evaluation.decisions[0]
    assert decision.outcome == "rejected" and decision.required_approvers == ()
    # The require rule did not fire (headcount is 12 but cost is 500); the reject and the flag did.
    assert decision.reasons == (Reason("cheap", "too cheap to matter"),
                                Reason("sales", "linked to win-rate; forecast win-rate: 2.5; mentor none; pilot no"),
                                Reason("fast", "likely to work"))
    statuses = [(t.rule_id, t.status) for t in evaluation.explanation("SMP-1").rules]
    assert statuses == [("dated", "not_in_force"), ("expired", "not_in_force"), ("big", "not_fired"),
                        ("cheap", "fired"), ("sales", "fired"), ("fast", "fired"), ("late", "not_reached")]


def test_a_sign_off_that_fired_is_dropped_from_the_reasons_of_a_rejected_initiative():
    rules = (Rule(id="vp", condition="cost > 1", effect="require", role="vp", message="needs a vp"),
             Rule(id="cfo", condition="cost > 1", effect="require", role="cfo", message="needs a cfo"),
             Rule(id="vp-again", condition="cost > 2", effect="require", role="vp", message="vp twice"),
             Rule(id="no", condition="kind == 'training'", effect="reject", message="no training"),
             Rule(id="note", condition="true", effect="flag", message="noted"))
    for as_of in (None, dt.date(2026, 3, 1)):
        decision = evaluation_with(None, _policy(*rules), [_bootcamp()], as_of=as_of).decisions[0]
        assert decision.outcome == "rejected" and decision.required_approvers == ()
        assert decision.reasons == (Reason("no", "no training"), Reason("note", "noted"))
        assert decision.flags == ("note",)
    pending = evaluation_with(None, _policy(*rules[:3]), [_bootcamp()]).decisions[0]
    assert pending.outcome == "pending_approval" and pending.required_approvers == ("vp", "cfo")
    assert [r.code for r in pending.reasons] == ["vp", "cfo", "vp-again"]


@pytest.mark.parametrize("template, text", [
    ("{cost}", "20,000"),
    ("{probability}", "0.8"),
    ("{score} {expected_value}", "0.464 0.24"),  # bound for every rule, read by its condition or not
    ("{nosuch} {cost.x}", "{nosuch} none"),  # an unknown name stays as written; a path off a value is none
    ("{kind}/{department}", "training/Sales"),
    ("{priorities} {objectives}", "win-rate none"),
    ("{forecast.win-rate}", "2.5"),
    ("{attributes.mentor_hours}", "none"),
    ("{mentor}", "none"),
    ("{{cost}}", "{20,000}"),
    ("no placeholders at all", "no placeholders at all"),
    ("", "message"),  # an empty template is no template: the message is the reason
])
def test_a_reason_template_is_rendered_exactly(template, text):
    rule = Rule(id="r", condition="cost > 0 and probability > 0", effect="flag", message="message",
                reason=template or None)
    for as_of in (None, dt.date(2026, 3, 1)):
        evaluation = evaluation_with(None, _policy(rule), [_bootcamp()], as_of=as_of)
        assert evaluation.decisions[0].reasons == (Reason("r", text),)
        (trace,) = evaluation.explanation("SMP-1").rules
        assert trace.message == text


def test_a_reason_reads_the_scores_the_condition_gated_on():
    rule = Rule(id="r", condition="score > 0", effect="flag", message="m", reason="score {score}, ev {expected_value}")
    evaluation = evaluation_with(None, _policy(rule), [_bootcamp()])
    decision = evaluation.decisions[0]
    assert decision.score == D("0.464") and decision.expected_value == D("0.24")
    assert decision.reasons == (Reason("r", "score 0.464, ev 0.24"),)
