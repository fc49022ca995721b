"""Checks of the policy keys that put a money value on outcomes (docs/evidence.md), BP670..BP676.

``[[priorities]] value_per_unit`` / ``value_unit`` and the ``[evidence]`` defaults. The schema has
checked the shapes; the checks here are the ranges and the unit consistency it cannot say, each located
by key path (``priorities[2].value_unit``):

BP670 ``value_unit`` is not the KPI's unit (or the KPI has no unit to price); BP671 ``value_per_unit`` is
not above 0; BP672 ``attribution`` or ``confidence`` outside 0..1; BP673 ``hourly_cost`` below 0; BP674
``max_benefit_years`` not above 0; BP675 ``value_unit`` without ``value_per_unit``; BP676 (warning) some
priorities are priced and others are not, so money figures leave the unpriced ones out.
"""

from __future__ import annotations

from decimal import Decimal

from budgetpolicy.model import Policy
from budgetpolicy.policy.locate import KeyPathDiagnostics

ZERO, ONE = Decimal(0), Decimal(1)


def evidence_diagnostics(policy: Policy, found: KeyPathDiagnostics) -> None:
    """Every problem of the money-value keys of ``policy``, added to ``found``."""
    priced = [p.value_per_unit is not None for p in policy.priorities]
    for i, p in enumerate(policy.priorities):
        path = ("priorities", i)
        unit = p.kpi.unit.strip()
        if p.value_per_unit is None:
            if p.value_unit is not None:
                found.add("BP675", path + ("value_unit",), f"priority '{p.id}' names value_unit without value_per_unit",
                          "add value_per_unit (money per KPI unit per year) or remove value_unit")
            continue
        if p.value_per_unit <= 0:
            found.add("BP671", path + ("value_per_unit",), f"value_per_unit {p.value_per_unit} must be > 0",
                      f"write the money one {unit or 'KPI unit'} of improvement is worth per year")
        if not unit:
            found.add("BP670", path + ("kpi", "unit"), f"priority '{p.id}' has value_per_unit but its KPI has no unit",
                      "name the KPI's unit (e.g. unit = \"days\") so the value says what it is paid per")
        elif p.value_unit is not None and p.value_unit.strip() != unit:
            found.add("BP670", path + ("value_unit",),
                      f"value_unit \"{p.value_unit}\" is not the unit of priority '{p.id}''s KPI (\"{unit}\")",
                      f"price the KPI in its own unit: value_unit = \"{unit}\", with value_per_unit converted")
    if any(priced) and not all(priced):
        missing = ", ".join(p.id for p, has in zip(policy.priorities, priced) if not has)
        found.add("BP676", ("priorities",), f"no value_per_unit on {missing}: money benefit and ROI leave "
                  "their lift out", "give every priority a value_per_unit, or none", severity="warning")
    evidence = policy.evidence
    if evidence is None:
        return
    for name in ("attribution", "confidence"):
        value: Decimal = getattr(evidence, name)
        if not ZERO <= value <= ONE:
            found.add("BP672", ("evidence", name), f"{name} {value} is outside 0..1",
                      "write a share such as 0.5 for 50%")
    if evidence.hourly_cost < 0:
        found.add("BP673", ("evidence", "hourly_cost"), f"hourly_cost {evidence.hourly_cost} must be >= 0",
                  "write the cost of one participant hour in the policy currency, or 0")
    if evidence.max_benefit_years <= 0:
        found.add("BP674", ("evidence", "max_benefit_years"),
                  f"max_benefit_years {evidence.max_benefit_years} must be > 0", "use 1 (first-year benefits only)")
