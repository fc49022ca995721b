"""Writing ledger records out: JSONL (lossless, one record a line) and CSV (for spreadsheets).

Both stream: records come from a cursor and are written one at a time, so a
million-record ledger exports in constant memory. JSONL embeds the stored
payload text verbatim, which keeps the export byte-faithful to what was hashed:
an auditor can recompute every hash from the JSONL alone (see docs/audit.md).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord
from budgetpolicy.canonical import json_string
from budgetpolicy.errors import UsageError

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("seq", "kind", "initiative_id", "period", "policy_id", "policy_version", "policy_sha256",
               "evaluated_at", "outcome", "allocation", "score", "payload", "prev_hash", "hash")


def jsonl_line(record: LedgerRecord) -> str:
    """One record as a JSON object on one line: the columns in stored order, the chain, then the payload
    text as stored (JSON itself, so embedded verbatim)."""
    q, e = json_string, record.entry
    return (f'{{"seq":{int(record.seq)},"kind":{q(e.kind)},"initiative_id":{q(e.initiative_id)},'
            f'"period":{"null" if e.period is None else q(e.period)},"policy_id":{q(e.policy_id)},'
            f'"policy_version":{q(e.policy_version)},"policy_sha256":{q(e.policy_sha256)},'
            f'"evaluated_at":{q(e.evaluated_at)},"prev_hash":{q(record.prev_hash)},"hash":{q(record.hash)},'
            f'"payload":{e.payload}}}\n')


def decision_summary(entry: LedgerEntry) -> tuple[str, str, str]:
    """(outcome, allocation, score) of a decision entry, blank for other kinds."""
    decision = entry.data().get("decision")
    if not isinstance(decision, dict):
        return "", "", ""
    funding = decision.get("funding")
    allocation = funding.get("amount", "") if isinstance(funding, dict) else ""
    return str(decision.get("outcome", "")), str(allocation), str(decision.get("score", ""))


def export_records(records: Iterable[LedgerRecord], fmt: str, out: TextIO) -> int:
    """Write ``records`` to ``out``; returns the number written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(jsonl_line(record))
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        e = record.entry
        outcome, allocation, score = decision_summary(e)
        writer.writerow((record.seq, *e.header(), outcome, allocation, score, e.payload, record.prev_hash,
                         record.hash))
        count += 1
    return count
