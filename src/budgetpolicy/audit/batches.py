"""Recorded evaluations read back from the ledger: batches of decision records, and their inputs.

What replay (:mod:`budgetpolicy.audit.replay`, which documents batches and what
the context is rebuilt from) and its batch runner (:mod:`budgetpolicy.audit.replayrun`)
both read: ``iter_batches`` groups a ledger's decision records into the
evaluations that wrote them, ``rebuild_initiative`` and ``context_for`` give
back each initiative and the evaluation context exactly as the engine saw them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import frozen

from budgetpolicy.audit.entry import LedgerRecord
from budgetpolicy.data.load import apply_attribute_types, record_to_initiative
from budgetpolicy.data.records import to_attribute
from budgetpolicy.engine.compile import EvaluationContext
from budgetpolicy.errors import DataError, LedgerError, Location
from budgetpolicy.model import Decision, Funding, Initiative, Provenance, Reason


@frozen
class Batch:
    """The records of one recorded evaluation, in chain order, with each payload parsed once
    (``payloads[i]`` is ``records[i]``'s; replay reads a payload several times)."""

    kind: str
    policy_sha256: str
    evaluated_at: str
    period: str | None
    records: tuple[LedgerRecord, ...]
    payloads: tuple[dict[str, Any], ...]


# A policy copy is no decision; a mid-year request holds one, but it is an event of the budget year,
# decided alone under its plan's policy and replayed with the year (budgetpolicy.year.replay).
_NOT_EVALUATIONS = frozenset({"policy", "request"})


def iter_batches(records: Iterator[LedgerRecord]) -> Iterator[Batch]:
    """Group consecutive decision records into evaluations (see :mod:`budgetpolicy.audit.replay`)."""
    current: list[tuple[LedgerRecord, dict[str, Any]]] = []
    ids: set[str] = set()
    key: tuple[str, str, str, str | None] = ("", "", "", None)
    for record in records:
        entry = record.entry
        if entry.kind in _NOT_EVALUATIONS:
            continue
        payload = record.data()
        if not isinstance(payload, dict) or not isinstance(payload.get("decision"), dict):
            continue
        this = (entry.kind, entry.policy_sha256, entry.evaluated_at, entry.period)
        if current and (this != key or entry.initiative_id in ids):
            yield _batch(key, current)
            current, ids = [], set()
        key = this
        current.append((record, payload))
        ids.add(entry.initiative_id)
    if current:
        yield _batch(key, current)


def _batch(key: tuple[str, str, str, str | None], members: list[tuple[LedgerRecord, dict[str, Any]]]) -> Batch:
    """The batch of ``members``, emptying the list: while the batch is replayed the suspended generator
    holds no reference to it, so dropping the batch frees it."""
    batch = Batch(*key, tuple(r for r, _ in members), tuple(p for _, p in members))
    members.clear()
    return batch


def rebuild_initiative(record: LedgerRecord, payload: dict[str, Any], attribute_types: Any) -> Initiative:
    """The initiative exactly as the engine saw it, from the record's input snapshot (``payload``: parsed)."""
    snapshot = payload.get("input")
    if not isinstance(snapshot, dict):
        raise LedgerError(f"record {record.seq} ({record.entry.initiative_id}) has no input snapshot to replay",
                          Location(key=f"record {record.seq}", field="input"),
                          hint="only decisions recorded by 'evaluate --ledger' can be replayed", code="BP841")
    try:
        built = _from_snapshot(snapshot, attribute_types)
        if built is None:  # not in the engine's own shape: take the validating path
            initiative = record_to_initiative(snapshot)
        elif built[1]:  # its attributes already have the policy's types
            return built[0]
        else:
            initiative = built[0]
        (initiative,) = apply_attribute_types([initiative], attribute_types)  # or says which does not convert
    except DataError as exc:
        raise LedgerError(f"record {record.seq} ({record.entry.initiative_id}): the input snapshot does not load: "
                          f"{exc.diagnostics[0].message}", Location(key=f"record {record.seq}", field="input"),
                          code="BP841", hint="the record was written by an incompatible budgetpolicy") from exc
    return initiative


def rebuild_decision(record: LedgerRecord, payload: dict[str, Any]) -> Decision:
    """The settled facts of a recorded decision (``payload["decision"]``) as the ``Decision`` value a review
    reads: outcome, score, expected value, approvers, flags, reasons, funding, provenance, calibration."""
    found = payload.get("decision")
    data: dict[str, Any] = found if isinstance(found, dict) else {}
    try:
        funding, prov = data.get("funding"), data.get("provenance")
        return Decision(
            initiative_id=str(data["initiative_id"]), outcome=str(data["outcome"]), score=Decimal(data["score"]),
            expected_value=Decimal(data["expected_value"]),
            required_approvers=tuple(str(r) for r in data.get("required_approvers", ())),
            flags=tuple(str(f) for f in data.get("flags", ())),
            reasons=tuple(Reason(str(r["code"]), str(r["message"])) for r in data.get("reasons", ())),
            funding=None if funding is None else Funding(
                Decimal(funding["amount"]), Decimal(funding["requested"]), str(funding["step"]), funding.get("rank"),
                str(funding.get("explanation", ""))),
            provenance=None if prov is None else Provenance(
                **{**prov, "plugins": tuple(tuple(p) for p in prov.get("plugins", ()))}),
            calibration=data.get("calibration") or {})
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        raise LedgerError(f"record {record.seq} ({record.entry.initiative_id}) holds no readable decision",
                          Location(key=f"record {record.seq}", field="decision"), code="BP841",
                          hint="the record was written by an incompatible budgetpolicy") from None


_DECIMAL_MAPS = ("forecast", "ratings")
_TUPLES = ("priorities", "objectives", "evaluation_plan")


def _from_snapshot(snapshot: dict[str, Any], attribute_types: Mapping[str, str]) -> tuple[Initiative, bool] | None:
    """The Initiative built straight from a snapshot the engine wrote (every field, canonical values), and
    whether its attributes are typed as ``apply_attribute_types`` types them (False: one does not convert).

    Schema validation costs three quarters of a replay and proves nothing here:
    the chain proves the snapshot is the one recorded, and replay checks that the
    rebuilt initiative hashes to the recorded ``input_sha256``.
    """
    try:
        values = dict(snapshot)
        values["cost"] = Decimal(values["cost"])
        values["probability"] = Decimal(values["probability"])
        for name in _DECIMAL_MAPS:
            values[name] = {k: Decimal(v) for k, v in values[name].items()}
        if "milestones" in values:  # left out of snapshots while empty (model.ADDED_LATER)
            values["milestones"] = {q: {k: Decimal(v) for k, v in lifts.items()}
                                    for q, lifts in values["milestones"].items()}
        for name in _TUPLES:
            values[name] = tuple(values[name])
        attributes = {k: tuple(v) if isinstance(v, list) else v for k, v in values["attributes"].items()}
        typed = _typed(attributes, attribute_types)
        # What apply_attribute_types does, without building the initiative twice: an initiative whose
        # attributes the types leave equal is kept as it is.
        values["attributes"] = attributes if typed is None or typed == attributes else typed
        return Initiative(**values), typed is not None
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        return None


def _typed(attributes: dict[str, Any], attribute_types: Mapping[str, str]) -> dict[str, Any] | None:
    """``attributes`` converted to the declared types as ``apply_attribute_types`` converts them; None when
    one does not convert (``apply_attribute_types`` then names it)."""
    typed: dict[str, Any] = {}
    try:
        for key, value in attributes.items():
            converted = to_attribute(value, attribute_types.get(key))
            typed[key] = tuple(converted) if isinstance(converted, list) else converted
    except Exception:  # data.records' private _Bad, or what a malformed value raises: the slow path words it
        return None
    return typed


def context_for(batch: Batch) -> EvaluationContext:
    """The evaluation context the batch was recorded with."""
    first = batch.payloads[0]
    as_of = (first.get("provenance") or {}).get("as_of")
    factors: dict[str, Decimal] = {}
    explain = False
    for payload in batch.payloads:
        decision = payload["decision"]
        calibration = decision.get("calibration") or {}
        if "group" in calibration and "factor" in calibration:
            factors[str(calibration["group"])] = Decimal(calibration["factor"])
        explain = explain or bool(decision.get("counterfactuals"))
    try:
        at = dt.datetime.fromisoformat(batch.evaluated_at)
    except ValueError:
        raise LedgerError(f"record {batch.records[0].seq}: evaluated_at '{batch.evaluated_at}' is not a timestamp",
                          Location(key=f"record {batch.records[0].seq}"), code="BP841") from None
    return EvaluationContext(evaluated_at=at, as_of=dt.date.fromisoformat(as_of) if as_of else None,
                             calibration=factors, explain=explain)
