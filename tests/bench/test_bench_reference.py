"""The evaluation benchmark's hand-written reference must keep agreeing with the engine.

``benchmarks/bench_evaluate.py`` times budgetpolicy against a plain-Python
reference of the bundled policy; if either drifts (a rule or weight changes in
policies/acme-2026.toml, or the engine's semantics change), the benchmark
would compare different logic. This checks 200 seeded initiatives, fast; it
does not run the benchmark.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from budgetpolicy.api import open_policy
from budgetpolicy.engine.compile import EvaluationContext


def test_reference_and_engine_agree_on_200_initiatives(bench):
    compiled = open_policy(str(bench.POLICY))
    bench.check_rules(compiled.policy)
    reference = bench.Reference(compiled.policy)
    context = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc), explain=False)
    items = bench.initiatives(200, 2026)
    want = [reference.decide(i) for i in items]
    got = [bench.from_decision(compiled.decide(i, context)) for i in items]
    assert got == want
    # The explained reference builds the engine's Decision and its Explanation (score lines, traces, reasons,
    # narrative) by hand.
    explained = bench.ExplainedReference(compiled.policy).prepare(compiled.policy)
    decisions = [compiled.decide(i, context) for i in items]
    assert [explained.decide(i) for i in items] == [(d, compiled.explain(i, d, context))
                                                    for i, d in zip(items, decisions)]
    # The sample exercises every outcome and every rule, so agreement means something.
    assert set(Counter(o[0] for o in want)) == {"approved", "pending_approval", "rejected"}
    fired = {code for o in want for code in o[5]}
    assert fired == {rule[0] for rule in bench.RULES}


def test_reference_on_hand_computed_cases(bench):
    # Cost 30,000 needs a VP; 60,000 needs Finance too; 60,000 for 10 people is exactly 6,000 a head, not
    # over it; 60,010 is; a 0.15 probability is rejected and the sign-offs become moot.
    compiled = open_policy(str(bench.POLICY))
    reference = bench.Reference(compiled.policy)
    context = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc), explain=False)
    base = next(d for d in bench.draws(200, 2026) if d["priorities"] and d["forecast"] and d["evaluation_plan"]
                and d["kind"] not in ("stretch", "conference", "coaching", "mentoring"))
    strong = {**base, "probability": bench.Decimal("0.9"), "headcount": 10, "pilot": False,
              "ratings": {c: bench.Decimal(5) for c in bench.CRITERIA}}
    cases = {
        "vp": ({"cost": bench.Decimal(30000)}, ("pending_approval", ("vp",), ())),
        "both": ({"cost": bench.Decimal(60000)}, ("pending_approval", ("vp", "finance"), ())),
        "per-head": ({"cost": bench.Decimal(60010)}, ("pending_approval", ("vp", "finance"),
                                                       ("high-cost-per-head",))),
        "weak": ({"cost": bench.Decimal(30000), "probability": bench.Decimal("0.15")}, ("rejected", (), ())),
    }
    for name, (change, (outcome, approvers, flags)) in cases.items():
        initiative = bench.to_initiative({**strong, **change})
        want = reference.decide(initiative)
        assert (want[0], want[3], want[4]) == (outcome, approvers, flags), name
        assert bench.from_decision(compiled.decide(initiative, context)) == want, name
