"""Ledger entries and records: what one record holds, and how a decision becomes an entry.

An entry is the eight columns a record hashes: seven header fields and the
payload as canonical JSON text (:func:`budgetpolicy.canonical.canonical_bytes`),
exactly as stored and hashed. The payload is encoded when the entry is built,
so appending only hashes and inserts, and a record read back holds the stored
text unchanged: verify and export use it as it is, readers that want the
payload's data parse it (:meth:`LedgerEntry.data`). A record is an entry with
its place in the chain.
"""

from __future__ import annotations

from typing import Any

from attrs import field, frozen
from attrs.validators import instance_of

from budgetpolicy.canonical import canonical_bytes, parse_json, to_jsonable
from budgetpolicy.errors import LedgerError, Location
from budgetpolicy.expr.calls import args_key, to_record
from budgetpolicy.model import Decision, Explanation, FunctionCall, explained


def payload_text(payload: Any, subject: str = "a ledger payload",
                 hint: str = "convert numbers with decimal.Decimal before recording") -> str:
    """The canonical JSON text a record stores for ``payload``; BP805 when it cannot be recorded.

    ``payload`` may hold anything :func:`budgetpolicy.canonical.to_jsonable` converts (Decimals,
    dates, attrs values); floats, and text that is not valid Unicode, are refused.
    """
    try:
        return canonical_bytes(payload).decode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 text to store or hash
        raise LedgerError(f"ledger payloads must be valid Unicode text: {exc}", code="BP805",
                          hint="the input holds a lone surrogate code point; fix its encoding") from exc
    except TypeError as exc:  # floats would make hashes depend on float formatting
        raise LedgerError(f"{subject} cannot be recorded: {exc}", code="BP805", hint=hint) from exc


@frozen
class LedgerEntry:
    """One record's content. ``payload`` is its canonical JSON text: build entries from data with
    :meth:`of` (or :func:`entry_for_decision`), which encode it."""

    kind: str
    initiative_id: str
    period: str | None
    policy_id: str
    policy_version: str
    policy_sha256: str
    evaluated_at: str
    payload: str = field(validator=instance_of(str), repr=False)

    @classmethod
    def of(cls, kind: str, initiative_id: str, period: str | None, policy_id: str, policy_version: str,
           policy_sha256: str, evaluated_at: str, payload: Any) -> LedgerEntry:
        """An entry whose payload is given as data (see :func:`payload_text`)."""
        return cls(kind, initiative_id, period, policy_id, policy_version, policy_sha256, evaluated_at,
                   payload_text(payload))

    def header(self) -> tuple[str, str, str | None, str, str, str, str]:
        """The seven columns before the payload, in the order they are stored and hashed."""
        return (self.kind, self.initiative_id, self.period, self.policy_id, self.policy_version,
                self.policy_sha256, self.evaluated_at)

    def data(self) -> Any:
        """The payload parsed (a dict for every entry this package writes). Each call parses again.
        BP824 when the stored text is not JSON (edited outside the ledger, the chain recomputed)."""
        try:
            return parse_json(self.payload)
        except ValueError as exc:  # JSONDecodeError, and a number too long to convert
            raise LedgerError(f"a {self.kind} record of {self.initiative_id or 'the ledger'} holds a payload that is "
                              f"not JSON ({exc})", code="BP824",
                              hint="the record was written outside budgetpolicy; restore the ledger from a copy") from exc


@frozen
class LedgerRecord:
    """A stored record: its entry and its place in the chain."""

    seq: int
    entry: LedgerEntry
    prev_hash: str
    hash: str

    def data(self) -> Any:
        """The payload parsed; BP824 naming this record when it is not JSON."""
        try:
            return parse_json(self.entry.payload)
        except ValueError as exc:
            raise LedgerError(f"record {self.seq}'s payload is not JSON ({exc})", Location(key=f"record {self.seq}"),
                              code="BP824",
                              hint="the record was written outside budgetpolicy; restore the ledger from a copy") from exc


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
    payload = payload_text(_decision_payload(explained(decision, explanation or _UNEXPLAINED), input_record,
                                             outcomes, prov, decision.calls),
                           f"decision for '{decision.initiative_id}'", "inputs must hold Decimal, not float")
    return LedgerEntry(kind=kind, initiative_id=decision.initiative_id, period=period,
                       policy_id=prov.policy_id, policy_version=prov.policy_version,
                       policy_sha256=prov.policy_sha256, evaluated_at=prov.evaluated_at, payload=payload)


_UNEXPLAINED = Explanation()


def decision_record(decision: Decision, explanation: Explanation) -> dict[str, Any]:
    """A decision with its explanation as the ledger stores it, as canonical JSON data."""
    record: dict[str, Any] = to_jsonable(explained(decision, explanation))
    return record


def _decision_payload(decision: Any, input_record: Any, outcomes: list[Any] | None, prov: Any,
                      calls: tuple[FunctionCall, ...]) -> Any:
    payload = {
        "decision": decision,
        "input": input_record,
        "outcomes": list(outcomes or []),
        "provenance": {"engine_version": prov.engine_version, "plugins": prov.plugins,
                       "input_sha256": prov.input_sha256, "as_of": prov.as_of},
    }
    if calls:  # absent when no rule called a plugin function: such records keep their bytes and hashes
        payload["functions"] = function_calls(calls)
    return payload


def function_calls(calls: tuple[FunctionCall, ...]) -> list[dict[str, Any]]:
    """A decision's plugin-function calls as its record's ``functions`` holds them: each distinct call
    (function and arguments) once, in the order first made, with its plugin and result."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for call in calls:
        try:
            args = [to_record(a) for a in call.args]
            result = to_record(call.result)
        except ValueError as exc:
            raise LedgerError(f"decision calls {call.function}() (plugin '{call.plugin}'), whose value cannot be "
                              f"recorded: {exc}", code="BP805",
                              hint="expression functions take and return Decimal, str, bool, None, lists and maps"
                              ) from exc
        out.setdefault((call.function, args_key(args)),
                       {"function": call.function, "plugin": call.plugin, "args": args, "result": result})
    return list(out.values())
