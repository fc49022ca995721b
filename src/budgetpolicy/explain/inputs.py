"""The inputs a counterfactual may change, with their resolution and range, and how to change one.

Private helper of :mod:`.counterfactual`. Numbers move on a grid (the
allocation unit for cost, whole people and quarters, hundredths of a
probability, rating steps) inside a plausible range, so a bounded search ends
and a threshold is stated at a value someone could actually write down.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from attrs import evolve, frozen

from budgetpolicy.model import Initiative, Policy

ZERO, ONE = Decimal(0), Decimal(1)


@frozen
class Input:
    path: str
    current: Decimal
    resolution: Decimal
    low: Decimal
    high: Decimal
    integer: bool = False


def numeric_inputs(initiative: Initiative, policy: Policy) -> list[Input]:
    unit = policy.allocation.unit if policy.allocation is not None else ONE
    cost, heads, horizon = initiative.cost, Decimal(initiative.headcount), Decimal(initiative.horizon)
    out = [Input("cost", cost, unit, ZERO, max(cost * 10, Decimal(1_000_000))),
           Input("headcount", heads, ONE, ONE, max(heads * 10, Decimal(1000)), True),
           Input("probability", initiative.probability, Decimal("0.01"), ZERO, ONE),
           Input("horizon", horizon, ONE, ONE, max(horizon * 4, Decimal(40)), True)]
    scales = {str(c.params.get("rating", c.id)): Decimal(str(c.params.get("scale", 5)))
              for c in policy.scoring.criteria if c.scorer == "rubric"}
    for key, value in sorted(initiative.ratings.items()):
        value = Decimal(value)
        step = ONE if value == value.to_integral_value() else Decimal("0.1")
        out.append(Input(f"ratings.{key}", value, step, ZERO, max(scales.get(key, Decimal(5)), value)))
    for pid in initiative.priorities:
        priority = policy.priority(pid)
        value = Decimal(initiative.forecast.get(pid, ZERO))
        gap = priority.kpi.gap if priority is not None else ONE
        out.append(Input(f"forecast.{pid}", value, Decimal("0.01"), ZERO, max(value * 10, gap, ONE)))
    for name, type_name in policy.attributes.items():
        value = initiative.attributes.get(name)
        if str(type_name) == "number" and isinstance(value, Decimal):
            step = ONE if value == value.to_integral_value() else Decimal("0.01")
            out.append(Input(f"attributes.{name}", value, step, min(ZERO, value), max(abs(value) * 10, Decimal(100))))
    return out


def other_changes(initiative: Initiative, policy: Policy, names: set[str]) -> list[tuple[str, str, Any, str]]:
    """Non-numeric changes worth trying: name a mentor or sponsor, add a plan, link a priority, toggle a flag."""
    out: list[tuple[str, str, Any, str]] = []
    for path in ("mentor", "sponsor", "delivery"):
        if path in names:
            if getattr(initiative, path):
                out.append((path, "unset", None, f"it had no {path}"))
            else:
                out.append((path, "set", f"(a {path})", f"a {path} is named"))
    if "pilot" in names:
        out.append(("pilot", "set", not initiative.pilot, "it were a pilot" if not initiative.pilot
                    else "it were not a pilot"))
    for path, item, clause in (("evaluation_plan", "kpi_tracking", "it had an evaluation plan"),
                               ("objectives", "(an objective)", "it named a learning objective")):
        if path in names and not getattr(initiative, path):
            out.append((path, "add", (item,), clause))
    if "priorities" in names and not initiative.priorities:
        for p in policy.priorities:
            out.append(("priorities", "add", (p.id,), f"it linked to priority {p.id}"))
    if "forecast" in names and not initiative.forecast:
        for pid in initiative.priorities or tuple(p.id for p in policy.priorities[:1]):
            out.append(("forecast", "add", {pid: ZERO}, f"it forecast a lift for {pid}"))
    for name, type_name in policy.attributes.items():
        if f"attributes.{name}" in names and str(type_name) == "bool":
            now = bool(initiative.attributes.get(name))
            out.append((f"attributes.{name}", "set", not now, f"{name} were {'no' if now else 'yes'}"))
    return out


def with_input(initiative: Initiative, path: str, value: Any) -> Initiative:
    head, _, key = path.partition(".")
    changes: dict[str, Any]
    if head in ("headcount", "horizon"):
        changes = {head: int(value)}
    elif key and head in ("ratings", "forecast", "attributes"):
        changes = {head: {**getattr(initiative, head), key: value}}
    else:
        changes = {head: value}
    return evolve(initiative, **changes)


def label(path: str) -> str:
    head, _, key = path.partition(".")
    if head == "forecast":
        return f"forecast lift for {key}"
    return key or head
