"""Budget-specific static checks (BP24x): what a policy means, not how it is written.

Runs after loading, beside the semantic checks of :mod:`.validate`, and is
called by ``budgetpolicy validate`` through :func:`budgetpolicy.api.check_policy`.
It needs no data: conditions are parsed (never evaluated) and the simple ones
(comparisons of one field with a constant, ``in`` a list of strings, bare or
negated names, joined by ``and``) are turned into a region per field, so one
rule's region can be compared with another's. Anything more complex is left
alone: a check that cannot be sure says nothing.

Codes: BP240 a rule that can never change a decision (an earlier reject or
approve always fires first) or whose condition can never hold; BP241 two rules
with the same effect and role whose thresholds are nested (the narrower is
redundant); BP242 (error) the baselines of one department or kind exceed its
cap; BP243 a reserve its kinds' caps can never spend (and that is not
released); BP244 a reserve (or baseline) for kinds no initiative can have or
that the policy always rejects, or a reserve that funds no kind; BP245 a sunset criterion that can never
trigger; BP246 a rule never in force within the policy's effective period;
BP247 a rule already expired on the given day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostic, Diagnostics, ExpressionError
from budgetpolicy.expr.ast import Binary, BoolOp, In, ListLit, Literal, Node, Not, dotted_path
from budgetpolicy.expr.parser import parse
from budgetpolicy.model import KINDS, Policy, Rule
from budgetpolicy.formatting import money
from budgetpolicy.policy.locate import KeyPathDiagnostics, PathPart, PolicyLocations, format_key_path

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@frozen
class Interval:
    """A numeric range; ``None`` bounds are unbounded."""

    low: Decimal | None = None
    low_closed: bool = False
    high: Decimal | None = None
    high_closed: bool = False

    def meet(self, other: "Interval") -> "Interval":
        low, low_closed = self.low, self.low_closed
        if other.low is not None and (low is None or other.low > low or (other.low == low and not other.low_closed)):
            low, low_closed = other.low, other.low_closed
        high, high_closed = self.high, self.high_closed
        if other.high is not None and (high is None or other.high < high
                                       or (other.high == high and not other.high_closed)):
            high, high_closed = other.high, other.high_closed
        return Interval(low, low_closed, high, high_closed)

    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_closed and self.high_closed))

    def within(self, other: "Interval") -> bool:
        """Every value of ``self`` is in ``other``."""
        if self.empty():
            return True
        if other.low is not None:
            if self.low is None or self.low < other.low or (self.low == other.low and self.low_closed
                                                            and not other.low_closed):
                return False
        if other.high is not None:
            if self.high is None or self.high > other.high or (self.high == other.high and self.high_closed
                                                               and not other.high_closed):
                return False
        return True


# A region: field path -> Interval (numbers) or frozenset (strings / truthiness, key "path?").
Region = dict[str, "Interval | frozenset[object]"]


def condition_region(source: str) -> Region | None:
    """The region where a simple condition holds, or None when it is not simple enough to be sure."""
    try:
        return _region(parse(source))
    except ExpressionError:
        return None


def _region(node: Node) -> Region | None:
    if isinstance(node, BoolOp) and node.op == "and":
        out: Region = {}
        for value in node.values:
            part = _region(value)
            if part is None:
                return None
            for key, constraint in part.items():
                out[key] = _meet(out[key], constraint) if key in out else constraint
        return out
    if isinstance(node, Binary) and node.op in _FLIP:
        return _comparison(node)
    if isinstance(node, In) and not node.negated and isinstance(node.haystack, ListLit):
        path = dotted_path(node.needle)
        items = node.haystack.items
        if path and items and all(isinstance(i, Literal) and isinstance(i.value, str) for i in items):
            return {path: frozenset(i.value for i in items)}  # type: ignore[union-attr]
        return None
    path = dotted_path(node) if not isinstance(node, Not) else None
    if path:
        return {path + "?": frozenset({True})}
    if isinstance(node, Not) and (inner := dotted_path(node.operand)):
        return {inner + "?": frozenset({False})}
    return None


def _comparison(node: Binary) -> Region | None:
    op, left, right = node.op, node.left, node.right
    if isinstance(left, Literal) and not isinstance(right, Literal):
        op, left, right = _FLIP[op], right, left
    path = dotted_path(left)
    if path is None or not isinstance(right, Literal) or op == "!=":
        return None
    value = right.value
    if isinstance(value, str) and op == "==":
        return {path: frozenset({value})}
    if not isinstance(value, Decimal) or isinstance(value, bool):
        return None
    interval = {"<": Interval(high=value), "<=": Interval(high=value, high_closed=True),
                ">": Interval(low=value), ">=": Interval(low=value, low_closed=True),
                "==": Interval(value, True, value, True)}[op]
    return {path: interval}


def _meet(a: "Interval | frozenset[object]", b: "Interval | frozenset[object]") -> "Interval | frozenset[object]":
    if isinstance(a, Interval) and isinstance(b, Interval):
        return a.meet(b)
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return a & b
    return frozenset()  # a number compared like a string: nothing satisfies both


def region_empty(region: Region) -> bool:
    return any(c.empty() if isinstance(c, Interval) else not c for c in region.values())


def region_within(inner: Region, outer: Region) -> bool:
    """Whenever ``inner`` holds, ``outer`` holds too."""
    if region_empty(inner):
        return True
    for key, constraint in outer.items():
        mine = inner.get(key)
        if mine is None:
            return False
        if isinstance(constraint, Interval):
            if not (isinstance(mine, Interval) and mine.within(constraint)):
                return False
        elif not (isinstance(mine, frozenset) and mine <= constraint):
            return False
    return True


def _in_force_whenever(outer: Rule, inner: Rule) -> bool:
    """``outer`` is in force on every day ``inner`` is."""
    if outer.effective_from and (inner.effective_from is None or inner.effective_from < outer.effective_from):
        return False
    return not (outer.effective_until and (inner.effective_until is None
                                           or inner.effective_until > outer.effective_until))


def static_diagnostics(policy: Policy, today: dt.date | None = None) -> list[Diagnostic]:
    """Every BP24x finding for ``policy``; ``today`` (passed in: the core has no clock) enables BP247."""
    # Most findings are warnings: the policy still works, it just does not do what its author meant.
    found = Diagnostics(PolicyLocations.of(policy.source), severity="warning")
    regions = [condition_region(rule.condition) for rule in policy.approval.rules]
    _rules(policy, regions, found)
    _dates(policy, today, found)
    _allocation(policy, regions, found)
    _sunset(policy, found)
    return found.in_source_order()


def _rules(policy: Policy, regions: list[Region | None], found: KeyPathDiagnostics) -> None:
    rules = policy.approval.rules
    for j, later in enumerate(rules):
        region = regions[j]
        if region is None:
            continue
        path = ("approval", "rules", j, "condition")
        if region_empty(region):
            found.add("BP240", path, f"rule '{later.id}' can never fire: `{later.condition}` is never true",
                      "fix the thresholds or remove the rule")
            continue
        for i in range(j):
            earlier, outer = rules[i], regions[i]
            if outer is None or not region_within(region, outer) or not _in_force_whenever(earlier, later):
                continue
            where = format_key_path(("approval", "rules", i))
            if earlier.effect == "approve" or (earlier.effect == "reject" and later.effect in ("require", "approve")):
                what = ("has already fast-tracked the initiative and stopped evaluation" if earlier.effect == "approve"
                        else "has already rejected the initiative")
                found.add("BP240", path,
                          f"rule '{later.id}' can never change a decision: whenever `{later.condition}` holds, "
                          f"the earlier {earlier.effect} rule '{earlier.id}' (`{earlier.condition}`, {where}) {what}",
                          "reorder the rules, narrow the earlier one, or remove this one")
                break
            # An earlier approve was reported (BP240) just above: ``earlier`` is a reject, require or flag here.
            if earlier.effect == later.effect and earlier.role == later.role:
                role = f" for role '{later.role}'" if later.role else ""
                found.add("BP241", path,
                          f"rule '{later.id}' ({later.effect}{role}, `{later.condition}`) is nested inside the "
                          f"earlier rule '{earlier.id}' (`{earlier.condition}`, {where}) with the same effect: "
                          "it never adds anything",
                          "remove the narrower rule or give it a different role or effect")
                break
        else:
            _outer_nested(rules, regions, j, found)


def _outer_nested(rules: Sequence[Rule], regions: list[Region | None], j: int, found: KeyPathDiagnostics) -> None:
    """An earlier rule nested inside a later one with the same effect and role is redundant too."""
    later, region = rules[j], regions[j]
    assert region is not None
    for i in range(j):
        earlier, inner = rules[i], regions[i]
        if (inner is None or earlier.effect != later.effect or earlier.role != later.role
                or earlier.effect not in ("require", "reject", "flag") or region_empty(inner)
                or not region_within(inner, region) or not _in_force_whenever(later, earlier)):
            continue
        role = f" for role '{later.role}'" if later.role else ""
        found.add("BP241", ("approval", "rules", i, "condition"),
                  f"rule '{earlier.id}' ({earlier.effect}{role}, `{earlier.condition}`) is nested inside the "
                  f"later rule '{later.id}' (`{later.condition}`, {format_key_path(('approval', 'rules', j))}) "
                  "with the same effect: it never adds anything",
                  "remove the narrower rule or give it a different role or effect")


def _dates(policy: Policy, today: dt.date | None, found: KeyPathDiagnostics) -> None:
    for i, rule in enumerate(policy.approval.rules):
        path = ("approval", "rules", i)
        if rule.effective_until and rule.effective_until < policy.effective_date:
            found.add("BP246", path + ("effective_until",),
                      f"rule '{rule.id}' expired on {rule.effective_until}, before the policy takes effect "
                      f"({policy.effective_date}): it is never in force",
                      "remove the rule or extend its effective_until")
        elif rule.effective_from and policy.effective_until and rule.effective_from > policy.effective_until:
            found.add("BP246", path + ("effective_from",),
                      f"rule '{rule.id}' starts on {rule.effective_from}, after the policy ends "
                      f"({policy.effective_until}): it is never in force",
                      "move the rule to the next policy version or fix effective_from")
        elif today is not None and rule.effective_until and rule.effective_until < today:
            found.add("BP247", path + ("effective_until",),
                      f"rule '{rule.id}' expired on {rule.effective_until} (today is {today})",
                      "remove it, or keep it only to replay past decisions")


def _allocation(policy: Policy, regions: list[Region | None], found: KeyPathDiagnostics) -> None:
    # Baselines plus reserve over the pool is BP602 (compile stage); these checks span caps too.
    alloc = policy.allocation
    if alloc is None:
        return
    caps = alloc.caps
    for name, table in (("department", caps.per_department), ("kind", caps.per_kind)):
        for key, cap in table.items():  # ``name`` is also the Baseline field that names the group
            floors = [(i, b) for i, b in enumerate(alloc.baselines) if getattr(b, name) == key]
            total = sum((b.amount for _, b in floors), Decimal(0))
            if floors and total > Decimal(cap):
                ids = " + ".join(f"'{b.id}' {money(b.amount)}" for _, b in floors)
                limit = money(Decimal(cap))
                found.add("BP242", ("allocation", "baselines", floors[-1][0], "amount"),
                          f"baselines for {name} '{key}' need {money(total)} ({ids}) but allocation.caps.per_{name}."
                          f"{key} is {limit}: the floor can never be met",
                          f"lower the floors to at most {limit} in total or raise the cap", severity="error")
    for i, b in enumerate(alloc.baselines):
        if b.kind is not None:
            _kind_reachable(policy, regions, b.kind, ("allocation", "baselines", i, "kind"),
                            f"baseline '{b.id}'", found)
    reserve = alloc.reserve
    if reserve is None:
        return
    if not reserve.kinds and not reserve.include_pilots:
        found.add("BP244", ("allocation", "reserve", "kinds"),
                  "the reserve funds no kind (kinds is empty and include_pilots is false)",
                  "list the kinds it funds, e.g. kinds = [\"stretch\", \"pilot\"], or remove the reserve")
    for k, kind in enumerate(reserve.kinds):
        _kind_reachable(policy, regions, kind, ("allocation", "reserve", "kinds", k), "the reserve", found)
    held = reserve.amount if reserve.amount is not None else (reserve.share or Decimal(0)) * alloc.pool
    kind_caps = [caps.per_kind.get(kind) for kind in reserve.kinds]
    if (reserve.kinds and not reserve.include_pilots and not reserve.release_unused
            and all(c is not None for c in kind_caps)):
        room = sum((Decimal(c) for c in kind_caps), Decimal(0))
        if room < held:
            found.add("BP243", ("allocation", "reserve"),
                      f"the reserve holds {money(held)} but the caps of its kinds ({', '.join(reserve.kinds)}) "
                      f"allow only {money(room)} and unused reserve is not released: {money(held - room)} can "
                      "never be spent",
                      "set release_unused = true, shrink the reserve or raise the per-kind caps")


def _kind_reachable(policy: Policy, regions: list[Region | None], kind: str, path: tuple[PathPart, ...],
                    owner: str, found: KeyPathDiagnostics) -> None:
    assert policy.allocation is not None
    if kind not in KINDS:
        found.add("BP244", path, f"{owner} names kind '{kind}', which no initiative can have",
                  f"initiative kinds are {', '.join(KINDS)}")
        return
    cap = policy.allocation.caps.per_kind.get(kind)
    if cap is not None and Decimal(cap) <= 0:
        found.add("BP244", path, f"{owner} names kind '{kind}' but allocation.caps.per_kind.{kind} is {cap}",
                  "raise the cap or drop the kind")
        return
    for i, rule in enumerate(policy.approval.rules):
        region = regions[i]
        if (rule.effect == "reject" and rule.effective_from is None and rule.effective_until is None
                and region is not None and set(region) == {"kind"} and isinstance(region["kind"], frozenset)
                and kind in region["kind"]):
            found.add("BP244", path,
                      f"{owner} names kind '{kind}' but rule '{rule.id}' rejects every {kind} "
                      f"(`{rule.condition}`, {format_key_path(('approval', 'rules', i))})",
                      "drop the kind or narrow the rule")
            return


def _sunset(policy: Policy, found: KeyPathDiagnostics) -> None:
    if policy.sunset is None:
        return
    criteria = policy.sunset.criteria
    for j, c in enumerate(criteria):
        path = ("sunset", "criteria", j)
        if c.kind in ("realisation_below", "completion_below") and c.threshold is not None and c.threshold <= 0:
            what = "realisation" if c.kind == "realisation_below" else "a completion rate"
            found.add("BP245", path + ("threshold",),
                      f"sunset criterion '{c.id}' can never trigger: {what} is never below {c.threshold}",
                      "use a threshold above 0, e.g. 0.4")
            continue
        if c.quarters < 1:
            found.add("BP245", path + ("quarters",),
                      f"sunset criterion '{c.id}' needs {c.quarters} quarters: it can never be counted",
                      "use quarters >= 1")
            continue
        for i in range(j):
            e = criteria[i]
            # A streak below a threshold holds over fewer quarters too; a behaviour change compares the
            # ends of its window, so only the same window with a looser threshold shadows it.
            shadowed = e.kind == c.kind and e.quarters <= c.quarters and (
                c.kind in ("no_measurement", "horizon_passed")
                or (c.kind == "no_behaviour_change" and e.quarters == c.quarters
                    and (e.threshold or 0) >= (c.threshold or 0))
                or (c.kind in ("realisation_below", "completion_below") and e.threshold is not None
                    and c.threshold is not None and c.threshold <= e.threshold))
            if shadowed:
                found.add("BP245", path,
                          f"sunset criterion '{c.id}' can never trigger: whenever it holds, the earlier "
                          f"criterion '{e.id}' ({format_key_path(('sunset', 'criteria', i))}) has already "
                          "ended the initiative", "remove it or make it stricter than the earlier one")
                break
