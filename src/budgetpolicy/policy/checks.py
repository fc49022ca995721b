"""Semantic checks of a loaded policy (BP2xx): what the schema cannot say.

Runs on the frozen :class:`~budgetpolicy.model.Policy` after the schema
check, so it also serves policies built in Python. Each check returns
diagnostics located by key path (``approval.rules[3].role``, 0-based) and,
when the policy has its source text, by line. The loader raises on errors;
warnings are reported by ``budgetpolicy validate`` (``--strict`` fails on
them). Allocation checks (pool vs baselines, reserve, caps, strategy) and
expressions, scorer and plugin names are checked by the compile stage
(:mod:`budgetpolicy.engine.compile`), which knows the plugin registry.

Codes: BP201 duplicate id; BP202 KPI target equals baseline; BP203 KPI
target on the wrong side; BP204 (warning) priority weights do not sum to 1;
BP205 priority weight outside (0, 1]; BP206 strict criterion weights do not
sum to 1; BP207 criterion weight <= 0; BP208 require without role; BP209
role on another effect; BP210 end date before start date; BP211 calibration
factors; BP212 shrinkage outside 0..1; BP213 reallocation values; BP214
realisation_below or completion_below without threshold; BP215 unknown expected outcome; BP216
expected reason names no rule; BP217 expected minimum above maximum; BP218
(warning) expected approver role no rule requires; BP219 (warning) sunset
threshold ignored by its kind; BP220 (warning) a role a rule requires that
``[roles]`` does not list (only when the policy has a ``[roles]`` table). BP661 a learning-chain sunset
threshold outside its reading's range, BP662 no_behaviour_change over fewer than 2 quarters. BP250..BP255: ``[stretch]``
(:mod:`budgetpolicy.policy.stretch`).

Priority weights not summing to 1 is a warning, not an error: the policy is
still well defined (a sponsor may deliberately leave weight unassigned), but
the sum rescales the expected_value criterion against the other rubric
criteria, which is rarely intended; the hint gives the normalised weights and
``validate --strict`` fails on it. Weights outside (0, 1] are errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from budgetpolicy.errors import Diagnostic, Diagnostics, did_you_mean
from budgetpolicy.formatting import trimmed_number
from budgetpolicy.model import OUTCOMES, Policy, SunsetCriterion
from budgetpolicy.policy.evidence import evidence_diagnostics
from budgetpolicy.policy.locate import KeyPathDiagnostics, PathPart, PolicyLocations, format_key_path
from budgetpolicy.policy.stretch import stretch_diagnostics

ZERO, ONE = Decimal("0"), Decimal("1")


def semantic_diagnostics(policy: Policy) -> list[Diagnostic]:
    """Every semantic error and warning of ``policy``, in source order."""
    places = PolicyLocations.of(policy.source)
    found = Diagnostics(places)
    _duplicates(policy, found, places)
    _priorities(policy, found)
    _criteria(policy, found)
    _dates_and_rules(policy, found)
    _role_holders(policy, found)
    _review_sections(policy, found)
    stretch_diagnostics(policy, found)  # [stretch]: BP250..BP255, policy/stretch.py
    evidence_diagnostics(policy, found)  # money value keys: BP670..BP676, policy/evidence.py
    _tests(policy, found)
    return found.in_source_order()


def _duplicates(policy: Policy, found: KeyPathDiagnostics, places: PolicyLocations) -> None:
    groups: list[tuple[tuple[str, ...], str, Iterable[str]]] = [
        (("priorities",), "id", (p.id for p in policy.priorities)),
        (("scoring", "criteria"), "id", (c.id for c in policy.scoring.criteria)),
        (("approval", "rules"), "id", (r.id for r in policy.approval.rules)),
        (("tests",), "name", (t.name for t in policy.tests)),
    ]
    if policy.allocation is not None:
        groups.append((("allocation", "baselines"), "id", (b.id for b in policy.allocation.baselines)))
    if policy.sunset is not None:
        groups.append((("sunset", "criteria"), "id", (c.id for c in policy.sunset.criteria)))
    for prefix, field, values in groups:
        first: dict[str, int] = {}
        for i, value in enumerate(values):
            if value in first:
                earlier = prefix + (first[value],)
                line = places.line(earlier)
                where = format_key_path(earlier) + (f" (line {line})" if line else "")
                found.add("BP201", prefix + (i, field), f"duplicate {field} '{value}'",
                          f"already used by {where}; {field}s must be unique")
            else:
                first[value] = i


def _priorities(policy: Policy, found: KeyPathDiagnostics) -> None:
    for i, p in enumerate(policy.priorities):
        kpi = p.kpi
        if kpi.target == kpi.baseline:
            found.add("BP202", ("priorities", i, "kpi", "target"),
                      f"target {kpi.target} equals the baseline", "set the target the KPI should reach")
        elif kpi.gap < 0:
            side = "above" if kpi.direction == "higher" else "below"
            found.add("BP203", ("priorities", i, "kpi", "target"),
                      f"target {kpi.target} is not {side} baseline {kpi.baseline} although "
                      f"direction = \"{kpi.direction}\"",
                      "swap baseline and target or change direction")
        if not ZERO < p.weight <= ONE:
            found.add("BP205", ("priorities", i, "weight"), f"weight {p.weight} is outside (0, 1]",
                      "use a weight greater than 0 and at most 1")
    weights = [p.weight for p in policy.priorities]
    if weights and all(w > 0 for w in weights):
        total = sum(weights, ZERO)
        if total != ONE:
            suggestion = ", ".join(f"{p.id} = {trimmed_number(p.weight / total, places=6)}"
                                   for p in policy.priorities)
            found.add("BP204", ("priorities",), f"priority weights sum to {total}, not 1",
                      f"normalised: {suggestion}", severity="warning")


def _criteria(policy: Policy, found: KeyPathDiagnostics) -> None:
    criteria = policy.scoring.criteria
    for i, c in enumerate(criteria):
        if c.weight <= 0:
            found.add("BP207", ("scoring", "criteria", i, "weight"), f"weight {c.weight} must be > 0",
                      "remove the criterion or give it a positive weight")
    if policy.scoring.weights == "strict" and criteria:
        total = sum((c.weight for c in criteria), ZERO)
        if total != ONE:
            found.add("BP206", ("scoring", "criteria"),
                      f"criterion weights sum to {total}, not exactly 1 (scoring.weights = \"strict\")",
                      f"adjust the weights so they sum to 1 (now {' + '.join(str(c.weight) for c in criteria)}"
                      f" = {total}), or set weights = \"normalise\"")


def _dates_and_rules(policy: Policy, found: KeyPathDiagnostics) -> None:
    if policy.effective_until is not None and policy.effective_until < policy.effective_date:
        found.add("BP210", ("effective_until",),
                  f"{policy.effective_until} is before effective_date {policy.effective_date}",
                  "swap the dates or remove effective_until")
    for i, rule in enumerate(policy.approval.rules):
        path: tuple[PathPart, ...] = ("approval", "rules", i)
        if rule.effect == "require" and not rule.role:
            found.add("BP208", path, f"rule '{rule.id}' has effect = \"require\" but no role",
                      'add role = "..." naming the approver role')
        elif rule.effect != "require" and rule.role:
            found.add("BP209", path + ("role",),
                      f"rule '{rule.id}' sets role but its effect is \"{rule.effect}\"",
                      'remove role, or use effect = "require"')
        if rule.effective_from and rule.effective_until and rule.effective_until < rule.effective_from:
            found.add("BP210", path + ("effective_until",),
                      f"{rule.effective_until} is before effective_from {rule.effective_from}",
                      "swap the dates")


def _role_holders(policy: Policy, found: KeyPathDiagnostics) -> None:
    # A policy without [roles] keeps its sign-offs elsewhere: warning on every require rule would fail
    # `validate --strict` for policies that never use `budgetpolicy approve`. With the table, a required
    # role nobody holds can never be signed, so its decisions could never be funded.
    if not policy.roles:
        return
    for i, rule in enumerate(policy.approval.rules):
        if rule.effect == "require" and rule.role and rule.role not in policy.roles:
            found.add("BP220", ("approval", "rules", i, "role"),
                      f"rule '{rule.id}' requires role '{rule.role}', which [roles] does not list",
                      did_you_mean(rule.role, policy.roles) or
                      f'add {rule.role} = ["..."] to [roles], naming who may sign off for it',
                      severity="warning")


def _review_sections(policy: Policy, found: KeyPathDiagnostics) -> None:
    cal = policy.calibration
    if cal is not None:
        if cal.min_factor <= 0:
            found.add("BP211", ("calibration", "min_factor"), f"min_factor {cal.min_factor} must be > 0",
                      "a factor of 0 would erase every forecast")
        if cal.min_factor > cal.max_factor:
            found.add("BP211", ("calibration", "min_factor"),
                      f"min_factor {cal.min_factor} is greater than max_factor {cal.max_factor}",
                      "swap min_factor and max_factor")
        if not ZERO <= cal.shrinkage <= ONE:
            found.add("BP212", ("calibration", "shrinkage"), f"shrinkage {cal.shrinkage} is outside 0..1",
                      "use 0 (trust history fully) up to 1 (ignore history)")
    realloc = policy.reallocation
    if realloc is not None:
        for name in ("release_share", "scale_max_share", "release_completion_below"):
            value: Decimal = getattr(realloc, name)
            if value is not None and not ZERO <= value <= ONE:
                found.add("BP213", ("reallocation", name), f"{name} {value} is outside 0..1",
                          "write a share such as 0.5 for 50%")
        for name in ("release_below", "scale_above"):
            value = getattr(realloc, name)
            if value < 0:
                found.add("BP213", ("reallocation", name), f"{name} {value} must be >= 0",
                          "realisation ratios are realised / forecast lift, never negative")
    gate = policy.rollout
    if gate is not None and realloc is not None and gate.min_realisation < realloc.release_below:
        # A pilot could earn its rollout in the quarter the review releases its money as under-performing.
        found.add("BP260", ("rollout", "min_realisation"),
                  f"min_realisation {gate.min_realisation} is below [reallocation] release_below "
                  f"{realloc.release_below}: a pilot may pass the gate while its own money is released",
                  f"raise min_realisation to at least {realloc.release_below}", severity="warning")
    if policy.sunset is not None:
        for i, c in enumerate(policy.sunset.criteria):
            if c.kind in ("realisation_below", "completion_below") and c.threshold is None:
                found.add("BP214", ("sunset", "criteria", i),
                          f"criterion '{c.id}' of kind {c.kind} needs a threshold",
                          "add threshold = 0.5 (" + ("realised / forecast lift)" if c.kind == "realisation_below"
                                                     else "the completion rate, 0..1)"))
            elif c.kind in ("no_measurement", "horizon_passed") and c.threshold is not None:
                found.add("BP219", ("sunset", "criteria", i, "threshold"),
                          f"threshold is ignored by kind {c.kind}", "remove it", severity="warning")
            learning_criterion(c, ("sunset", "criteria", i), found)


def _tests(policy: Policy, found: KeyPathDiagnostics) -> None:
    rule_ids = [r.id for r in policy.approval.rules]
    roles = {r.role for r in policy.approval.rules if r.role}
    for i, test in enumerate(policy.tests):
        expect = test.expect
        path: tuple[PathPart, ...] = ("tests", i, "expect")
        outcome = expect.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            found.add("BP215", path + ("outcome",), f"unknown outcome '{outcome}'",
                      did_you_mean(str(outcome), OUTCOMES) or f"use one of: {', '.join(OUTCOMES)}")
        for j, reason in enumerate(expect.get("reasons", ())):
            if reason not in rule_ids:
                found.add("BP216", path + ("reasons", j), f"no approval rule has id '{reason}'",
                          did_you_mean(reason, rule_ids) or "list rule ids from [[approval.rules]]")
        for low, high in (("score_min", "score_max"), ("expected_value_min", "expected_value_max"),
                          ("allocation_min", "allocation_max")):
            if low in expect and high in expect and expect[low] > expect[high]:
                found.add("BP217", path + (low,), f"{low} {expect[low]} is above {high} {expect[high]}",
                          "swap the bounds")
        for role in expect.get("approvers", ()):
            if role not in roles:
                found.add("BP218", path + ("approvers",), f"no rule requires approver role '{role}'",
                          did_you_mean(role, roles) or "the test can never pass as written",
                          severity="warning")


def learning_criterion(c: SunsetCriterion, path: tuple[PathPart, ...], found: KeyPathDiagnostics) -> None:
    """The learning chain's sunset criteria: thresholds in their reading's range (BP661), and a behaviour
    change needs two observed quarters to be seen at all (BP662)."""
    bounds = {"completion_below": (Decimal(0), Decimal(1), "a completion rate"),
              "no_behaviour_change": (Decimal(0), Decimal(5), "a rise of the 0..5 observation")}.get(c.kind)
    if bounds is not None and c.threshold is not None and not bounds[0] <= c.threshold <= bounds[1]:
        found.add("BP661", (*path, "threshold"), f"threshold {c.threshold} of '{c.id}' is outside "
                  f"{bounds[0]}..{bounds[1]} ({bounds[2]})", f"give a threshold from {bounds[0]} to {bounds[1]}")
    if c.kind == "no_behaviour_change" and c.quarters < 2:
        found.add("BP662", (*path, "quarters"), f"'{c.id}' compares the first and last of {c.quarters} quarter(s): "
                  "one quarter shows no change by definition", "use quarters = 2 or more")
