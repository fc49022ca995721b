"""Rendering evaluations for people and machines: aligned tables, JSON, CSV.

Pure functions from values to text; the CLI decides where the text goes.
JSON is canonical (sorted keys, Decimals as strings) so the same inputs give
the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from budgetpolicy.engine.collector import collector_paused
from budgetpolicy.canonical import pretty_json, to_jsonable
from budgetpolicy.formatting import money, value_text
from budgetpolicy.model import Decision, explained


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 60) -> str:
    """A plain aligned text table (no box drawing: copy-paste friendly, stable in tests)."""
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    numeric = [all(_is_number(r[i]) for r in cells) and bool(cells) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        out = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(out).rstrip()

    parts = [line(list(headers)), line(["-" * w for w in widths])]
    parts.extend(line(r) for r in cells)
    return "\n".join(parts) + "\n"


def _cell(value: Any, max_width: int) -> str:
    text = value_text(value) if not isinstance(value, str) else value
    return text if len(text) <= max_width else text[: max_width - 1] + "…"


def _is_number(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).replace("-", "", 1).isdigit() or text == ""


DECISION_COLUMNS = ("id", "outcome", "score", "expected_value", "requested", "allocated", "approvers", "flags",
                    "reasons")


def decision_rows(decisions: Sequence[Decision], costs: dict[str, Decimal]) -> list[list[Any]]:
    rows = []
    for d in decisions:
        rows.append([
            d.initiative_id, d.outcome, d.score, d.expected_value, costs.get(d.initiative_id),
            d.funding.amount if d.funding else None, ";".join(d.required_approvers), ";".join(d.flags),
            "; ".join(f"{r.code}: {r.message}" for r in d.reasons if r.code not in d.flags),
        ])
    return rows


def decisions_table(decisions: Sequence[Decision], costs: dict[str, Decimal]) -> str:
    headers = ("ID", "OUTCOME", "SCORE", "EV", "REQUESTED", "ALLOCATED", "APPROVERS", "WHY")
    rows = []
    for d, full in zip(decisions, decision_rows(decisions, costs)):
        why = full[8] if d.outcome == "rejected" else (d.funding.explanation if d.funding else full[8])
        rows.append([full[0], full[1], full[2], full[3], money(full[4]), money(full[5]), full[6] or "-", why])
    return table(headers, rows)


def decisions_csv(decisions: Sequence[Decision], costs: dict[str, Decimal]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(DECISION_COLUMNS)
    for row in decision_rows(decisions, costs):
        writer.writerow(["" if v is None else (format(v, "f") if isinstance(v, Decimal) else v) for v in row])
    return buf.getvalue()


def evaluation_json(evaluation: Any) -> str:
    policy = evaluation.policy
    doc: dict[str, Any] = {
        "policy": {"id": policy.id, "version": policy.version,
                   "sha256": policy.source.sha256 if policy.source else None, "currency": policy.currency},
        "evaluated_at": evaluation.context.evaluated_at.isoformat(),
        "as_of": evaluation.context.as_of.isoformat() if evaluation.context.as_of else None,
    }
    with collector_paused():  # every explanation is built here, on request
        doc["decisions"] = [to_jsonable(explained(d, e)) for d, e in evaluation.explained()]
        doc["allocation"] = to_jsonable(evaluation.allocation.summary) if evaluation.allocation is not None else None
        return pretty_json(doc)


def counts_line(decisions: Sequence[Decision]) -> str:
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    order = ("approved", "pending_approval", "deferred", "rejected", "sunset")
    return ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in order if k in counts)
