"""A selection as the ledger records it (kind ``stretch_selection``), and its replay from that record.

One record per selection, ``initiative_id`` empty, ``period`` null, under the policy it was made with
(stored in the ledger beside it). The payload holds what replay needs and what an auditor reads:
``strategy``; ``assignments`` (id, title, seats, start and milestones: each quarter of the horizon
with the lift due by it where declared); ``candidates`` (every row of the file, ongoing ones included,
in its JSON form); ``picks`` (assignment, person, mentor, score, rank, time commitment); ``non_picks``
(the same with their reasons); ``total_score``; ``rates``. Numbers are Decimal text.

Replay rebuilds the candidates from the record, checks them against the stored policy's ``[stretch]``
as a file's are checked, selects again with the recorded strategy and compares each part of the
payload with the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from budgetpolicy.canonical import canonical_json
from budgetpolicy.errors import DataError, LedgerError, Location
from budgetpolicy.model import StretchPolicy
from budgetpolicy.stretch.candidates import STRETCH, Candidate, candidates_from_records
from budgetpolicy.stretch.select import Assignment, Selection, select

KIND = "stretch_selection"
PARTS = ("strategy", "assignments", "candidates", "picks", "non_picks", "total_score", "rates")


def selection_payload(selection: Selection, candidates: Sequence[Candidate]) -> dict[str, Any]:
    """The record's payload (data a ledger entry encodes canonically)."""
    return {
        "strategy": selection.strategy,
        "assignments": [a.record() for a in selection.assignments],
        "candidates": [c.record() for c in candidates],
        "picks": [c.record() for c in selection.picks],
        "non_picks": [c.record() for c in selection.non_picks],
        "total_score": selection.total_score,
        "rates": [r.record() for r in selection.rates],
    }


def replay_differences(payload: Any, stretch: StretchPolicy | None, where: str) -> tuple[str, ...]:
    """The parts of a recorded payload that selecting again does not reproduce (empty: reproduced).
    ``where`` names the record in messages; LedgerError BP845 when the record cannot be read at all."""
    if stretch is None:
        return ("policy: the stored policy has no [stretch] section",)
    if not isinstance(payload, Mapping) or not all(k in payload for k in PARTS):
        raise _unreadable(where, f"lacks one of {', '.join(PARTS)}")
    try:
        assignments = tuple(_assignment(a) for a in payload["assignments"])
        records = [_typed(c) for c in payload["candidates"]]
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        raise _unreadable(where, "holds assignments or candidates that cannot be read") from None
    try:
        candidates = candidates_from_records(records, stretch, {a.id: STRETCH for a in assignments}, where)
        again = selection_payload(select(stretch, assignments, candidates, str(payload["strategy"])), candidates)
    except DataError as exc:
        return (f"candidates: {exc.diagnostics[0].message}",)
    return tuple(part for part in PARTS if canonical_json(again[part]) != canonical_json(payload[part]))


def _assignment(data: Mapping[str, Any]) -> Assignment:
    return Assignment(str(data["id"]), str(data["title"]), int(data["seats"]), data["start"],
                      tuple((str(m["quarter"]), {k: Decimal(v) for k, v in m["lift"].items()})
                            for m in data["milestones"]))


def _typed(record: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded candidate with its numbers back to Decimal (the record holds them as text)."""
    out = dict(record)
    out["time_commitment"] = Decimal(record["time_commitment"])
    out["ratings"] = {k: Decimal(v) for k, v in record.get("ratings", {}).items()}
    return out


def _unreadable(where: str, problem: str) -> LedgerError:
    return LedgerError(f"{where}: the stretch selection record {problem}", Location(key=where), code="BP845",
                       hint="the record was not written by budgetpolicy; check the ledger with 'budgetpolicy ledger "
                            "verify'")
