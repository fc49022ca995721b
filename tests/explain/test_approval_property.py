"""Property: approval counterfactuals agree with brute-force re-decision on random policies and initiatives.

Random policies mix the linear conditions the engine solves (``cost > X``, ``cost / headcount > Y``,
``score < Z`` through the score's slope in a rating, a probability or a forecast, a criterion's own
score, a sum of two inputs) with sign-off rules; random initiatives fall on either side. For every
counterfactual a decision states, deciding the changed initiative again must flip the outcome at the
stated value and not one grid step back toward the current value; "no single change flips it" is
checked at the ends of every input's range and at random values in it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D

from hypothesis import given, settings, strategies as st

from budgetpolicy.api import compile_policy
from budgetpolicy.engine.compile import EvaluationContext
from budgetpolicy.explain.counterfactual import approval_counterfactuals
from budgetpolicy.explain.inputs import numeric_inputs, with_input
from budgetpolicy.model import Initiative
from budgetpolicy.policy.load import load_policy_text

AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)
HEAD = """
id = "prop"
version = "1"
effective_date = 2026-01-01
currency = "USD"

[[priorities]]
id = "csat"
name = "Customer satisfaction"
weight = 1
[priorities.kpi]
metric = "csat"
unit = "points"
direction = "higher"
baseline = 70
target = 80

[scoring]
weights = "strict"
precision = 6
[[scoring.criteria]]
id = "impact"
scorer = "expected_value"
weight = {w}
[[scoring.criteria]]
id = "feasibility"
scorer = "rubric"
weight = {v}
"""
RULES = (
    ("per-head", "cost / headcount > {}", "reject", lambda r: 100 * r.randrange(20, 120)),
    ("score-gate", "score < {}", "reject", lambda r: D(r.randrange(10, 70)) / 100),
    ("probability-floor", "probability < {}", "reject", lambda r: D(r.randrange(5, 60)) / 100),
    ("feasibility-floor", "scores.feasibility < {}", "reject", lambda r: D(r.randrange(1, 9)) / 10),
    ("big-and-many", "cost + 1000 * headcount > {}", "reject", lambda r: 1000 * r.randrange(20, 90)),
    ("vp", "cost > {}", "require", lambda r: 1000 * r.randrange(5, 60)),
    ("finance", "cost >= {}", "require", lambda r: 1000 * r.randrange(30, 90)),
    ("director", "headcount > {}", "require", lambda r: r.randrange(2, 25)),
)


def policy_text(rng: random.Random) -> str:
    w = D(rng.randrange(2, 9)) / 10
    text = HEAD.format(w=w, v=1 - w)
    for rule_id, condition, effect, draw in rng.sample(RULES, rng.randrange(1, len(RULES) + 1)):
        role = {"vp": "vp", "finance": "finance", "director": "director"}.get(rule_id)
        text += (f'\n[[approval.rules]]\nid = "{rule_id}"\ncondition = "{condition.format(draw(rng))}"\n'
                 f'effect = "{effect}"\nmessage = "{rule_id}"\n' + (f'role = "{role}"\n' if role else ""))
    return text


def initiative(rng: random.Random, k: int) -> Initiative:
    return Initiative(id=f"I{k}", title="t", kind="training", department="Ops", cost=D(100 * rng.randrange(10, 900)),
                      currency="USD", headcount=rng.randrange(1, 30), priorities=("csat",),
                      forecast={"csat": D(rng.randrange(5, 150)) / 10}, probability=D(rng.randrange(5, 96)) / 100,
                      horizon=4, objectives=("o",), evaluation_plan=("kpi_tracking",),
                      ratings={"feasibility": D(rng.randrange(1, 6))})


def flipped_for(target: str):
    if target == "rejected":
        return lambda d: d.outcome != "rejected"
    role = target.split(":", 1)[1]
    return lambda d: d.outcome != "rejected" and role not in d.required_approvers


def check(rng: random.Random) -> dict[str, int]:
    compiled = compile_policy(load_policy_text(policy_text(rng)))
    context = EvaluationContext(evaluated_at=AT)
    evaluation = compiled.evaluate([initiative(rng, k) for k in range(6)], context)
    seen = {"exact": 0, "none": 0}
    for i, decision in zip(evaluation.initiatives, evaluation.decisions):
        if decision.outcome not in ("rejected", "pending_approval"):
            continue
        found = approval_counterfactuals(compiled, context, i, decision, evaluation.explanation(i.id))
        specs = {s.path: s for s in numeric_inputs(i, compiled.policy)}
        for cf in found:
            flipped = flipped_for(cf.target)
            if cf.input is None:
                for spec in specs.values():
                    grid = int((spec.high - spec.low) / spec.resolution)
                    for value in {spec.low, spec.high, *(spec.low + spec.resolution * rng.randrange(grid + 1)
                                                         for _ in range(8))}:
                        after = compiled.decide(with_input(i, spec.path, value), context)
                        assert not flipped(after), (cf.text, spec.path, value)
                seen["none"] += 1
                continue
            assert flipped(compiled.decide(with_input(i, cf.input, cf.value), context)), (i.id, cf)
            spec = specs[cf.input]
            back = cf.value + (spec.resolution if cf.op == "<=" else -spec.resolution)
            if back != spec.current:
                assert not flipped(compiled.decide(with_input(i, cf.input, back), context)), (i.id, cf, back)
            seen["exact"] += 1
    return seen


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=2**32))
def test_approval_counterfactuals_flip_exactly_at_the_stated_value(seed):
    check(random.Random(seed))


def test_the_property_is_not_vacuous():
    exact = none = 0
    for seed in range(40):
        seen = check(random.Random(seed))
        exact, none = exact + seen["exact"], none + seen["none"]
    assert exact > 40 and none > 3, (exact, none)
