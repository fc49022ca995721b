"""Ledger entries: what one record will hold, and how a decision becomes one.

A decision is recorded with its exact inputs (the initiative as the engine
saw it, the outcomes used) and its provenance, as canonical JSON data:
:func:`plain` gives the same result as ``canonical.to_jsonable`` with every
mapping's keys already sorted, so the ledger can serialise it without sorting
again (serialising is most of an append's cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from budgetpolicy.canonical import JSON_LEAVES as _LEAVES  # returned as they are (exact types only)
from budgetpolicy.canonical import decimal_text, to_jsonable
from budgetpolicy.errors import LedgerError
from budgetpolicy.model import Decision, Explanation, explained

# attrs class -> its eq fields' names, sorted; any other type seen -> None (so attrs.has runs once per type).
_SORTED_FIELDS: dict[type, tuple[str, ...] | None] = {}


def plain(value: Any) -> Any:
    """``to_jsonable(value)`` with sorted keys; refuses floats like it does.

    Leaves are checked inline before recursing (a decision has ~170 values, most of them
    leaves): this runs once per recorded decision.
    """
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is Decimal:
        return decimal_text(value)
    if kind is list or kind is tuple:
        return [v if type(v) in _LEAVES else plain(v) for v in value]
    try:
        names = _SORTED_FIELDS[kind]
    except KeyError:
        names = _SORTED_FIELDS[kind] = (tuple(sorted(f.name for f in attrs.fields(kind) if f.eq))
                                        if attrs.has(kind) else None)
    if names is not None:
        out = {}
        for name in names:
            v = getattr(value, name)
            out[name] = v if type(v) in _LEAVES else plain(v)
        return out
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, bool):  # subclasses of the JSON scalars (enums, str-derived literals)
        return bool(value)
    if isinstance(value, int) and not isinstance(value, float):
        return int(value)
    if isinstance(value, str):  # str.__str__, not str(): a (str, Enum) member's str() is "Cls.NAME"
        return str.__str__(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return plain(to_jsonable(value))  # dates, sets, Decimal subclasses; floats raise TypeError


@frozen
class LedgerEntry:
    """One record to append; ``payload`` is JSON-able (Decimals allowed, floats refused)."""

    kind: str
    initiative_id: str
    period: str | None
    policy_id: str
    policy_version: str
    policy_sha256: str
    evaluated_at: str
    payload: dict[str, Any] = field(hash=False)
    # True when ``payload`` came from :func:`plain` (JSON types only, keys sorted, no floats), so
    # appending skips both key sorting and the float check: the hot path of a big evaluation.
    plain: bool = field(default=False, eq=False, repr=False)


def entry_for_decision(decision: Any, input_record: Any, outcomes: list[Any] | None = None, *,
                       kind: str = "decision", period: str | None = None,
                       explanation: Explanation | None = None) -> LedgerEntry:
    """The ledger entry for one decision: the decision with its explanation (``Evaluation.explanation``;
    none given: an empty one), its exact inputs and its provenance."""
    prov = decision.provenance
    if prov is None:
        raise LedgerError(f"decision for '{decision.initiative_id}' has no provenance; "
                          f"only decisions made by the engine can be recorded", code="BP805",
                          hint="evaluate through CompiledPolicy.evaluate, which fills provenance")
    try:
        payload = _decision_payload(decision_record(decision, explanation or _UNEXPLAINED), input_record,
                                    outcomes, prov)
    except TypeError as exc:
        raise LedgerError(f"decision for '{decision.initiative_id}' cannot be recorded: {exc}",
                          code="BP805", hint="inputs must hold Decimal, not float") from exc
    return LedgerEntry(kind=kind, initiative_id=decision.initiative_id, period=period,
                       policy_id=prov.policy_id, policy_version=prov.policy_version,
                       policy_sha256=prov.policy_sha256, evaluated_at=prov.evaluated_at,
                       payload=payload, plain=True)


_UNEXPLAINED = Explanation()


def decision_record(decision: Decision, explanation: Explanation) -> dict[str, Any]:
    """A decision with its explanation as the ledger stores it (canonical JSON data, keys sorted)."""
    return plain(explained(decision, explanation))  # type: ignore[no-any-return]


def _decision_payload(record: dict[str, Any], input_record: Any, outcomes: list[Any] | None, prov: Any) -> Any:
    # The keys in sorted order, as plain() would give them; the record is plain already.
    return {
        "decision": record,
        "input": plain(input_record),
        "outcomes": plain(list(outcomes or [])),
        "provenance": plain({"engine_version": prov.engine_version, "plugins": prov.plugins,
                             "input_sha256": prov.input_sha256, "as_of": prov.as_of}),
    }
