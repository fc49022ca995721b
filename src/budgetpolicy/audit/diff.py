"""Impact diff: how decisions change between two runs, and where the money moves (audit stage).

Used by ``budgetpolicy diff`` (the same initiatives under a base and a head
policy, before a change is merged) and by ``budgetpolicy replay --policy``
(recorded decisions against another policy version). Both compare decisions,
with their explanations, as canonical JSON data, provenance aside
(:func:`compared_record`: :func:`budgetpolicy.audit.entry.decision_record`, the
form the ledger stores, less the provenance), so a recorded decision and a
fresh one compare the same way.

Two strictnesses:

* **exact** (replay against the decision's own policy): every field of the
  decision must be identical (scores, rule traces, funding, narrative,
  counterfactuals, calibration), provenance aside;
* **substantive** (impact of another policy): a decision *changes* when its
  outcome, allocation, required approvers, score, expected value, flags or
  reason codes change. Rule traces and narrative follow from those and from
  wording, so they are listed as also changed but never make a change alone.

Money moved is the allocation delta summed by department, kind and priority.
An initiative counts in full under every priority it links (splitting it would
need a division that is not exact), so the priority rows can add up to more
than the total; initiatives without a priority are under ``(none)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import define, field, frozen

from budgetpolicy.audit.policydiff import PolicyChange, diff_policies
from budgetpolicy.canonical import to_jsonable
from budgetpolicy.data.load import apply_attribute_types
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.model import Decision, Explanation, Initiative, explained

ZERO = Decimal(0)
HEADLINE = ("outcome", "allocation", "required_approvers", "score")
SUBSTANTIVE = (*HEADLINE, "expected_value", "flags", "reasons")
# Compared only in exact mode; the order is the order differences are listed in.
DETAIL = ("reason_messages", "scores", "rules", "funding", "narrative", "counterfactuals", "calibration")


@frozen
class Summary:
    """The headline of one decision: what a reader of the change report wants to see first."""

    outcome: str
    allocation: Decimal
    required_approvers: tuple[str, ...]
    score: Decimal


@frozen
class DecisionChange:
    """One decision that differs: before and after, the fields that differ, and why when known."""

    initiative_id: str
    before: Summary
    after: Summary
    changed: tuple[str, ...]
    seq: int | None = None  # the ledger record replayed, when there is one
    causes: tuple[str, ...] = ()
    # Field -> (before, after) canonical values, for the fields in ``changed`` (JSON output).
    values: Mapping[str, tuple[Any, Any]] = field(factory=dict, eq=False)


def decision_data(record: Mapping[str, Any]) -> dict[str, Any]:
    """A decision record (canonical JSON data, what the ledger stores) with its provenance left out."""
    data = dict(record)
    data.pop("provenance", None)
    return data


def compared_record(decision: Decision, explanation: Explanation) -> dict[str, Any]:
    """``decision_data(decision_record(decision, explanation))``, without converting the provenance it
    leaves out: what replay compares with each record, and ``diff`` one run's decision with another's."""
    fields = explained(decision, explanation)
    del fields["provenance"]
    data: dict[str, Any] = to_jsonable(fields)
    return data


def _view(data: Mapping[str, Any]) -> dict[str, Any]:
    funding = data.get("funding") or {}
    reasons = data.get("reasons") or []
    return {
        "outcome": data.get("outcome"),
        "allocation": Decimal(funding.get("amount", "0")),
        "required_approvers": list(data.get("required_approvers") or []),
        "score": Decimal(data.get("score", "0")),
        "expected_value": Decimal(data.get("expected_value", "0")),
        "flags": list(data.get("flags") or []),
        "reasons": [r.get("code") for r in reasons],
        "reason_messages": [r.get("message") for r in reasons],
        "scores": data.get("scores"), "rules": data.get("rules"),
        "funding": {k: v for k, v in funding.items() if k != "amount"} or None,
        "narrative": data.get("narrative"), "counterfactuals": data.get("counterfactuals") or [],
        "calibration": data.get("calibration") or {},
    }


def summary(data: Mapping[str, Any]) -> Summary:
    view = _view(data)
    return Summary(view["outcome"], view["allocation"], tuple(view["required_approvers"]), view["score"])


def decision_change(before: Mapping[str, Any], after: Mapping[str, Any], *,
            exact: bool, initiative_id: str | None = None, seq: int | None = None) -> DecisionChange | None:
    """The change between two decision records (``decision_record``, or a ledger record's decision), or
    None when they agree (see the module docstring)."""
    b, a = decision_data(before), decision_data(after)
    if exact and b == a:
        return None
    vb, va = _view(b), _view(a)
    substantive = [name for name in SUBSTANTIVE if vb[name] != va[name]]
    if not exact and not substantive:
        return None
    detail = [name for name in DETAIL if vb[name] != va[name]]
    changed = substantive + detail
    if exact:
        # Fields outside the known views (a newer engine's additions) still count in exact mode.
        covered = {"outcome", "score", "expected_value", "required_approvers", "flags", "reasons", "scores",
                   "rules", "funding", "narrative", "counterfactuals", "calibration"}
        changed += sorted(k for k in set(a) | set(b) if k not in covered and a.get(k) != b.get(k))
    values = {name: (_out(vb.get(name, b.get(name))), _out(va.get(name, a.get(name)))) for name in changed}
    return DecisionChange(initiative_id or str(a.get("initiative_id") or b.get("initiative_id")),
                          summary(b), summary(a), tuple(changed), seq, (), values)


def _out(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


@define
class MoneyMoved:
    """Allocation before and after, summed by department, kind and priority (streaming-friendly)."""

    total_before: Decimal = ZERO
    total_after: Decimal = ZERO
    gained: Decimal = ZERO  # summed increases of the initiatives that got more
    lost: Decimal = ZERO    # summed decreases of the initiatives that got less
    groups: dict[tuple[str, str], list[Decimal]] = field(factory=dict)

    def add(self, initiative: Initiative, before: Decimal, after: Decimal) -> None:
        if before == after == ZERO:
            return
        self.total_before += before
        self.total_after += after
        if after > before:
            self.gained += after - before
        else:
            self.lost += before - after
        keys = [("department", initiative.department), ("kind", initiative.kind)]
        keys += [("priority", p) for p in initiative.priorities] or [("priority", "(none)")]
        for key in keys:
            cell = self.groups.setdefault(key, [ZERO, ZERO])
            cell[0] += before
            cell[1] += after

    def rows(self, by: str) -> list[tuple[str, Decimal, Decimal, Decimal]]:
        """(group, before, after, delta) for one dimension, groups whose allocation changed, by name."""
        return [(name, b, a, a - b) for (dim, name), (b, a) in sorted(self.groups.items())
                if dim == by and a != b]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": {"before": _out(self.total_before), "after": _out(self.total_after),
                      "delta": _out(self.total_after - self.total_before),
                      "gained": _out(self.gained), "lost": _out(self.lost)},
            **{f"by_{by}": [{"group": g, "before": _out(b), "after": _out(a), "delta": _out(d)}
                            for g, b, a, d in self.rows(by)] for by in ("priority", "department", "kind")},
        }


@frozen
class ImpactDiff:
    """The impact of a policy change on one set of initiatives (``budgetpolicy diff``)."""

    base: Any   # Evaluation under the base policy
    head: Any   # Evaluation under the head policy
    changes: tuple[DecisionChange, ...]
    money: MoneyMoved
    policy_changes: tuple[PolicyChange, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def compare_evaluations(base: Evaluation, head: Evaluation,
                        initiatives: Iterable[Initiative]) -> tuple[tuple[DecisionChange, ...], MoneyMoved]:
    """Substantive changes between two evaluations of the same initiatives, and the money moved."""
    by_id = {i.id: i for i in initiatives}
    money = MoneyMoved()
    changes: list[DecisionChange] = []
    for before, explanation in base.explained():
        after = head.decision(before.initiative_id)
        money.add(by_id[before.initiative_id], before.allocation, after.allocation)
        change = decision_change(compared_record(before, explanation),
                                 compared_record(after, head.explanation(after.initiative_id)), exact=False)
        if change is not None:
            changes.append(change)
    return tuple(changes), money


def impact_diff(base: Any, head: Any, initiatives: Sequence[Initiative], context: Any) -> ImpactDiff:
    """Evaluate ``initiatives`` under two compiled policies with one context and compare everything."""
    # Each policy declares its own attribute types, so each gets its own typed copy of the data.
    base_eval = base.evaluate(apply_attribute_types(initiatives, base.policy.attributes), context)
    head_eval = head.evaluate(apply_attribute_types(initiatives, head.policy.attributes), context)
    changes, money = compare_evaluations(base_eval, head_eval, initiatives)
    return ImpactDiff(base_eval, head_eval, changes, money, diff_policies(base.policy, head.policy))


def change_dict(change: DecisionChange) -> dict[str, Any]:
    """One change as JSON data: headline before/after and every changed field's values."""
    def side(s: Summary) -> dict[str, Any]:
        return {"outcome": s.outcome, "allocation": _out(s.allocation),
                "required_approvers": list(s.required_approvers), "score": _out(s.score)}
    out: dict[str, Any] = {"initiative_id": change.initiative_id, "before": side(change.before),
                           "after": side(change.after), "changed": list(change.changed),
                           "fields": {k: {"before": b, "after": a} for k, (b, a) in change.values.items()}}
    if change.seq is not None:
        out["seq"] = change.seq
    if change.causes:
        out["causes"] = list(change.causes)
    return out
