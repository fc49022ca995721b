"""The policy's ``[stretch]`` section: built into a :class:`~budgetpolicy.model.StretchPolicy` and checked.

Kept apart from the other sections because only ``budgetpolicy stretch select`` reads it
(:mod:`budgetpolicy.stretch`). The schema has checked shapes and ranges; the checks here are what it
cannot say, each located by key path (``stretch.mentors[1].name``):

BP250 every rubric weight is 0 (no score could rank anyone); BP251 a mentor is listed twice; BP252 an
assignment's seats are given twice; BP253 ``max_load`` is 0 (nobody could take any assignment); BP254
``groups`` names ``department``, which is always shown; BP255 ``scale`` is not above 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from budgetpolicy.model import STRETCH_CRITERIA, Policy, StretchPolicy
from budgetpolicy.policy.locate import KeyPathDiagnostics


def build_stretch(data: Mapping[str, Any], dec: Callable[[Any], Decimal]) -> StretchPolicy:
    """The frozen ``[stretch]`` of schema-valid data (``dec``: the builder's exact Decimal conversion)."""
    d = StretchPolicy(weights={}, mentors=())
    weights = data.get("weights", {})
    return StretchPolicy(
        weights={c: dec(weights.get(c, 0)) for c in STRETCH_CRITERIA},
        mentors=tuple((m["name"], m["capacity"]) for m in data.get("mentors", [])),
        seats=tuple((a["id"], a["seats"]) for a in data.get("assignments", [])),
        scale=dec(data.get("scale", d.scale)), max_load=dec(data.get("max_load", d.max_load)),
        max_concurrent=data.get("max_concurrent", d.max_concurrent), groups=tuple(data.get("groups", ())),
        min_impact_ratio=dec(data.get("min_impact_ratio", d.min_impact_ratio)),
        strategy=data.get("strategy", d.strategy))


def stretch_diagnostics(policy: Policy, found: KeyPathDiagnostics) -> None:
    """The ``[stretch]`` checks of the module docstring (nothing when the policy has no ``[stretch]``)."""
    stretch = policy.stretch
    if stretch is None:
        return
    if not any(w > 0 for w in stretch.weights.values()):
        found.add("BP250", ("stretch", "weights"), "every candidate rubric weight is 0",
                  f"give at least one of {', '.join(STRETCH_CRITERIA)} a weight above 0")
    if stretch.scale <= 0:
        found.add("BP255", ("stretch", "scale"), f"scale {stretch.scale} must be above 0",
                  "ratings run from 0 to the scale, e.g. scale = 5")
    if stretch.max_load <= Decimal(0):
        found.add("BP253", ("stretch", "max_load"), "max_load 0 lets nobody take an assignment",
                  "give the share of a person's time stretch work may take, e.g. 0.3")
    if "department" in stretch.groups:
        found.add("BP254", ("stretch", "groups", stretch.groups.index("department")),
                  "'department' is always shown; it is not a group to declare", "remove it from groups")
    for table, key, code, what, names in (("mentors", "name", "BP251", "mentor", [m for m, _ in stretch.mentors]),
                                          ("assignments", "id", "BP252", "assignment", [a for a, _ in stretch.seats])):
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                found.add(code, ("stretch", table, index, key), f"{what} '{name}' is listed twice",
                          f"keep one [[stretch.{table}]] entry for '{name}'")
            seen.add(name)
