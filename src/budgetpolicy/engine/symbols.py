"""The names a condition can use, and the per-initiative environment that binds them.

The symbol table (types) is built once per policy from the initiative schema
plus the policy's declared ``[attributes]``; the environment is built once per
initiative. Conditions are type-checked against the table before any data is
seen, so a typo like ``cots`` fails validation with a did-you-mean.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from attrs import evolve

from budgetpolicy.errors import Location
from budgetpolicy.expr import (ANY, BOOL, NUMBER, STRING, Type, list_of, map_of, optional, parse_type,
                               record)
from budgetpolicy.expr.types import TypeSyntaxError
from budgetpolicy.model import FrozenMap, Initiative, Policy
from budgetpolicy.policy.locate import TomlLocator

# Names available after scoring: rules may gate on the score.
SCORE_SYMBOLS = ("score", "expected_value", "scores")


def initiative_symbols(policy: Policy) -> dict[str, Type]:
    """Types of every name a condition may reference, for this policy."""
    attributes = {name: optional(_attribute_type(policy, name, str(type_name)))
                  for name, type_name in policy.attributes.items()}
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


# A declared ``date`` attribute holds ISO ``YYYY-MM-DD`` text (data/records.py converts it), so a condition
# reads it as a string: ISO text orders as the dates do (``attributes.due < "2026-07-01"``).
_ATTRIBUTE_TYPE_NAMES = {"date": "string"}


def _attribute_type(policy: Policy, name: str, type_name: str) -> Type:
    try:
        return parse_type(_ATTRIBUTE_TYPE_NAMES.get(type_name, type_name))
    except TypeSyntaxError as exc:  # the schema allows only known names; say where if one slips through
        source = policy.source
        line = TomlLocator(source.text).exact_line(("attributes", name)) if source and source.text else None
        raise TypeSyntaxError([evolve(d, location=Location(file=source.path if source else None,
                                                          key=f"attributes.{name}", line=line))
                               for d in exc.diagnostics]) from None


def initiative_env(initiative: Initiative, declared_attributes: Any = ()) -> dict[str, Any]:
    """Bind an initiative's values to the symbol names (numbers as Decimal).

    Lists stay the initiative's own tuples (immutable, and the form expressions use), maps are
    copied into plain dicts (the compiled expressions' fast path). :class:`ConditionEnv` builds
    the hot path's leaner version.
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


# Initiative fields bound as they are (their types are already the expression language's).
AS_IS = ("id", "title", "kind", "department", "role", "cost", "currency", "priorities", "probability",
          "objectives", "delivery", "evaluation_plan", "sponsor", "mentor", "pilot", "start")


class ConditionEnv:
    """Builds the environment of only the initiative fields a policy's conditions read.

    For the hot path, where the environment is dropped once the rules have run: one C-level
    attribute fetch for the fields bound as they are, maps shared with the initiative (conditions
    never change them). Gives the same values as :func:`initiative_env` for those names.
    """

    def __init__(self, names: Iterable[str], declared_attributes: Any = ()) -> None:
        heads = {name.split(".", 1)[0] for name in names}
        self.as_is = tuple(sorted(heads.intersection(AS_IS)))
        # attrgetter of one name returns the value, of several a tuple: always ask for two or more.
        self._fetch = operator.attrgetter(*self.as_is, "id") if self.as_is else None
        self.numbers: tuple[str, ...] = tuple(n for n in ("headcount", "horizon") if n in heads)
        self.maps: tuple[str, ...] = tuple(n for n in ("forecast", "ratings") if n in heads)
        self.attributes = "attributes" in heads
        self.declared = tuple(declared_attributes)

    def __call__(self, initiative: Initiative) -> dict[str, Any]:
        env: dict[str, Any] = dict(zip(self.as_is, self._fetch(initiative))) if self._fetch else {}
        for name in self.numbers:
            env[name] = Decimal(getattr(initiative, name))
        for name in self.maps:
            env[name] = _shared(getattr(initiative, name))
        if self.attributes:
            if self.declared:
                attributes = dict.fromkeys(self.declared)
                attributes.update(_shared(initiative.attributes))
                env["attributes"] = attributes
            else:
                env["attributes"] = _shared(initiative.attributes)
        return env


def _plain(mapping: Any) -> dict[str, Any]:
    return mapping.as_dict() if mapping.__class__ is FrozenMap else dict(mapping)


def _shared(mapping: Any) -> Any:
    return mapping._data if mapping.__class__ is FrozenMap else mapping
