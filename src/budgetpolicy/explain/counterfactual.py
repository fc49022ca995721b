"""Counterfactuals: the smallest change to one input that would flip a decision.

Computed for a whole evaluation at once, the first time any of its decisions'
explanations is asked for (``Evaluation.counterfactuals``), only for rejected,
pending and deferred decisions, and only when ``EvaluationContext.explain`` is
true. Everything is computed, never guessed:

- **Approval** (rejected, or pending a sign-off): only inputs every blocking
  rule reads (directly, or through the score / expected value, whose slope in
  the input is measured by re-scoring) are tried. The boundary of every linear
  comparison is solved exactly from the compiled expression tree
  (:mod:`.linear`), put on the input's grid and checked with two decisions (it
  flips there, not one step back); inputs with no linear form, or a boundary
  that does not settle but whose range end does flip, get a bounded search
  (doubling steps, then bisection to the input's resolution). The search
  itself is in :mod:`._search`. Identity fields (id, title, kind, department)
  are not inputs one changes, so they are never proposed.
- **Funding** (deferred, greedy strategy): the least value and the least extra
  pool are read from the evaluation's own allocation run (:mod:`.cutoff`: the
  cut-off, the pool's remainder, the binding cap). Where that structure gives
  no exact answer, the allocation is re-run, bisecting on Decimal grids (the
  value at the scoring precision, the pool at the allocation unit), within a
  budget per evaluation; past it, the text says what was not computed.

When no single change flips the outcome, the decision says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from attrs import evolve, frozen

# The stage module, not its function: probes call ``allocation_stage.allocate`` at run time, so a test
# can count them by patching the module (tests/decisions/test_funding_budget.py).
from budgetpolicy.allocation import allocate as allocation_stage
from budgetpolicy.allocation.wording import NO_POOL_HELPS
from budgetpolicy.formatting import value_text
from budgetpolicy.allocation.result import AllocationResult
from budgetpolicy.model import AllocationPolicy, Decision, Explanation, Initiative, Policy
from budgetpolicy.explain._search import derived_values, flips, seen_values
from budgetpolicy.explain.cutoff import GreedyTrace

if TYPE_CHECKING:
    from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext

ZERO, ONE = Decimal(0), Decimal(1)


@frozen
class Counterfactual:
    """One computed way to flip a decision (``input`` None: no single change does)."""

    target: str  # "rejected", "sign_off:<role>" or "funding"
    input: str | None
    op: str | None  # "<=", ">=", "set", "unset", "add", "larger"
    value: Any
    current: Any
    text: str


# -- approval -----------------------------------------------------------------------


def approval_counterfactuals(compiled: CompiledPolicy, context: EvaluationContext, initiative: Initiative,
                             decision: Decision, explanation: Explanation) -> tuple[Counterfactual, ...]:
    """Ways out of a rejection, or out of each required sign-off. ``compiled`` decides and scores changed
    initiatives in ``context`` exactly as the evaluation did; ``explanation`` is the decision's (its rule
    traces say which rules block it)."""
    rules = {r.rule.id: r for r in compiled.rules}
    policy: Policy = compiled.policy

    def decide(changed: Initiative) -> Decision:
        return compiled.decide(changed, context)

    def measure(changed: Initiative) -> Mapping[str, Decimal]:
        return derived_values(compiled.scored(changed, context), compiled.criteria)

    base = {"score": decision.score, "expected_value": decision.expected_value,
            **{f"scores.{line.criterion}": line.raw for line in explanation.scores}}
    seen = seen_values(base, explanation)
    fired = [t for t in explanation.rules if t.status == "fired"]
    if decision.outcome == "rejected":
        blocking = [t.rule_id for t in fired if t.effect == "reject"]
        found = flips(initiative, base, seen, decide, measure, policy, [rules[r] for r in blocking if r in rules],
                       lambda d: d.outcome != "rejected")
        if not found:
            return (Counterfactual("rejected", None, None, None, None,
                                   f"no single change flips it: rejected by {', '.join(blocking)}"),)
        return tuple(Counterfactual("rejected", path, op, value, current, _reject_text(blocking, clause, after))
                     for path, op, value, current, clause, after in found)
    out: list[Counterfactual] = []
    for role in decision.required_approvers:
        blocking = [t.rule_id for t in fired if t.effect == "require" and t.role == role]
        found = flips(initiative, base, seen, decide, measure, policy, [rules[r] for r in blocking if r in rules],
                       _signed_off(role))
        if not found:
            out.append(Counterfactual(f"sign_off:{role}", None, None, None, None,
                                      f"no single change removes the {role} sign-off"))
        for path, op, value, current, clause, after in found:
            everyone = len(decision.required_approvers) > 1 and not after.required_approvers
            who = "no sign-off at all" if everyone else f"no {role} sign-off"
            text = f"would need {who} if {clause}"
            if all(c.text != text for c in out):
                out.append(Counterfactual(f"sign_off:{role}", path, op, value, current, text))
    return tuple(out)


def _signed_off(role: str) -> Callable[[Decision], bool]:
    return lambda d: d.outcome != "rejected" and role not in d.required_approvers


def _reject_text(blocking: Sequence[str], clause: str, after: Decision) -> str:
    if len(blocking) == 1:
        name = blocking[0].replace("-", " ").replace("_", " ")
        head = f"would pass the {name}" if name.endswith(" gate") else f"would pass '{blocking[0]}'"
    else:
        head = f"would not be rejected (passing {', '.join(blocking)})"
    tail = f" (then pending sign-off from {', '.join(after.required_approvers)})" if after.required_approvers else ""
    connector = "with" if any(op in clause for op in (" <= ", " >= ")) else "if"
    return f"{head} {connector} {clause}{tail}"


# -- funding ------------------------------------------------------------------------


def funding_counterfactuals(target_id: str, candidates: Sequence[Any], settings: AllocationPolicy,
                            registry: Any, value_quantum: Decimal, trace: GreedyTrace | None = None,
                            grids: tuple[Decimal, Decimal] | None = None, unaffordable: str = ""
                            ) -> tuple[Counterfactual, ...]:
    """For an unfunded candidate: the least value (per dollar) and the least extra pool that fund it.

    Read from ``trace`` (the greedy run's cut-off and pool remainder, :mod:`.cutoff`) where it gives
    an exact answer; otherwise a bisection on a Decimal grid with the allocation re-run at each probe:
    the value on ``value_quantum`` (the scoring precision), the pool on the allocation unit. Each answer
    is exact on its grid: it funds the candidate and one step less does not. ``unaffordable``: why
    re-allocating is not allowed here (then what the trace cannot answer is said to be not computed);
    ``grids``: the evaluation's :func:`funding_grids`, computed once for all its candidates."""
    target = next(c for c in candidates if c.id == target_id)
    word = "expected value" if settings.value == "expected_value" else "score"
    value_ceiling, pool_room = _target_grids(target, grids or funding_grids(candidates, settings), value_quantum)
    known_value, value = trace.least_value(target_id, value_quantum) if trace is not None else (False, None)
    pool = trace.least_pool(target_id, pool_room) if trace is not None else None
    missing: list[str] = []
    if not known_value and target.cost > 0:
        if unaffordable:
            missing.append(f"the least {word} that funds it")
        else:
            value = _least(target.value, value_ceiling, value_quantum,
                           lambda v: _funded(target_id, [evolve(c, value=v) if c.id == target_id else c
                                                         for c in candidates], settings, registry))
    out: list[Counterfactual] = []
    if value is not None:
        per_thousand = value * 1000 / target.cost  # per unit spent it reads 0.0000015
        out.append(Counterfactual("funding", "value", ">=", value, target.value,
                                  f"its {word} per 1,000 spent were >= {_sig_up(per_thousand)} ({word} >= "
                                  f"{value_text(value)})"))
    extra: Decimal | None = None
    if pool is not None:
        extra = pool.extra
    elif unaffordable:
        missing.append("the least larger pool that funds it")
    else:
        extra = _least(ZERO, pool_room, settings.unit,
                       lambda e: _funded(target_id, candidates, evolve(settings, pool=settings.pool + e), registry))
    if extra is not None:
        out.append(Counterfactual("funding", "pool", "larger", extra, settings.pool,
                                  f"the pool {value_text(extra)} larger"))
    if missing and not out:
        return (Counterfactual("funding", None, None, None, None, f"funding thresholds not computed: {unaffordable}"),)
    if not out:
        return (Counterfactual("funding", None, None, None, None,
                               "no single change funds it: its caps or minimum viable amount stop it"),)
    text = "would be funded if " + ", or ".join(c.text for c in out)
    if missing:
        text += f"; {' and '.join(missing)} not computed: {unaffordable}"
    elif extra is None:
        why = pool.binding if pool is not None else _binding(target_id, candidates, settings, registry, pool_room)
        text += f"; no larger pool alone would fund it (with the pool {value_text(pool_room)} larger: {_reason(why)})"
    return tuple(evolve(c, text=text) if i == 0 else evolve(c, text="") for i, c in enumerate(out))


def _funded(target_id: str, candidates: Sequence[Any], settings: AllocationPolicy, registry: Any) -> bool:
    """One probe: allocate again and see whether the target gets anything."""
    amount: Decimal = allocation_stage.allocate(candidates, settings, registry).fundings[target_id].amount
    return amount > 0


def _binding(target_id: str, candidates: Sequence[Any], settings: AllocationPolicy, registry: Any,
             extra: Decimal) -> str:
    """What still stops the candidate with the pool ``extra`` larger: the allocation's own words for the
    binding cap or minimum (one more allocation run, within the funding budget's slack)."""
    wider = evolve(settings, pool=settings.pool + extra)
    return str(allocation_stage.allocate(candidates, wider, registry).fundings[target_id].explanation)


def _reason(explanation: str) -> str:
    return explanation.removeprefix("unfunded: ").removesuffix(f"; {NO_POOL_HELPS}")


def funding_grids(candidates: Sequence[Any], settings: AllocationPolicy) -> tuple[Decimal, Decimal]:
    """What every target's bisections share: the best value per cost, and a pool extra that covers every
    request (computed once per evaluation: each is a pass over all the candidates)."""
    best_ratio = max((c.value / c.cost for c in candidates if c.cost > 0), default=ZERO)
    return best_ratio, _grid_up(sum((c.cost for c in candidates), ZERO), settings.unit)


def _target_grids(target: Any, grids: tuple[Decimal, Decimal], value_quantum: Decimal) -> tuple[Decimal, Decimal]:
    """The top of each bisection: a value that outranks every candidate, and a pool extra that covers
    every request."""
    best_ratio, pool_room = grids
    return _grid_up(best_ratio * target.cost + value_quantum, value_quantum), pool_room


def funding_probes(target: Any, candidates: Sequence[Any], settings: AllocationPolicy,
                   value_quantum: Decimal, trace: GreedyTrace | None = None,
                   grids: tuple[Decimal, Decimal] | None = None) -> int:
    """At most how many allocations :func:`funding_counterfactuals` runs for ``target`` (none for what
    ``trace`` answers)."""
    value_ceiling, pool_room = _target_grids(target, grids or funding_grids(candidates, settings), value_quantum)
    known_value = trace is not None and trace.least_value(target.id, value_quantum)[0]
    pool = trace.least_pool(target.id, pool_room) if trace is not None else None
    value = _bisection_probes(target.value, value_ceiling, value_quantum) if target.cost > 0 and not known_value else 0
    if pool is not None:
        return value
    return value + _bisection_probes(ZERO, pool_room, settings.unit) + 1  # + 1: naming what binds (_binding)


def _bisection_probes(low: Decimal, high: Decimal, step: Decimal) -> int:
    """How many times :func:`_least` calls ``ok`` at most on this grid."""
    if high <= low:
        return 0
    steps = int(((high - low) / step).to_integral_value(ROUND_CEILING))
    return 1 + max(steps - 1, 0).bit_length()


def _least(low: Decimal, high: Decimal, step: Decimal, ok: Callable[[Decimal], bool]) -> Decimal | None:
    """The least value on ``low + k * step`` (k >= 1, value <= high) for which ``ok`` holds, assuming it is
    monotone; None when even ``high`` does not do it."""
    if high <= low or not ok(high):
        return None
    lo, hi = 0, int(((high - low) / step).to_integral_value(ROUND_CEILING))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(low + mid * step):
            hi = mid
        else:
            lo = mid
    return min(low + hi * step, high)


def _grid_up(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(ROUND_CEILING) * step


def _sig_up(value: Decimal, digits: int = 8) -> str:
    """Rounded up to ``digits`` significant digits, so the stated bar is never below the exact one."""
    if value <= 0:
        return "0"
    exponent = value.adjusted() - digits + 1
    return value_text((value.scaleb(-exponent).to_integral_value(ROUND_CEILING)).scaleb(exponent))


# -- the evaluation hook ------------------------------------------------------------


# How much re-allocation the funding counterfactuals the cut-off cannot answer (:mod:`.cutoff`) may do in
# one evaluation, in candidates allocated (allocations x candidates): about 10 s on a 2-core VM. Each such
# deferred initiative costs some 40-70 allocations of the whole portfolio, so without a bound a portfolio
# of n initiatives costs O(n^2 log n): minutes at 1,000 initiatives. A constant, not a setting, so that a
# replay computes exactly what was recorded.
FUNDING_BUDGET = 1_000_000


def explain_outcomes(compiled: CompiledPolicy, initiatives: Sequence[Initiative], decisions: Sequence[Decision],
                     context: EvaluationContext, candidates: Sequence[Any] | None, settings: AllocationPolicy | None,
                     allocation: AllocationResult | None = None) -> dict[str, tuple[str, ...]]:
    """Initiative id -> the counterfactual texts of every rejected, pending or deferred decision that has
    some; ``compiled`` made the (final, allocated) ``decisions`` and ``allocation`` (the evaluation's own
    allocation of ``candidates``: funding thresholds are read from it where it can say)."""
    policy: Policy = compiled.policy
    quantum = Decimal(1).scaleb(-policy.scoring.precision)
    funding: dict[str, tuple[Counterfactual, ...]] = {}
    if candidates is not None and settings is not None and settings.strategy == "greedy":
        trace = _trace(allocation, candidates)
        funding = _bounded_funding(decisions, candidates, settings, compiled.registry, quantum, trace)
    out: dict[str, tuple[str, ...]] = {}
    for initiative, decision in zip(initiatives, decisions):
        found: tuple[Counterfactual, ...] = ()
        if decision.outcome in ("rejected", "pending_approval"):
            explanation = compiled.explain(initiative, decision, context)
            found = approval_counterfactuals(compiled, context, initiative, decision, explanation)
        elif decision.outcome == "deferred" and candidates is not None and settings is not None:
            if settings.strategy == "greedy":
                found = funding[decision.initiative_id]
            else:
                # Each probe re-solves the allocation; ~40 solver runs per deferred initiative is too slow
                # for every evaluation, so other strategies point at the what-if instead.
                found = (Counterfactual("funding", None, None, None, None,
                                        f"funding thresholds are computed for the greedy strategy only (this policy "
                                        f"uses '{settings.strategy}'); evaluate --what-if-pool shows what a larger "
                                        "pool would fund"),)
        texts = tuple(c.text for c in found if c.text)
        if texts:
            out[decision.initiative_id] = texts
    return out


def _trace(allocation: AllocationResult | None, candidates: Sequence[Any]) -> GreedyTrace | None:
    """The greedy trace of ``allocation`` when it allocated exactly ``candidates`` (same ids, same order)."""
    trace = GreedyTrace.of(allocation) if allocation is not None else None
    if trace is None:
        return None
    mine = trace.problem.candidates
    if len(mine) != len(candidates) or any(a.id != b.id or a.value != b.value for a, b in zip(mine, candidates)):
        return None
    return trace


def _bounded_funding(decisions: Sequence[Decision], candidates: Sequence[Any], settings: AllocationPolicy,
                     registry: Any, quantum: Decimal, trace: GreedyTrace | None = None
                     ) -> dict[str, tuple[Counterfactual, ...]]:
    """Funding counterfactuals of the deferred decisions, best-ranked first; what the greedy trace cannot
    answer re-allocates within FUNDING_BUDGET.

    A decision that needs re-allocation gets it only if its worst case (its probe bound times the
    candidates) still fits; from the first that does not, the rest of those say what was not computed
    (what the trace answers is always given). Deterministic: the bound counts allocations, not time."""
    by_id = {c.id: c for c in candidates}
    grids = funding_grids(candidates, settings)

    def rank(d: Decision) -> tuple[bool, int]:
        r = d.funding.rank if d.funding is not None else None
        return (r is None, r or 0)

    deferred = sorted((d for d in decisions if d.outcome == "deferred"), key=rank)
    probes = {d.initiative_id: funding_probes(by_id[d.initiative_id], candidates, settings, quantum, trace, grids)
              for d in deferred}
    costly = sum(1 for d in deferred if probes[d.initiative_id])
    left, done, over = FUNDING_BUDGET, 0, False
    out: dict[str, tuple[Counterfactual, ...]] = {}
    for decision in deferred:
        cost = probes[decision.initiative_id] * len(candidates)
        over = over or (cost > left)
        unaffordable = ""
        if cost and over:
            unaffordable = (f"{costly:,} deferred initiatives among {len(candidates):,} candidates exceed what one "
                            f"evaluation re-allocates to explain them (computed for the {done:,} best-ranked); "
                            "evaluate --what-if-pool shows what a larger pool would fund")
        elif cost:
            left -= cost
            done += 1
        out[decision.initiative_id] = funding_counterfactuals(decision.initiative_id, candidates, settings, registry,
                                                              quantum, trace, grids, unaffordable)
    return out
