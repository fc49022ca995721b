"""The search behind approval counterfactuals: single-input changes that flip a decision, smallest first.

Private helper of :mod:`budgetpolicy.explain.counterfactual` (whose docstring describes the method):
linear boundaries solved from the blocking rules' comparisons (:mod:`.linear`), put on the input's grid
and checked with two decisions (it flips there, not one step back toward the current value), or a
bounded doubling search where no linear form settles. Every answer is the engine's own decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from budgetpolicy.formatting import value_text
from budgetpolicy.explain.inputs import Input, label, numeric_inputs, other_changes, with_input
from budgetpolicy.explain.linear import Linear, comparisons, mentions, threshold
from budgetpolicy.model import Decision, Explanation, Initiative, Policy

Decide = Callable[[Initiative], Decision]
# The values a condition may read that scoring derives (score, expected_value, scores.<criterion>).
Measure = Callable[[Initiative], Mapping[str, Decimal]]
ZERO, ONE = Decimal(0), Decimal(1)
_DERIVED = ("score", "expected_value")
_MAX_PER_TARGET = 4
# How far (in grid steps) the check may move a solved boundary before it gives up on it (see _settle).
_NUDGE = 4


def flips(initiative: Initiative, base: Mapping[str, Decimal], seen: Mapping[str, Any], decide: Decide,
           measure: Measure, policy: Policy, blocking: Sequence[Any],
           flipped: Callable[[Decision], bool]) -> list[tuple[str, str, Any, Any, str, Decision]]:
    """Single-input changes that make ``flipped`` true, smallest (relative to the input's range) first.

    ``base``: the decision's derived values (see :data:`Measure`); ``seen``: every value its rules read."""
    names: set[str] = set()
    for rule in blocking:
        names |= set(rule.condition.names)
    found: list[tuple[Decimal, str, str, Any, Any, str, Decision]] = []
    for spec in numeric_inputs(initiative, policy):
        derived = _derived(spec, initiative, base, measure) if names & set(_DERIVED) or any(
            n.startswith("scores.") for n in names) else {}
        # Every blocking rule must read the input (or a score that moves with it): a rule that reads neither
        # sees the same values whatever the input, so it still fires and nothing flips.
        if not all(_reads(rule.condition.names, spec.path, derived) for rule in blocking):
            continue
        hit = _solve(spec, initiative, decide, flipped, blocking, derived, seen)
        if hit is None:
            continue
        value, after = hit
        op = "<=" if value < spec.current else ">="
        shown = f"{label(spec.path)} {op} {value_text(value)}"
        # "Smallest" is relative to where the input stands: 25% more lift is a bigger ask than 5% less cost.
        size = abs(value - spec.current) / max(abs(spec.current), spec.resolution)
        found.append((size, spec.path, op, value, spec.current, shown, after))
    for path, op, value, clause in other_changes(initiative, policy, names):
        after = decide(with_input(initiative, path, value))
        if flipped(after):
            found.append((ONE, path, op, value, getattr(initiative, path, None), clause, after))
    found.sort(key=lambda f: (f[0], f[1]))
    return [f[1:] for f in found[:_MAX_PER_TARGET]]


def _reads(names: Any, path: str, derived: Mapping[str, Linear]) -> bool:
    """Whether a condition reading ``names`` can change with the input at ``path``: it reads the input, the
    map it sits in, or a derived value whose measured slope in the input is not zero."""
    return (path in names or path.partition(".")[0] in names
            or any(name in names and form[0] != 0 for name, form in derived.items()))


def seen_values(base: Mapping[str, Decimal], explanation: Explanation) -> dict[str, Any]:
    seen: dict[str, Any] = dict(base)
    for trace in explanation.rules:
        seen.update(trace.seen)
    return seen


def derived_values(scored: Any, criteria: Sequence[Any]) -> dict[str, Decimal]:
    """A :data:`Measure` from an initiative's ``Scored`` and the policy's compiled criteria."""
    return {"score": scored.total, "expected_value": scored.expected_value,
            **{f"scores.{cc.id}": raw for cc, raw in zip(criteria, scored.raws)}}


def _derived(spec: Input, initiative: Initiative, base: Mapping[str, Decimal], measure: Measure
             ) -> dict[str, Linear]:
    """The score's (and each criterion's) slope in this input, measured by re-scoring one step away."""
    # A wide step keeps the rounding of scores (scoring.precision) from distorting the slope.
    wide = max(spec.resolution, ((spec.high - spec.low) / 10 / spec.resolution).to_integral_value() * spec.resolution)
    for step in (wide, -wide, spec.resolution, -spec.resolution):
        probe = spec.current + step
        if not spec.low <= probe <= spec.high:
            continue
        other = measure(with_input(initiative, spec.path, probe))
        pairs = {name: (value, other.get(name, value)) for name, value in base.items()}
        forms = {name: ((b - a) / step, a - (b - a) / step * spec.current) for name, (a, b) in pairs.items()}
        if any(form[0] != 0 for form in forms.values()):
            return forms
    return {}


def _solve(spec: Input, initiative: Initiative, decide: Decide, flipped: Callable[[Decision], bool],
           blocking: Sequence[Any], derived: Mapping[str, Linear], seen: Mapping[str, Any]
           ) -> tuple[Decimal, Decision] | None:
    watched = {spec.path} | {name for name, form in derived.items() if form[0] != 0}
    best: tuple[Decimal, Decision] | None = None
    unsolved = False  # a comparison with no linear boundary, or one the check could not settle
    for rule in blocking:
        for node in comparisons(rule.condition.ast):
            if not mentions(node, watched):
                continue
            t = threshold(node, spec.path, derived, seen)
            if t is None:
                unsolved = True
                continue
            if not spec.low <= t <= spec.high:
                unsolved = unsolved or _flips_at_bound(spec, t, initiative, decide, flipped)
                continue
            hit = _settle(spec, t, initiative, decide, flipped)
            # Not settled near the boundary (a kink in the score, or another rule firing on the way): search
            # only if the far end of the range flips it.
            unsolved = unsolved or (hit is None and _flips_at_bound(spec, t, initiative, decide, flipped))
            if hit is not None and (best is None or abs(hit[0] - spec.current) < abs(best[0] - spec.current)):
                best = hit
    if best is not None or not unsolved:
        return best
    return _search(spec, initiative, decide, flipped)


def _flips_at_bound(spec: Input, t: Decimal, initiative: Initiative, decide: Decide,
                    flipped: Callable[[Decision], bool]) -> bool:
    """Whether the end of the input's range on the boundary's side flips the decision after all: a boundary
    outside the range (or one that did not settle) needs no search unless the slope it was solved with does
    not hold there and the decision does flip further out."""
    bound = spec.high if t > spec.current else spec.low
    if bound == spec.current:
        return False
    return flipped(decide(with_input(initiative, spec.path, bound)))


def _settle(spec: Input, t: Decimal, initiative: Initiative, decide: Decide,
            flipped: Callable[[Decision], bool]) -> tuple[Decimal, Decision] | None:
    """The solved boundary ``t`` put on the input's grid and checked: the value there flips the decision and
    one step back toward the current value does not. The slope of a rounded score can put the boundary a
    step or two off, so the check may move it by up to ``_NUDGE`` steps; None when that does not settle it
    (a kink, or another rule that fires on the way), and the caller searches instead."""
    away = ONE if t > spec.current else -ONE if t < spec.current else ZERO
    for direction in (away,) if away else (ONE, -ONE):
        k = int(((t - spec.current) * direction / spec.resolution).to_integral_value(ROUND_CEILING))
        k = max(k, 1)
        decided: dict[int, Decision] = {}

        def flips_at(steps: int) -> bool:
            if steps not in decided:
                decided[steps] = decide(with_input(initiative, spec.path, spec.current + direction * steps * spec.resolution))
            return flipped(decided[steps])

        def inside(steps: int) -> bool:
            return spec.low <= spec.current + direction * steps * spec.resolution <= spec.high

        for _ in range(_NUDGE):
            if not inside(k):
                break
            if not flips_at(k):
                k += 1
            elif k > 1 and flips_at(k - 1):
                k -= 1
            else:
                return spec.current + direction * k * spec.resolution, decided[k]
    return None


def _search(spec: Input, initiative: Initiative, decide: Decide,
            flipped: Callable[[Decision], bool]) -> tuple[Decimal, Decision] | None:
    """Bounded search on the input's grid: double the step until it flips, then bisect to one step."""
    best: tuple[Decimal, Decision] | None = None
    for direction in (ONE, -ONE):
        bound = spec.high if direction > 0 else spec.low
        k_max = int(((bound - spec.current) * direction / spec.resolution).to_integral_value(ROUND_FLOOR))
        if k_max <= 0:
            continue

        def at(k: int) -> Decimal:
            return spec.current + direction * k * spec.resolution

        low, high, k = 0, None, 1
        while k <= k_max:
            if flipped(decide(with_input(initiative, spec.path, at(k)))):
                high = k
                break
            low, k = k, k * 2
        if high is None and low < k_max and flipped(decide(with_input(initiative, spec.path, at(k_max)))):
            high = k_max
        if high is None:
            continue
        while high - low > 1:
            mid = (low + high) // 2
            if flipped(decide(with_input(initiative, spec.path, at(mid)))):
                high = mid
            else:
                low = mid
        value = at(high)
        if best is None or abs(value - spec.current) < abs(best[0] - spec.current):
            best = (value, decide(with_input(initiative, spec.path, value)))
    return best
