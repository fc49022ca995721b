"""Writing ledger records out: JSONL (lossless, one record a line) and CSV (for spreadsheets).

Both stream: rows come from a cursor and are written one at a time, so a
million-record ledger exports in constant memory. JSONL embeds the stored
payload text verbatim, which keeps the export byte-faithful to what was hashed:
an auditor can recompute every hash from the JSONL alone (see docs/audit.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from budgetpolicy.errors import UsageError

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("seq", "kind", "initiative_id", "period", "policy_id", "policy_version", "policy_sha256",
               "evaluated_at", "outcome", "allocation", "score", "payload", "prev_hash", "hash")

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def jsonl_line(row: Sequence[Any]) -> str:
    head = _dumps({"seq": row[0], "kind": row[1], "initiative_id": row[2], "period": row[3],
                   "policy_id": row[4], "policy_version": row[5], "policy_sha256": row[6],
                   "evaluated_at": row[7], "prev_hash": row[9], "hash": row[10]})
    return f'{head[:-1]},"payload":{row[8]}}}\n'


def decision_summary(payload_text: str) -> tuple[str, str, str]:
    """(outcome, allocation, score) of a decision payload, blank for other kinds."""
    decision = json.loads(payload_text).get("decision")
    if not isinstance(decision, dict):
        return "", "", ""
    funding = decision.get("funding")
    allocation = funding.get("amount", "") if isinstance(funding, dict) else ""
    return str(decision.get("outcome", "")), str(allocation), str(decision.get("score", ""))


def export_records(rows: Iterable[Sequence[Any]], fmt: str, out: TextIO) -> int:
    """Write ``rows`` (ledger columns, payload as text) to ``out``; returns the number written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(jsonl_line(row))
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        outcome, allocation, score = decision_summary(row[8])
        writer.writerow((*row[:8], outcome, allocation, score, row[8], row[9], row[10]))
        count += 1
    return count
