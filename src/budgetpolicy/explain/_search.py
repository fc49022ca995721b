"""The search behind approval counterfactuals: single-input changes that flip a decision, smallest first.

Private helper of :mod:`budgetpolicy.explain.counterfactual` (whose docstring describes the method):
linear boundaries solved from the blocking rules' comparisons (:mod:`.linear`), walked onto the input's
grid and tightened by bisection, or a bounded doubling search where no linear form exists. Every
candidate is checked by deciding the changed initiative again.
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
        relevant = spec.path in names or any(name in names and form[0] != 0 for name, form in derived.items())
        if not relevant:
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
    for rule in blocking:
        for node in comparisons(rule.condition.ast):
            if not mentions(node, watched):
                continue
            t = threshold(node, spec.path, derived, seen)
            if t is None:
                continue
            hit = _walk_from(spec, t, initiative, decide, flipped)
            if hit is not None and (best is None or abs(hit[0] - spec.current) < abs(best[0] - spec.current)):
                best = hit
    return best if best is not None else _search(spec, initiative, decide, flipped)


def _walk_from(spec: Input, t: Decimal, initiative: Initiative, decide: Decide,
               flipped: Callable[[Decision], bool]) -> tuple[Decimal, Decision] | None:
    """From the boundary (on the grid, on the input's side) a few steps outward, the first value that flips."""
    away = ONE if t > spec.current else -ONE if t < spec.current else ZERO
    directions = (away,) if away else (ONE, -ONE)
    for direction in directions:
        rounding = ROUND_FLOOR if direction > 0 else ROUND_CEILING
        start = (t / spec.resolution).to_integral_value(rounding) * spec.resolution
        for k in range(6):
            value = start + direction * k * spec.resolution
            if value == spec.current or not spec.low <= value <= spec.high:
                continue
            if (value - spec.current) * direction < 0:
                continue
            after = decide(with_input(initiative, spec.path, value))
            if flipped(after):
                return _tighten(spec, value, after, initiative, decide, flipped)
    return None


def _tighten(spec: Input, value: Decimal, after: Decision, initiative: Initiative, decide: Decide,
             flipped: Callable[[Decision], bool]) -> tuple[Decimal, Decision]:
    """Bisect between the current value and a flipping one, on the grid, for the least change that flips:
    a slope measured on rounded scores can put the solved boundary a step or two too far."""
    direction = ONE if value > spec.current else -ONE
    low, high = 0, int(((value - spec.current) * direction / spec.resolution).to_integral_value(ROUND_CEILING))
    while high - low > 1:
        mid = (low + high) // 2
        probe = spec.current + direction * mid * spec.resolution
        result = decide(with_input(initiative, spec.path, probe))
        if flipped(result):
            high, value, after = mid, probe, result
        else:
            low = mid
    return value, after


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
