"""The peers' 7-rule policy of issue #17 target 3, for ``bench_evaluate.py --peers-policy``.

    score = 0.5·p·impact/10 + 0.3·alignment/5 + 0.2·feasibility/5
    reject: no linked priority; no evaluation plan; a stretch assignment without a mentor; score < 0.25
    require vp if cost > 25,000, finance if cost > 50,000; flag a microlearning under 5,000

Inputs: seeded generated initiatives (kinds training/coaching/stretch/workshop/microlearning, cost
1,000-80,000, p 0.10-0.95, impact 0-10, ratings 0-5, 85% with an evaluation plan, 70% with a mentor, 0-3
linked priorities). Every contender gets its input prepared beforehand in its own form (plain dicts of
floats for the float reference and the peers, frozen ``Initiative`` values for budgetpolicy) and gives
the same answer: outcome, approvers, flags and the ids of the rules that count (a rejected initiative's
sign-off rules do not).

Contenders:

* ``float reference``: the policy hand-written in plain Python on floats; the yardstick.
* ``budgetpolicy``: the policy as TOML (:data:`POLICY_TOML`), compiled once, ``CompiledPolicy.decide_all``
  on pre-built initiatives (and a row that builds the initiatives from the dicts first). Exact decimals:
  ``impact`` is a declared number attribute, ``p·impact/10`` a one-line scorer plugin (no built-in scorer
  multiplies a rating by the probability), the ratings the built-in ``rubric`` scorer.
* ``zen-engine``: the whole policy fused into one expression (a map of the score and the rules' values).
* ``common-expression-language``: the same fused into one CEL program (the Rust ``cel`` package).
* ``simpleeval``: the same as one pre-parsed expression.

Only one difference from the float reference is allowed: an initiative whose exact score is 0.25
(floats may land just below it and reject).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

KINDS = ("training", "coaching", "stretch", "workshop", "microlearning")
PRIORITIES = ("win-rate", "csat", "time-to-competence")
TEN = Decimal(10)

POLICY_TOML = """
id = "peers-bench"
version = "1"
effective_date = 2026-01-01
currency = "USD"

[attributes]
impact = "number"

[[priorities]]
id = "win-rate"
name = "Win rate"
weight = 0.4
[priorities.kpi]
metric = "win_rate"
unit = "%"
direction = "higher"
baseline = 20
target = 30

[[priorities]]
id = "csat"
name = "Customer satisfaction"
weight = 0.3
[priorities.kpi]
metric = "csat"
unit = "points"
direction = "higher"
baseline = 70
target = 80

[[priorities]]
id = "time-to-competence"
name = "Time to competence"
weight = 0.3
[priorities.kpi]
metric = "days"
unit = "days"
direction = "lower"
baseline = 90
target = 60

[scoring]
weights = "strict"
precision = 6

[[scoring.criteria]]
id = "impact"
scorer = "probability_x_impact"
weight = 0.5

[[scoring.criteria]]
id = "alignment"
scorer = "rubric"
weight = 0.3

[[scoring.criteria]]
id = "feasibility"
scorer = "rubric"
weight = 0.2

[[approval.rules]]
id = "no-priority"
condition = "len(priorities) == 0"
effect = "reject"
message = "Link at least one priority"

[[approval.rules]]
id = "no-evaluation-plan"
condition = "len(evaluation_plan) == 0"
effect = "reject"
message = "Give an evaluation plan"

[[approval.rules]]
id = "stretch-needs-mentor"
condition = "kind == \\"stretch\\" and not mentor"
effect = "reject"
message = "A stretch assignment needs a mentor"

[[approval.rules]]
id = "score-gate"
condition = "score < 0.25"
effect = "reject"
message = "Score below 0.25"

[[approval.rules]]
id = "vp"
condition = "cost > 25000"
effect = "require"
role = "vp"
message = "Over 25,000: a VP signs off"

[[approval.rules]]
id = "finance"
condition = "cost > 50000"
effect = "require"
role = "finance"
message = "Over 50,000: Finance signs off too"

[[approval.rules]]
id = "small-microlearning"
condition = "kind == \\"microlearning\\" and cost < 5000"
effect = "flag"
message = "A microlearning under 5,000"
"""

# id, effect, role, in the policy's order (checked against the compiled policy).
RULES = (("no-priority", "reject", None), ("no-evaluation-plan", "reject", None),
         ("stretch-needs-mentor", "reject", None), ("score-gate", "reject", None),
         ("vp", "require", "vp"), ("finance", "require", "finance"), ("small-microlearning", "flag", None))

# (outcome, approvers, flags, rule ids that count): what every contender must agree on.
Answer = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def draws(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """``n`` initiatives as plain values (exact: integers and two-place probabilities)."""
    rng = random.Random(seed)
    for i in range(n):
        yield {"id": f"P-{i:07d}", "kind": rng.choice(KINDS), "cost": rng.randrange(1_000, 80_001, 50),
               "p": rng.randint(10, 95), "impact": rng.randint(0, 10), "alignment": rng.randint(0, 5),
               "feasibility": rng.randint(0, 5), "plan": rng.random() < 0.85, "mentor": rng.random() < 0.7,
               "priorities": tuple(rng.sample(PRIORITIES, rng.randint(0, 3)))}


def as_floats(d: dict[str, Any]) -> dict[str, Any]:
    """The peers' and the reference's input: floats, lists, None for a missing mentor."""
    return {"kind": d["kind"], "cost": float(d["cost"]), "p": d["p"] / 100, "impact": float(d["impact"]),
            "alignment": float(d["alignment"]), "feasibility": float(d["feasibility"]),
            "evaluation_plan": ["kpi_tracking"] if d["plan"] else [], "mentor": "Mentor" if d["mentor"] else None,
            "priorities": list(d["priorities"])}


def as_initiative(d: dict[str, Any]) -> Any:
    from budgetpolicy.model import Initiative

    return Initiative(id=d["id"], title=d["id"], kind=d["kind"], department="Sales", cost=Decimal(d["cost"]),
                      probability=Decimal(d["p"]) / 100, priorities=d["priorities"],
                      evaluation_plan=("kpi_tracking",) if d["plan"] else (),
                      mentor="Mentor" if d["mentor"] else None,
                      ratings={"alignment": Decimal(d["alignment"]), "feasibility": Decimal(d["feasibility"])},
                      attributes={"impact": Decimal(d["impact"])})


def exact_score(d: dict[str, Any]) -> Decimal:
    """The score in exact decimals (what tells a float's 0.2499999 from 0.25)."""
    return (Decimal("0.5") * Decimal(d["p"]) / 100 * d["impact"] / 10 + Decimal("0.3") * d["alignment"] / 5
            + Decimal("0.2") * d["feasibility"] / 5)


def answer(fired: tuple[bool, ...]) -> Answer:
    """Outcome, approvers, flags and counted rule ids from the seven rules' values (reject wins)."""
    rejected = fired[0] or fired[1] or fired[2] or fired[3]
    ids = tuple(rule_id for (rule_id, effect, _), hit in zip(RULES, fired)
                if hit and not (rejected and effect == "require"))
    flags = ("small-microlearning",) if fired[6] else ()
    if rejected:
        return "rejected", (), flags, ids
    roles = ("vp",) * fired[4] + ("finance",) * fired[5]
    return ("pending_approval" if roles else "approved"), roles, flags, ids


def reference(d: dict[str, Any]) -> Answer:
    """The float reference: the policy hand-written in plain Python."""
    score = 0.5 * d["p"] * d["impact"] / 10 + 0.3 * d["alignment"] / 5 + 0.2 * d["feasibility"] / 5
    kind, cost = d["kind"], d["cost"]
    return answer((not d["priorities"], not d["evaluation_plan"], kind == "stretch" and not d["mentor"],
                   score < 0.25, cost > 25000, cost > 50000, kind == "microlearning" and cost < 5000))


def from_decision(decision: Any) -> Answer:
    return (decision.outcome, decision.required_approvers, decision.flags,
            tuple(reason.code for reason in decision.reasons))


# -- the peers: the whole policy fused into one expression each ---------------------------------

_SCORE = "0.5 * p * impact / 10 + 0.3 * alignment / 5 + 0.2 * feasibility / 5"
ZEN = ("{noPriority: len(priorities) == 0, noPlan: len(evaluation_plan) == 0, "
       "noMentor: kind == \"stretch\" and mentor == null, lowScore: " + _SCORE + " < 0.25, "
       "vp: cost > 25000, finance: cost > 50000, micro: kind == \"microlearning\" and cost < 5000}")
CEL = ("[size(priorities) == 0, size(evaluation_plan) == 0, kind == \"stretch\" && mentor == null, "
       "0.5 * p * impact / 10.0 + 0.3 * alignment / 5.0 + 0.2 * feasibility / 5.0 < 0.25, cost > 25000.0, cost > 50000.0, "
       "kind == \"microlearning\" && cost < 5000.0]")
SIMPLEEVAL = ("(len(priorities) == 0, len(evaluation_plan) == 0, kind == \"stretch\" and not mentor, "
              + _SCORE + " < 0.25, cost > 25000, cost > 50000, kind == \"microlearning\" and cost < 5000)")
_ZEN_KEYS = ("noPriority", "noPlan", "noMentor", "lowScore", "vp", "finance", "micro")


def zen_peer() -> Callable[[dict[str, Any]], Answer]:
    import zen

    expression = zen.compile_expression(ZEN)
    evaluate = expression.evaluate

    def decide(d: dict[str, Any]) -> Answer:
        out = evaluate(d)
        return answer(tuple(out[key] for key in _ZEN_KEYS))

    return decide


def cel_peer() -> Callable[[dict[str, Any]], Answer]:
    import cel

    execute = cel.compile(CEL).execute
    return lambda d: answer(tuple(execute(d)))


def simpleeval_peer() -> Callable[[dict[str, Any]], Answer]:
    import simpleeval

    evaluator = simpleeval.EvalWithCompoundTypes(functions={"len": len})
    tree = evaluator.parse(SIMPLEEVAL)

    def decide(d: dict[str, Any]) -> Answer:
        evaluator.names = d
        return answer(evaluator.eval("", previously_parsed=tree))

    return decide


PEERS = (("zen-engine (one fused expression)", zen_peer),
         ("common-expression-language (one fused program)", cel_peer),
         ("simpleeval (one pre-parsed expression)", simpleeval_peer))


def compiled_policy() -> Any:
    """The policy compiled with the built-ins and the one scorer it adds (registered as a plugin would)."""
    from budgetpolicy.engine.compile import compile_policy
    from budgetpolicy.hookspecs import hookimpl
    from budgetpolicy.plugins import get_plugin_manager
    from budgetpolicy.policy.load import load_policy_text
    from budgetpolicy.registry import Registry

    class PeerScorer:
        """``p × impact / 10``: the one term no built-in scorer computes."""

        @staticmethod
        @hookimpl
        def register_scorers(register: Callable[..., None]) -> None:
            register("probability_x_impact", PeerScorer.factory, description="probability x impact / 10")

        @staticmethod
        def factory(params: Any, policy: Any) -> Callable[[Any], Decimal]:
            return lambda i: i.probability * i.attributes["impact"] / TEN

    pm = get_plugin_manager(entry_points=False)
    pm.register(PeerScorer, name="bench-peers")
    compiled = compile_policy(load_policy_text(POLICY_TOML, "peers-bench.toml"), Registry.build(pm))
    actual = tuple((r.id, r.effect, r.role) for r in compiled.policy.approval.rules)
    if actual != RULES:
        raise SystemExit(f"the peers' policy rules changed; update RULES\n{actual}")
    return compiled
