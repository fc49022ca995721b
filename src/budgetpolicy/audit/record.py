"""The bridge from an evaluation to the ledger: what ``evaluate --ledger`` and ``review --ledger`` call.

Kept out of :mod:`budgetpolicy.audit.ledger` so commands import one small
function; the policy and every decision go in one transaction, so a run is
recorded whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from budgetpolicy.audit.entry import LedgerEntry
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.data.load import outcome_to_record


def record_evaluation(ledger_path: str | os.PathLike[str], evaluation: Any, initiatives: Iterable[Any], *,
                      kind: str = "decision", period: str | None = None,
                      outcomes: Mapping[str, list[Any]] | None = None) -> int:
    """Append every decision of ``evaluation`` (with its initiative and outcomes) to the ledger file.

    Creates the ledger when missing; stores the policy version once. Returns
    the number of decisions appended.
    """
    with Ledger(ledger_path) as ledger:
        seqs = ledger.record_evaluation(evaluation, initiatives, kind=kind, period=period,
                                        outcomes=dict(outcomes or {}))
    return len(seqs)


_REVIEW_PARTS = ("realisations", "forecasts", "completions", "sunsets", "releases", "reallocations", "scale_ups")


def record_review(ledger_path: str | os.PathLike[str], policy: Any, result: Any, outcomes: Iterable[Any],
                  evaluated_at: str) -> int:
    """Append one ``review`` record per initiative the review touched, with the readings it used.

    The payload holds every item of the review that names the initiative
    (realisation, calibrated forecast, completion, sunset, release,
    reallocation, scale-up) and the outcome readings up to the period, so an auditor can
    see what the review saw. Returns the number of records appended.
    """
    touched: dict[str, dict[str, list[Any]]] = {}
    for part in _REVIEW_PARTS:
        for item in getattr(result, part):
            touched.setdefault(item.initiative_id, {}).setdefault(part, []).append(item)
    readings: dict[str, list[Any]] = {}
    for reading in outcomes:
        if reading.period <= result.period:
            readings.setdefault(reading.initiative_id, []).append(outcome_to_record(reading))
    sha = policy.source.sha256 if policy.source else ""
    entries = [LedgerEntry.of("review", initiative_id, result.period, policy.id, policy.version, sha, evaluated_at,
                              {"review": parts, "outcomes": readings.get(initiative_id, []),
                               "factors": result.factors})
               for initiative_id, parts in sorted(touched.items())]
    with Ledger(ledger_path) as ledger:
        return len(ledger.record(policy, entries))
