"""The decision narrative, sentence by sentence (issue #18 item 7: rendered text asserted exactly).

``narrative`` is what a budget owner reads; each sentence comes from one part of the decision (the two
strongest criteria, the reject, require and flag rules that fired, the calibration, the funding), so each
is pinned with its exact words, and an unknown effect or outcome does not invent one.
"""

from __future__ import annotations

from decimal import Decimal as D

from budgetpolicy.engine.narrative import narrative
from budgetpolicy.model import Decision, Funding, Reason, RuleTrace, ScoreLine

LINES = (
    ScoreLine("impact", "expected_value", D("0.5"), D("0.4"), D("0.2")),
    ScoreLine("feasibility", "rubric", D("0.25"), D("0.8"), D("0.2")),
    ScoreLine("agility", "rubric", D("0.25"), D("0.4"), D("0.1")),
)
TRACES = (
    RuleTrace("no-plan", "reject", "fired", "No evaluation plan"),
    RuleTrace("no-link", "reject", "fired", "No priority"),
    RuleTrace("vp", "require", "fired", "Over 25,000 needs a VP", "vp"),
    RuleTrace("cfo", "require", "fired", "Over 50,000 needs finance", "finance"),
    RuleTrace("pilot", "flag", "fired", "A pilot"),
    RuleTrace("big", "flag", "fired", "Large cohort"),
    RuleTrace("fast", "approve", "fired", "Fast track"),
)


def _decision(outcome: str, *reasons: str, approvers: tuple[str, ...] = (), **fields) -> Decision:
    messages = {t.rule_id: t.message for t in TRACES}
    return Decision("I-1", outcome, D("0.5"), D("0.4"), approvers, (),
                    tuple(Reason(code, messages.get(code, f"message of {code}")) for code in reasons), **fields)


def test_the_two_strongest_criteria_by_weighted_score_then_by_name():
    # impact and feasibility tie at 0.2: name order puts feasibility first; agility (0.1) is third, left out.
    assert narrative(_decision("approved", "fast"), LINES, TRACES, "USD") == (
        "Approved: score 0.5 (strongest: feasibility 0.8, impact 0.4).")


def test_without_score_lines_there_is_no_strongest_clause():
    assert narrative(_decision("approved"), (), (), "USD") == "Approved: score 0.5."


def test_every_reject_reason_is_given_in_order_and_sign_offs_and_flags_each_in_their_sentence():
    decision = _decision("pending_approval", "no-plan", "vp", "pilot", "no-link", "cfo", "big",
                         approvers=("vp", "finance"))
    assert narrative(decision, LINES[2:], TRACES, "USD") == (
        "Pending approval: score 0.5 (strongest: agility 0.4). "
        "Rejected because: No evaluation plan; No priority. "
        "Needs sign-off from vp, finance (Over 25,000 needs a VP; Over 50,000 needs finance). "
        "Flagged: A pilot; Large cohort.")


def test_sign_offs_without_a_require_reason_name_only_the_roles():
    decision = _decision("pending_approval", "fast", approvers=("vp",))
    assert narrative(decision, (), TRACES, "USD") == "Pending approval: score 0.5. Needs sign-off from vp."


def test_a_reason_of_a_rule_without_a_trace_or_an_unknown_outcome_adds_nothing_invented():
    decision = _decision("escalated", "ghost")
    assert narrative(decision, (), TRACES, "USD") == "escalated: score 0.5."


def test_the_calibration_and_the_funding_sentences():
    calibration = {"group": "Sales", "factor": D("0.85")}
    funded = Funding(D("12500"), D("20000"), "expected_value", 3, "ranked 3rd by expected value per dollar")
    decision = _decision("approved", calibration=calibration, funding=funded)
    assert narrative(decision, (), (), "EUR") == (
        "Approved: score 0.5. Forecasts calibrated by 0.85 for Sales's track record. "
        "Allocation: EUR 12,500 of 20,000 requested; ranked 3rd by expected value per dollar.")


def test_an_unfunded_decision_says_no_funds():
    unfunded = Funding(D(0), D("8000"), "unfunded", None, "the pool ran out")
    assert narrative(_decision("deferred", funding=unfunded), (), (), "USD") == (
        "Deferred: score 0.5. Allocation: no funds of 8,000 requested; the pool ran out.")
    sunset = _decision("sunset")
    assert narrative(sunset, (), (), "USD") == "Sunset: score 0.5."


def test_one_unit_of_funding_is_funds():
    one = Funding(D(1), D("8000"), "partial", 7, "what the pool had left")
    assert narrative(_decision("approved", funding=one), (), (), "USD") == (
        "Approved: score 0.5. Allocation: USD 1 of 8,000 requested; what the pool had left.")


def test_amounts_with_cents_read_as_money():
    # 12,500.50 as a budget owner writes it (not 12,500.5); whole amounts stay without cents.
    cents = Funding(D("12500.50"), D("20000.5"), "partial", 4, "what the pool had left")
    assert narrative(_decision("approved", funding=cents), (), (), "USD") == (
        "Approved: score 0.5. Allocation: USD 12,500.50 of 20,000.50 requested; what the pool had left.")
