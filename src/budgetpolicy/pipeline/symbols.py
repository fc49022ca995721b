"""The names a condition can use, and the per-initiative environment that binds them.

The symbol table (types) is built once per policy from the initiative schema
plus the policy's declared ``[attributes]``; the environment is built once per
initiative. Conditions are type-checked against the table before any data is
seen, so a typo like ``cots`` fails validation with a did-you-mean.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from budgetpolicy.expr import (ANY, BOOL, NUMBER, STRING, Type, list_of, map_of, optional, parse_type,
                               record)
from budgetpolicy.model import FrozenMap, Initiative, Policy

# Names available after scoring: rules may gate on the score.
SCORE_SYMBOLS = ("score", "expected_value", "scores")


def initiative_symbols(policy: Policy) -> dict[str, Type]:
    """Types of every name a condition may reference, for this policy."""
    attributes = {name: optional(parse_type(str(type_name))) for name, type_name in policy.attributes.items()}
    return {
        "id": STRING, "title": STRING, "kind": STRING, "department": STRING, "role": optional(STRING),
        "cost": NUMBER, "currency": optional(STRING), "headcount": NUMBER,
        "priorities": list_of(STRING), "forecast": map_of(NUMBER), "probability": NUMBER,
        "horizon": NUMBER, "objectives": list_of(STRING), "delivery": optional(STRING),
        "evaluation_plan": list_of(STRING), "sponsor": optional(STRING), "mentor": optional(STRING),
        "pilot": BOOL, "ratings": map_of(NUMBER), "start": optional(STRING),
        "attributes": record(attributes) if attributes else map_of(ANY),
        "score": NUMBER, "expected_value": NUMBER,
        "scores": record({c.id: NUMBER for c in policy.scoring.criteria}),
    }


def initiative_env(initiative: Initiative, declared_attributes: Any = ()) -> dict[str, Any]:
    """Bind an initiative's values to the symbol names (numbers as Decimal).

    Lists stay the initiative's own tuples (immutable, and the form expressions use), maps are
    copied into plain dicts (the compiled expressions' fast path): built once per initiative.
    """
    attributes: dict[str, Any] = dict.fromkeys(declared_attributes)
    attributes.update(_plain(initiative.attributes))
    return {
        "id": initiative.id, "title": initiative.title, "kind": initiative.kind,
        "department": initiative.department, "role": initiative.role, "cost": initiative.cost,
        "currency": initiative.currency, "headcount": Decimal(initiative.headcount),
        "priorities": initiative.priorities, "forecast": _plain(initiative.forecast),
        "probability": initiative.probability, "horizon": Decimal(initiative.horizon),
        "objectives": initiative.objectives, "delivery": initiative.delivery,
        "evaluation_plan": initiative.evaluation_plan, "sponsor": initiative.sponsor,
        "mentor": initiative.mentor, "pilot": initiative.pilot, "ratings": _plain(initiative.ratings),
        "start": initiative.start, "attributes": attributes,
    }


def _plain(mapping: Any) -> dict[str, Any]:
    return mapping.as_dict() if mapping.__class__ is FrozenMap else dict(mapping)
