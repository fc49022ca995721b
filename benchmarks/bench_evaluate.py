"""Evaluation benchmark: the bundled policy (6-criterion rubric + 12 approval rules) on synthetic initiatives.

    python3 benchmarks/bench_evaluate.py [--n 100000] [--peer-n N] [--seed 2026] [--json]

Contenders, all on the same seeded initiatives and in the same process:

* ``reference``: the same logic hand-written in plain Python (Decimal, the
  rubric, the 12 rules and their effects, no traces). The yardstick: target 1
  is budgetpolicy within 3x of it.
* ``budgetpolicy``: ``CompiledPolicy.decide_all`` (the batch form of ``decide``,
  with the cyclic GC paused as ``evaluate`` does): scores, outcome, approvers,
  flags, reasons; what ``evaluate`` does before allocation. The explanation
  (score lines, every rule's trace with the values it saw, the narrative) is a
  separate value built on request (``CompiledPolicy.explain``); a second row
  adds building every one of them.
* ``reference, explained``: the reference again, but building the very same
  ``Decision`` and ``Explanation`` objects by hand (checked equal to the
  engine's): how much of the engine's time is the explanation it produces
  rather than its machinery.
* ``rule-engine``, ``cel-python``, ``simpleeval``, ``zen-engine``: the 12
  conditions written in each engine's language, compiled once, evaluated per
  initiative on a context built from it; scoring is the reference's plain
  Python (none of them has scorers) and the effects are combined the same way.
  cel-python and zen-engine have no decimal type and simpleeval's literals are floats, so their
  contexts hold floats (exact for this data; checked).

Two timings per contender: ``decide`` (score + context + 12 conditions +
effects) and ``conditions`` (the 12 conditions alone on contexts built
beforehand). Every contender's decisions are checked against the reference
(outcome, score, expected value, approvers, flags, reason rule ids); a
mismatch is reported and makes the run fail. Synthetic data comes from
:func:`draws` (``random.Random(seed)``), shared with ``bench_stream.py``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers_policy.py, beside this file
POLICY = ROOT / "policies" / "acme-2026.toml"
EVALUATED_AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)

ZERO, ONE = Decimal(0), Decimal(1)
KINDS = ("training", "coaching", "workshop", "microlearning", "experiential", "mentoring", "certification",
         "stretch", "pilot", "conference")
DEPARTMENTS = ("Sales", "Engineering", "Customer Success", "Finance", "Operations", "Marketing", "People")
PRIORITIES = ("win-rate", "time-to-competence", "csat", "defect-rate")
# Plausible lifts per KPI (in the KPI's unit, good direction), so the impact score spans 0..1.
LIFT_RANGE = {"win-rate": (1, 60), "time-to-competence": (5, 400), "csat": (5, 90), "defect-rate": (1, 20)}
LIFT_SCALE = {"win-rate": Decimal("0.1"), "time-to-competence": Decimal("0.1"), "csat": Decimal("0.1"),
              "defect-rate": Decimal("0.1")}
CRITERIA = ("feasibility", "alignment", "transfer", "risk", "sustainability")
PLANS = ("pre_post_assessment", "manager_observation", "kpi_tracking", "completion_tracking")


# -- synthetic data ------------------------------------------------------------------


def draws(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """``n`` initiatives as typed field values; a few break each approval gate on purpose."""
    rng = random.Random(seed)
    for i in range(n):
        kind = rng.choice(KINDS)
        gate = rng.random()  # ~2% each: no priority, no evaluation plan, no forecast
        priorities = () if gate < 0.02 else tuple(rng.sample(PRIORITIES, rng.choice((1, 1, 1, 2, 2, 3))))
        linked = () if 0.04 <= gate < 0.06 else priorities
        forecast = {p: Decimal(rng.randint(*LIFT_RANGE[p])) * LIFT_SCALE[p] for p in linked}
        ratings = {c: Decimal(rng.randint(1, 5)) for c in CRITERIA if rng.random() > 0.04}
        nominated = rng.random()
        yield {
            "id": f"INI-{i:07d}", "title": f"{kind.title()} initiative {i}", "kind": kind,
            "department": rng.choice(DEPARTMENTS), "role": rng.choice((None, "Engineer", "Manager", "Agent")),
            "cost": Decimal(rng.randrange(1_000, 80_001, 50)), "currency": "USD",
            "headcount": rng.choice((1, 1, 2, 3, 5, 8, 12, 20, 40)), "priorities": priorities,
            "forecast": forecast, "probability": Decimal(rng.randint(10, 95)) / 100,
            "horizon": rng.randint(1, 8), "objectives": ("Apply it on the job",),
            "delivery": rng.choice(("workshop", "1:1 coaching", "e-learning", None)),
            "evaluation_plan": () if 0.02 <= gate < 0.04 else tuple(rng.sample(PLANS, rng.randint(1, 2))),
            "sponsor": None if rng.random() < 0.3 else "VP", "mentor": rng.choice((None, "Senior mentor")),
            "pilot": kind == "pilot" or rng.random() < 0.05, "ratings": ratings,
            "attributes": {} if nominated < 0.2 else {"manager_nominated": nominated < 0.7,
                                                       "team_size": Decimal(rng.randint(2, 30))},
            "start": "2026-Q1",
        }


def to_initiative(d: dict[str, Any]):
    from budgetpolicy.model import Initiative

    return Initiative(**d)


def initiatives(n: int, seed: int) -> list:
    return [to_initiative(d) for d in draws(n, seed)]


CSV_HEADER = ["id", "title", "kind", "department", "role", "cost", "currency", "headcount", "priorities",
              *[f"forecast.{p}" for p in PRIORITIES], "probability", "horizon", "objectives", "delivery",
              "evaluation_plan", "sponsor", "mentor", "pilot", *[f"rating.{c}" for c in CRITERIA],
              "attr.manager_nominated", "attr.team_size", "start"]


def csv_row(d: dict[str, Any]) -> list[str]:
    """One row in the layout of ``policies/acme-2026.initiatives.csv`` (lists ';'-separated)."""
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return [d["id"], d["title"], d["kind"], d["department"], text(d["role"]), text(d["cost"]), d["currency"],
            text(d["headcount"]), ";".join(d["priorities"]), *[text(d["forecast"].get(p)) for p in PRIORITIES],
            text(d["probability"]), text(d["horizon"]), ";".join(d["objectives"]), text(d["delivery"]),
            ";".join(d["evaluation_plan"]), text(d["sponsor"]), text(d["mentor"]), text(d["pilot"]),
            *[text(d["ratings"].get(c)) for c in CRITERIA], text(d["attributes"].get("manager_nominated")),
            text(d["attributes"].get("team_size")), d["start"]]


def write_csv(path: Path, n: int, seed: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        for d in draws(n, seed):
            writer.writerow(csv_row(d))
    return path


# -- the hand-written reference --------------------------------------------------------

# (outcome, score, expected value, approvers, flags, reason rule ids): what every contender must agree on.
Outcome = tuple[str, Decimal, Decimal, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class Reference:
    """The bundled policy's scoring and approval rules written by hand in plain Python.

    Numbers (priority weights, KPI gaps, criterion weights, precision) come from
    the loaded policy; the logic (the scorers, the 12 conditions, the effects)
    is written out here, so a change to either side shows up as a mismatch.
    """

    def __init__(self, policy) -> None:
        self.priorities = {p.id: (p.weight, p.kpi.gap) for p in policy.priorities}
        self.quantum = ONE.scaleb(-policy.scoring.precision)
        criteria = {c.id: c for c in policy.scoring.criteria}
        self.impact_weight = criteria["impact"].weight
        self.rubric = tuple((c, criteria[c].weight, c == "risk") for c in CRITERIA)

    def score(self, i) -> tuple[Decimal, Decimal]:
        q = self.quantum
        total = ZERO
        for pid in i.priorities:
            known = self.priorities.get(pid)
            if known is None:
                continue
            weight, gap = known
            impact = min(max(i.forecast.get(pid, ZERO) / gap, ZERO), ONE) if gap > 0 else ZERO
            total += weight * impact
        ev = min(max(i.probability * total, ZERO), ONE).quantize(q, ROUND_HALF_EVEN)
        score = (ev * self.impact_weight).quantize(q, ROUND_HALF_EVEN)
        for name, weight, invert in self.rubric:
            rating = i.ratings.get(name)
            value = ZERO if rating is None else min(max(rating / 5, ZERO), ONE)
            if invert and rating is not None:
                value = ONE - value
            score += (value.quantize(q, ROUND_HALF_EVEN) * weight).quantize(q, ROUND_HALF_EVEN)
        return score, ev

    def decide(self, i) -> Outcome:
        score, ev = self.score(i)
        return outcome(effects(conditions_plain(i, score)), score, ev)


def conditions_plain(i, score: Decimal) -> tuple[bool, ...]:
    """The 12 conditions of policies/acme-2026.toml, in file order."""
    return (
        not i.priorities,
        not i.evaluation_plan,
        not i.forecast,
        i.kind == "stretch" and not i.mentor,
        i.probability < Decimal("0.2"),
        score < Decimal("0.35"),
        i.cost > 25000,
        i.cost > 50000,
        i.kind == "conference" and i.cost > 10000,
        i.pilot and not i.sponsor,
        i.cost / i.headcount > 6000,
        i.kind in ("coaching", "mentoring") and not i.attributes.get("manager_nominated"),
    )


# id, effect, role of each rule, in file order (checked against the policy in check_rules).
RULES = (
    ("must-link-priority", "reject", None), ("must-have-evaluation-plan", "reject", None),
    ("must-forecast-lift", "reject", None), ("stretch-needs-mentor", "reject", None),
    ("probability-floor", "reject", None), ("score-gate", "reject", None),
    ("vp-over-25k", "require", "vp"), ("finance-over-50k", "require", "finance"),
    ("conference-director", "require", "director"), ("pilot-without-sponsor", "flag", None),
    ("high-cost-per-head", "flag", None), ("not-manager-nominated", "flag", None),
)


def effects(fired: tuple[bool, ...]) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Outcome, approvers, flags and reason ids from the fired rules (reject wins; sign-offs moot then)."""
    rejected, roles, flags, reasons = False, [], [], []
    for (rule_id, effect, role), hit in zip(RULES, fired):
        if not hit:
            continue
        if effect == "reject":
            rejected = True
        elif effect == "require":
            roles.append(role)
        else:
            flags.append(rule_id)
        reasons.append((rule_id, effect))
    if rejected:
        return "rejected", (), tuple(flags), tuple(r for r, e in reasons if e != "require")
    return ("pending_approval" if roles else "approved"), tuple(roles), tuple(flags), tuple(r for r, _ in reasons)


def outcome(combined: tuple, score: Decimal, ev: Decimal) -> Outcome:
    kind, roles, flags, reasons = combined
    return kind, score, ev, roles, flags, reasons


def from_decision(d) -> Outcome:
    return (d.outcome, d.score, d.expected_value, d.required_approvers, d.flags,
            tuple(r.code for r in d.reasons))


def check_rules(policy) -> None:
    actual = tuple((r.id, r.effect, r.role) for r in policy.approval.rules)
    if actual != RULES:
        raise SystemExit(f"the bundled policy's rules changed; update RULES and conditions_plain\n{actual}")


class ExplainedReference(Reference):
    """The reference again, hand-written, but producing budgetpolicy's ``Decision`` and its ``Explanation``:
    reasons with filled-in templates, score lines with their detail text, a trace per rule with the values
    it read, the narrative.

    It answers a second question: how much of the engine's time is the explanation itself (the same
    objects, built by hand) and how much is the engine's own machinery. Checked with ``==`` against
    the engine's decisions.
    """

    def decide(self, i):
        from budgetpolicy.model import Decision, Explanation, Reason, RuleTrace, ScoreLine

        q = self.quantum
        total, parts = ZERO, []
        for pid in i.priorities:
            known = self.priorities.get(pid)
            if known is None:
                continue
            weight, gap = known
            lift = i.forecast.get(pid, ZERO)
            impact = min(max(lift / gap, ZERO), ONE) if gap > 0 else ZERO
            total += weight * impact
            parts.append(f"{pid}: lift {lift} of gap {gap} x weight {weight}")
        ev = min(max(i.probability * total, ZERO), ONE).quantize(q, ROUND_HALF_EVEN).normalize()
        detail = f"p={i.probability} x [" + "; ".join(parts) + "]" if parts else "no linked priority"
        weighted = (ev * self.impact_weight).quantize(q, ROUND_HALF_EVEN).normalize()
        lines = [ScoreLine("impact", "expected_value", self.impact_weight, ev, weighted, detail)]
        score = weighted
        for name, weight, invert in self.rubric:
            rating = i.ratings.get(name)
            if rating is None:
                value, detail = ZERO, f"no '{name}' rating (missing = zero)"
            else:
                value = min(max(rating / 5, ZERO), ONE)
                value, detail = (ONE - value, f"{name} {rating}/5 inverted") if invert else (value, f"{name} {rating}/5")
            value = value.quantize(q, ROUND_HALF_EVEN).normalize()
            weighted = (value * weight).quantize(q, ROUND_HALF_EVEN).normalize()
            score += weighted
            lines.append(ScoreLine(name, "rubric", weight, value, weighted, detail))
        score = score.normalize()
        headcount = Decimal(i.headcount)
        nominated = i.attributes.get("manager_nominated")
        fired = conditions_plain(i, score)
        seen = ({"priorities": i.priorities}, {"evaluation_plan": i.evaluation_plan}, {"forecast": dict(i.forecast)},
                {"kind": i.kind, "mentor": i.mentor}, {"probability": i.probability}, {"score": score},
                {"cost": i.cost}, {"cost": i.cost}, {"cost": i.cost, "kind": i.kind},
                {"pilot": i.pilot, "sponsor": i.sponsor}, {"cost": i.cost, "headcount": headcount},
                {"attributes.manager_nominated": nominated, "kind": i.kind})
        money = lambda v: f"{v.normalize():,f}" if v else "0"  # noqa: E731 - how the engine prints numbers
        reasons_text = {
            "probability-floor": lambda: f"Forecast probability of success {money(i.probability)} is below the 0.2 floor",
            "score-gate": lambda: f"Scored {money(score)} against a funding bar of 0.35",
            "vp-over-25k": lambda: f"Requested {money(i.cost)} is over 25,000, so a VP must sign off",
            "finance-over-50k": lambda: f"Requested {money(i.cost)} is over 50,000, so Finance must also sign off",
            "high-cost-per-head": lambda: f"Costs {money(i.cost)} for {money(headcount)} participants, over 6,000 a head",
        }
        traces, reasons = [], []
        for (rule_id, effect, role), hit, values, message in zip(RULES, fired, seen, self.messages):
            if not hit:
                traces.append(RuleTrace(rule_id, effect, "not_fired", "condition is false", role, values))
                continue
            text = reasons_text[rule_id]() if rule_id in reasons_text else message
            traces.append(RuleTrace(rule_id, effect, "fired", text, role, values))
            reasons.append(Reason(rule_id, text))
        kind, roles, flags, codes = effects(fired)
        kept = tuple(r for r in reasons if r.code in codes)
        decision = Decision(i.id, kind, score, ev, roles, flags, kept)
        return decision, Explanation(tuple(lines), tuple(traces), self.narrative(decision, lines, money))

    def narrative(self, d, lines, money) -> str:
        top = sorted(lines, key=lambda line: (-line.weighted, line.criterion))[:2]
        strengths = ", ".join(f"{line.criterion} {money(line.raw)}" for line in top)
        words = {"approved": "Approved", "rejected": "Rejected", "pending_approval": "Pending approval"}
        parts = [f"{words[d.outcome]}: score {money(d.score)} (strongest: {strengths})."]
        said = {effect: [r.message for r in d.reasons if self.effects[r.code] == effect]
                for effect in ("reject", "require", "flag")}
        if said["reject"]:
            parts.append("Rejected because: " + "; ".join(said["reject"]) + ".")
        if d.required_approvers:
            parts.append(f"Needs sign-off from {', '.join(d.required_approvers)}"
                         + (f" ({'; '.join(said['require'])})" if said["require"] else "") + ".")
        if said["flag"]:
            parts.append("Flagged: " + "; ".join(said["flag"]) + ".")
        return " ".join(parts)

    def prepare(self, policy) -> "ExplainedReference":
        self.messages = tuple(r.message for r in policy.approval.rules)
        self.effects = {rule_id: effect for rule_id, effect, _ in RULES}
        return self


# -- the peers: the same 12 conditions in each engine's language ----------------------

RULE_ENGINE = ("priorities.length == 0", "evaluation_plan.length == 0", "forecast.length == 0",
               'kind == "stretch" and not mentor', "probability < 0.2", "score < 0.35", "cost > 25000",
               "cost > 50000", 'kind == "conference" and cost > 10000', "pilot and not sponsor",
               "cost / headcount > 6000", "kind in ['coaching', 'mentoring'] and not attributes['manager_nominated']")
CEL = ("size(priorities) == 0", "size(evaluation_plan) == 0", "size(forecast) == 0",
       'kind == "stretch" && mentor == null', "probability < 0.2", "score < 0.35", "cost > 25000.0",
       "cost > 50000.0", 'kind == "conference" && cost > 10000.0', "pilot && sponsor == null",
       "cost / headcount > 6000.0", 'kind in ["coaching", "mentoring"] && attributes.manager_nominated != true')
SIMPLEEVAL = ("len(priorities) == 0", "len(evaluation_plan) == 0", "len(forecast) == 0",
              'kind == "stretch" and not mentor', "probability < 0.2", "score < 0.35", "cost > 25000",
              "cost > 50000", 'kind == "conference" and cost > 10000', "pilot and not sponsor",
              "cost / headcount > 6000", 'kind in ["coaching", "mentoring"] and not attributes.manager_nominated')
ZEN = ("len(priorities) == 0", "len(evaluation_plan) == 0", "len(keys(forecast)) == 0",
       'kind == "stretch" and mentor == null', "probability < 0.2", "score < 0.35", "cost > 25000",
       "cost > 50000", 'kind == "conference" and cost > 10000', "pilot and sponsor == null",
       "cost / headcount > 6000", 'kind in ["coaching", "mentoring"] and attributes.manager_nominated != true')


def _fields(i, score: Decimal, number: Callable[[Decimal], Any]) -> dict[str, Any]:
    """The names the conditions read, as a plain dict (numbers through ``number``)."""
    return {"priorities": list(i.priorities), "evaluation_plan": list(i.evaluation_plan),
            "forecast": {k: number(v) for k, v in i.forecast.items()}, "kind": i.kind, "mentor": i.mentor,
            "probability": number(i.probability), "score": number(score), "cost": number(i.cost),
            "pilot": i.pilot, "sponsor": i.sponsor, "headcount": number(Decimal(i.headcount)),
            "attributes": {"manager_nominated": i.attributes.get("manager_nominated")}}


class Peer:
    """One third-party engine: ``context`` builds its input, ``fire`` evaluates the 12 compiled conditions."""

    name = ""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference

    def decide(self, i) -> Outcome:
        score, ev = self.reference.score(i)
        return outcome(effects(self.fire(self.context(i, score))), score, ev)

    def context(self, i, score: Decimal) -> Any:
        raise NotImplementedError

    def fire(self, ctx: Any) -> tuple[bool, ...]:
        raise NotImplementedError


class RuleEnginePeer(Peer):
    name = "rule-engine"

    def __init__(self, reference: Reference) -> None:
        super().__init__(reference)
        import rule_engine

        self.rules = tuple(rule_engine.Rule(text) for text in RULE_ENGINE)

    def context(self, i, score):
        return _fields(i, score, lambda v: v)  # rule-engine computes in Decimal too

    def fire(self, ctx):
        return tuple(rule.matches(ctx) for rule in self.rules)


class CelPeer(Peer):
    name = "cel-python"

    def __init__(self, reference: Reference) -> None:
        super().__init__(reference)
        import celpy

        self.celpy = celpy
        env = celpy.Environment()
        self.programs = tuple(env.program(env.compile(text)) for text in CEL)

    def context(self, i, score):
        return self.celpy.json_to_cel(_fields(i, score, float))  # CEL has no decimal type

    def fire(self, ctx):
        return tuple(bool(p.evaluate(ctx)) for p in self.programs)


class SimpleEvalPeer(Peer):
    name = "simpleeval"

    def __init__(self, reference: Reference) -> None:
        super().__init__(reference)
        import simpleeval

        self.evaluator = simpleeval.EvalWithCompoundTypes(functions={"len": len})
        self.trees = tuple(self.evaluator.parse(text) for text in SIMPLEEVAL)

    def context(self, i, score):
        return _fields(i, score, float)  # its literals (0.2) are floats: Decimal("0.2") < 0.2 is true

    def fire(self, ctx):
        evaluator = self.evaluator
        evaluator.names = ctx
        return tuple(bool(evaluator.eval("", previously_parsed=tree)) for tree in self.trees)


class ZenPeer(Peer):
    name = "zen-engine"

    def __init__(self, reference: Reference) -> None:
        super().__init__(reference)
        import zen

        self.expressions = tuple(zen.compile_expression(text) for text in ZEN)

    def context(self, i, score):
        return _fields(i, score, float)  # zen's Python binding takes no Decimal

    def fire(self, ctx):
        return tuple(bool(e.evaluate(ctx)) for e in self.expressions)


PEERS = (RuleEnginePeer, CelPeer, SimpleEvalPeer, ZenPeer)


# -- running ---------------------------------------------------------------------------


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _mismatches(got: list[Outcome], want: list[Outcome]) -> tuple[int, str]:
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    return len(bad), (f"first: got {bad[0][0]} want {bad[0][1]}" if bad else "")


def run(n: int, seed: int, peer_n: int | None = None, rounds: int = 3) -> dict[str, Any]:
    """Time every contender on ``n`` initiatives (peers on ``peer_n``) and check them against the reference."""
    from budgetpolicy.api import open_policy
    from budgetpolicy.engine.compile import EvaluationContext
    from budgetpolicy.engine.symbols import initiative_env

    compiled = open_policy(str(POLICY))
    policy = compiled.policy
    check_rules(policy)
    reference = Reference(policy)
    context = EvaluationContext(evaluated_at=EVALUATED_AT, explain=False)
    items = initiatives(n, seed)
    rows: list[dict[str, Any]] = []

    # The target ratio: the contenders alternate, best of ``rounds`` each, so load affects them alike.
    explained = ExplainedReference(policy).prepare(policy)
    ref_times, bp_times, ex_times = [], [], []
    for last in [False] * (rounds - 1) + [True]:
        t, want = _timed(lambda: [reference.decide(i) for i in items])
        ref_times.append(t)
        t, decisions = _timed(lambda: compiled.decide_all(items, context))
        bp_times.append(t)
        if not last:
            del decisions  # 100,000 explained decisions are about a gigabyte; keep one set at a time
        t, by_hand = _timed(lambda: [explained.decide(i) for i in items])
        ex_times.append(t)
        if not last:
            del by_hand
    got = [from_decision(d) for d in decisions]
    # Explanations are built on request: what building every one of them costs on top.
    t_read, explanations = _timed(lambda: [compiled.explain(i, d, context) for i, d in zip(items, decisions)])
    wrong = [(h, d) for h, d in zip(by_hand, zip(decisions, explanations)) if h != d]
    del decisions, by_hand, explanations
    scores = [o[1] for o in want]

    def conditions_bp():
        envs = []
        for i, s in zip(items, scores):
            env = initiative_env(i, policy.attributes)
            env["score"] = s
            envs.append(env)
        t, _ = _timed(lambda: [[cr.condition(env) for cr in compiled.rules] for env in envs])
        return t

    rows.append({"name": "reference (plain Python)", "n": n, "decide_s": min(ref_times), "mismatches": 0,
                 "conditions_s": _timed(lambda: [conditions_plain(i, s) for i, s in zip(items, scores)])[0]})
    mismatches, first = _mismatches(got, want)
    rows.append({"name": "budgetpolicy", "n": n, "decide_s": min(bp_times), "mismatches": mismatches,
                 "first_mismatch": first, "conditions_s": conditions_bp()})
    rows.append({"name": "budgetpolicy, then every explanation built (score lines, traces, narrative)", "n": n,
                 "decide_s": min(bp_times) + t_read, "mismatches": len(wrong)})
    rows.append({"name": "reference, explained (same Decision and Explanation objects, by hand)", "n": n,
                 "decide_s": min(ex_times), "mismatches": len(wrong),
                 "first_mismatch": f"first: {wrong[0]}"[:400] if wrong else ""})

    subset = items[:peer_n] if peer_n else items
    for cls in PEERS:
        try:
            peer = cls(reference)
        except ImportError as exc:
            rows.append({"name": cls.name, "n": 0, "error": f"not installed ({exc})"})
            continue
        t, peer_got = _timed(lambda: [peer.decide(i) for i in subset])
        contexts = [peer.context(i, s) for i, s in zip(subset, scores)]
        tc, _ = _timed(lambda: [peer.fire(c) for c in contexts])
        mismatches, first = _mismatches(peer_got, want[:len(subset)])
        rows.append({"name": cls.name, "n": len(subset), "decide_s": t, "conditions_s": tc,
                     "mismatches": mismatches, "first_mismatch": first})

    # The whole funding cycle for reference (allocation, provenance hashes, narratives; no counterfactuals).
    t, evaluation = _timed(lambda: compiled.evaluate(items, context))
    full = {"name": "budgetpolicy evaluate() (+allocation, provenance, narrative)", "n": n, "decide_s": t,
            "mismatches": sum(from_decision(d)[0] != w[0] and d.outcome != "deferred"
                              for d, w in zip(evaluation.decisions, want))}
    rows.append(full)
    return {"n": n, "seed": seed, "rounds": rounds, "rows": rows}


# -- the peers' 7-rule policy (issue #17 target 3) -------------------------------------------


def run_peers_policy(n: int, seed: int, rounds: int = 3) -> dict[str, Any]:
    """Target 3: budgetpolicy's decision core on the peers' policy (``peers_policy.py``) against the
    hand-written float reference and the fused peers, all in this process, best of ``rounds`` each
    (the contenders alternate, so load affects them alike). Every answer is compared with the
    reference's; only an exact score of 0.25 may differ."""
    import peers_policy as pp
    from budgetpolicy.engine.compile import EvaluationContext

    compiled = pp.compiled_policy()
    context = EvaluationContext(evaluated_at=EVALUATED_AT, explain=False)
    raw = list(pp.draws(n, seed))
    floats = [pp.as_floats(d) for d in raw]
    items = [pp.as_initiative(d) for d in raw]
    at_bar = {k for k, d in enumerate(raw) if pp.exact_score(d) == Decimal("0.25")}
    contenders: list[tuple[str, Callable[[], list]]] = [
        ("float reference (plain Python)", lambda: [pp.reference(d) for d in floats]),
        ("budgetpolicy (initiatives built beforehand)",
         lambda: [pp.from_decision(x) for x in compiled.decide_all(items, context)]),
        ("budgetpolicy (building each Initiative from the dict too)",
         lambda: [pp.from_decision(x) for x in compiled.decide_all(map(pp.as_initiative, raw), context)]),
    ]
    for name, make in pp.PEERS:
        try:
            decide = make()
        except ImportError as exc:
            contenders.append((name, lambda exc=exc: exc))  # type: ignore[misc]
            continue
        contenders.append((name, lambda decide=decide: [decide(d) for d in floats]))
    times: dict[str, list[float]] = {name: [] for name, _ in contenders}
    answers: dict[str, Any] = {}
    for _ in range(rounds):
        for name, fn in contenders:
            t, got = _timed(fn)
            times[name].append(t)
            answers[name] = got
    want = answers[contenders[0][0]]
    rows = []
    for name, _ in contenders:
        got = answers[name]
        if isinstance(got, Exception):
            rows.append({"name": name, "n": 0, "error": f"not installed ({got})"})
            continue
        bad = [k for k, (g, w) in enumerate(zip(got, want)) if g != w]
        allowed = [k for k in bad if k in at_bar]
        wrong = [k for k in bad if k not in at_bar]
        rows.append({"name": name, "n": n, "decide_s": min(times[name]), "mismatches": len(wrong),
                     "at_bar": len(allowed),
                     "first_mismatch": f"first: {raw[wrong[0]]}: got {got[wrong[0]]} want {want[wrong[0]]}"
                     if wrong else ""})
    return {"n": n, "seed": seed, "rounds": rounds, "scores_at_bar": len(at_bar), "rows": rows}


def peers_table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    ref = rows[0]
    per = lambda row: row["decide_s"] / row["n"] * 1e6  # noqa: E731 - microseconds per initiative
    lines = ["| contender | initiatives | µs/initiative | x float reference | agrees with the reference |",
             "|---|---:|---:|---:|---|"]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['name']} | | {row['error']} | | |")
            continue
        agree = ("yes" if not row["mismatches"] else f"NO: {row['mismatches']} differ {row['first_mismatch']}")
        if row["at_bar"]:
            agree += f" (differs on {row['at_bar']} of the {result['scores_at_bar']} exact 0.25 scores: allowed)"
        lines.append(f"| {row['name']} | {row['n']:,} | {per(row):,.2f} | {per(row) / per(ref):.2f} | {agree} |")
    return "\n".join(lines)


def table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    ref, bp = rows[0], rows[1]
    per = lambda row, key: row[key] / row["n"] * 1e6  # noqa: E731 - microseconds per initiative
    lines = ["| contender | initiatives | decide µs/initiative | x reference | x budgetpolicy "
             "| 12 conditions µs/initiative | x budgetpolicy | agree with reference |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['name']} | | {row['error']} | | | | | |")
            continue
        d = per(row, "decide_s")
        cond = (f"{per(row, 'conditions_s'):,.1f} | {per(row, 'conditions_s') / per(bp, 'conditions_s'):.2f}"
                if "conditions_s" in row else " | ")
        agree = "yes" if not row["mismatches"] else f"NO: {row['mismatches']} differ {row.get('first_mismatch', '')}"
        lines.append(f"| {row['name']} | {row['n']:,} | {d:,.1f} | {d / per(ref, 'decide_s'):.2f} "
                     f"| {d / per(bp, 'decide_s'):.2f} | {cond} | {agree} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--peer-n", type=int, default=None, help="initiatives for the third-party engines "
                        "(default: all; cel-python and rule-engine are slow)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=3, help="best of N for reference and budgetpolicy")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    parser.add_argument("--peers-policy", action="store_true",
                        help="target 3 instead: the peers' 7-rule policy, budgetpolicy vs a float reference "
                             "and zen-engine, CEL, simpleeval (fused)")
    args = parser.parse_args()
    if args.peers_policy:
        result = run_peers_policy(args.n, args.seed, args.rounds)
        print(json.dumps(result) if args.json else peers_table(result))
        return 1 if any(row.get("mismatches") for row in result["rows"]) else 0
    result = run(args.n, args.seed, args.peer_n, args.rounds)
    print(json.dumps(result) if args.json else table(result))
    return 1 if any(row.get("mismatches") for row in result["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
