"""Counterfactuals: exact, hand-computed thresholds on a crafted policy and on the bundled example.

Crafted policy (fixtures/counterfactual.toml): score = 0.5 x EV + 0.5 x feasibility / 5 and
EV = probability x min(1, lift / 10), so every threshold below is a line of arithmetic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.model import AllocationPolicy
from budgetpolicy.allocation.allocate import allocate
from budgetpolicy.allocation.problem import Candidate
from budgetpolicy.engine.compile import EvaluationContext
from budgetpolicy.explain.counterfactual import approval_counterfactuals, funding_counterfactuals

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
POLICY = str(HERE / "fixtures" / "counterfactual.toml")
DATA = str(HERE / "fixtures" / "counterfactual.initiatives.csv")
ACME = str(ROOT / "policies" / "acme-2026.toml")
ACME_DATA = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def crafted():
    compiled = open_policy(POLICY)
    initiatives = read_initiatives(DATA, compiled.registry)
    return compiled, initiatives, evaluate(compiled, initiatives, evaluated_at=AT)


def _structured(crafted, initiative_id):
    compiled, initiatives, evaluation = crafted
    initiative = next(i for i in initiatives if i.id == initiative_id)
    context = EvaluationContext(evaluated_at=AT)
    return approval_counterfactuals(compiled, context, initiative, evaluation.decision(initiative_id),
                                    evaluation.explanation(initiative_id))


def test_score_gate_solved_through_the_scores_linear_dependence_on_a_rating(crafted):
    # score 0.05 + 0.1 x feasibility >= 0.35  <=>  feasibility >= 3;  0.25 x lift / 10 + 0.2 >= 0.35  <=>  lift >= 6;
    # probability would need 0.1 p + 0.2 >= 0.35, p >= 1.5: impossible, so it is not offered.
    found = _structured(crafted, "A")
    assert [(c.input, c.op, c.value, c.current) for c in found] == [
        ("ratings.feasibility", ">=", D(3), D(2)), ("forecast.csat", ">=", D(6), D(2))]
    assert crafted[2].explanation("A").counterfactuals == (
        "would pass the score gate with feasibility >= 3",
        "would pass the score gate with forecast lift for csat >= 6")


def test_ratio_condition_gives_cost_and_headcount_thresholds(crafted):
    # 30,000 / headcount > 6,000 stops firing at headcount 5; cost / 4 > 6,000 stops at cost 24,000.
    found = _structured(crafted, "B")
    assert [(c.input, c.value) for c in found] == [("cost", D(24000)), ("headcount", D(5))]
    assert crafted[2].explanation("B").counterfactuals == (
        "would pass 'per-head' with cost <= 24,000",
        "would pass 'per-head' with headcount >= 5 (then pending sign-off from vp)")


def test_sign_off_thresholds_inclusive_and_strict(crafted):
    # cost > 25000: no VP at 25,000 exactly; cost >= 50000: Finance drops out one unit below, at 49,999.
    found = _structured(crafted, "C")
    assert [(c.target, c.input, c.op, c.value) for c in found] == [
        ("sign_off:vp", "cost", "<=", D(25000)), ("sign_off:finance", "cost", "<=", D(49999))]
    assert crafted[2].explanation("C").counterfactuals == (
        "would need no sign-off at all if cost <= 25,000",
        "would need no finance sign-off if cost <= 49,999")


def test_no_single_change_when_two_gates_need_different_inputs(crafted):
    [only] = _structured(crafted, "D")
    assert only.input is None
    assert only.text == "no single change flips it: rejected by per-head, score-gate"


def test_non_numeric_change_names_a_mentor(crafted):
    [only] = _structured(crafted, "E")
    assert (only.input, only.op) == ("mentor", "set")
    assert only.text == "would pass 'stretch-needs-mentor' if a mentor is named"


def test_identity_fields_are_not_offered(crafted):
    compiled, initiatives, _ = crafted
    in_the_freeze = evaluate(compiled, initiatives, evaluated_at=AT, as_of=dt.date(2026, 4, 1))
    assert in_the_freeze.explanation("F").counterfactuals == ("no single change flips it: rejected by spring-freeze",)


def test_explain_flag_off_skips_counterfactuals(crafted):
    compiled, initiatives, _ = crafted
    quiet = compiled.evaluate(initiatives, EvaluationContext(evaluated_at=AT, as_of=AT.date(), explain=False))
    assert quiet.counterfactuals == {}
    assert all(quiet.explanation(d.initiative_id).counterfactuals == () for d in quiet.decisions)
    assert quiet.explanation("A").rules == crafted[2].explanation("A").rules  # the rest is explained as usual
    assert [d.outcome for d in quiet.decisions] == [d.outcome for d in crafted[2].decisions]


# -- funding ----------------------------------------------------------------------------


def _candidate(cid, cost, value):
    return Candidate(id=cid, cost=D(cost), value=D(value), score=D("0.5"), kind="training", department="Ops")


def test_funding_thresholds_by_hand():
    # Pool 100, all-or-nothing. By value per dollar: A 0.6/60 = 0.01, B 0.4/50 = 0.008, C 0.2/40 = 0.005.
    # A takes 60; B (50) does not fit in 40; C takes 40. B needs to outrank A: value per dollar above 0.01
    # (a tie goes to A by id), i.e. value 0.500001 at 6 decimals; or a pool of 60 + 50 = 110, i.e. 10 larger.
    candidates = [_candidate("A", 60, "0.6"), _candidate("B", 50, "0.4"), _candidate("C", 40, "0.2")]
    settings = AllocationPolicy(pool=D(100), partial=False)
    assert allocate(candidates, settings).fundings["B"].amount == 0
    value, pool = funding_counterfactuals("B", candidates, settings, None, D("0.000001"))
    assert (value.input, value.value) == ("value", D("0.500001"))
    assert (pool.input, pool.value) == ("pool", D(10))
    # The bar reads per 1,000 spent (0.01000002 per dollar), rounded up so it is never below the exact one.
    assert value.text == ("would be funded if its expected value per 1,000 spent were >= 10.00002 "
                          "(expected value >= 0.500001), or the pool 10 larger")


def test_funding_blocked_by_a_cap_says_the_pool_alone_does_not_help():
    from budgetpolicy.model import Caps

    candidates = [_candidate("A", 60, "0.6"), _candidate("B", 50, "0.4")]
    settings = AllocationPolicy(pool=D(100), partial=False, caps=Caps(per_department={"Ops": D(60)}))
    [value, *rest] = funding_counterfactuals("B", candidates, settings, None, D("0.000001"))
    assert rest == []
    assert value.value == D("0.500001")
    # It names the cap that binds, in the allocation's own words, at the widest pool tried.
    assert value.text.endswith("no larger pool alone would fund it (with the pool 110 larger: "
                               "department cap Ops (60) reached)")


# -- the bundled example ----------------------------------------------------------------


@pytest.fixture(scope="module")
def acme():
    compiled = open_policy(ACME)
    initiatives = read_initiatives(ACME_DATA, compiled.registry)
    return compiled, initiatives, evaluate(compiled, initiatives, evaluated_at=AT)


def test_bundled_vp_threshold(acme):
    assert "would need no vp sign-off if cost <= 25,000" in acme[2].explanation("INI-001").counterfactuals


def test_bundled_score_gate_thresholds(acme):
    # INI-017 scores 0.347067: 0.4 x EV (0.042667) + 0.15 x 3/5 + 0.15 x 4/5 + 0.1 x 3/5 + 0.1 x (1 - 4/5)
    # + 0.1 x 2/5. One alignment point adds 0.03 (alignment 5), one feasibility point 0.03; probability p adds
    # 0.4 x 0.106667 per unit: p >= 0.4 + 0.002933 / 0.0426667 = 0.46875 -> 0.47 on the 0.01 grid.
    texts = acme[2].explanation("INI-017").counterfactuals
    assert texts[0] == "would pass the score gate with probability >= 0.47 (then pending sign-off from vp)"
    assert "would pass the score gate with alignment >= 5 (then pending sign-off from vp)" in texts


def test_bundled_pool_threshold_matches_a_re_run(acme):
    compiled, initiatives, evaluation = acme
    settings = compiled.policy.allocation
    deferred = [d for d in evaluation.decisions if d.outcome == "deferred"]
    assert deferred, "the bundled example should leave something unfunded"
    checked = 0
    for d in deferred:
        candidates = [c for c in _acme_candidates(initiatives, evaluation.decisions, settings)]
        found = funding_counterfactuals(d.initiative_id, candidates, settings, compiled.registry, D("0.000001"))
        pool = next((c for c in found if c.input == "pool"), None)
        if pool is None:
            continue
        at = evaluate(compiled, initiatives, evaluated_at=AT, pool_delta=pool.value)
        below = evaluate(compiled, initiatives, evaluated_at=AT, pool_delta=pool.value - settings.unit)
        assert at.decision(d.initiative_id).allocation > 0
        assert below.decision(d.initiative_id).allocation == 0
        assert f"or the pool {pool.value:,} larger" in evaluation.explanation(d.initiative_id).counterfactuals[0]
        checked += 1
        if checked == 2:
            break
    assert checked == 2


def _acme_candidates(initiatives, decisions, settings):
    from budgetpolicy.allocation.candidates import allocation_candidates

    return allocation_candidates(initiatives, decisions, settings)
