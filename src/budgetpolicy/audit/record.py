"""The bridge from an evaluation to the ledger: what ``evaluate --ledger`` and ``review --ledger`` call.

Kept out of :mod:`budgetpolicy.audit.ledger` so commands import one small
function; the policy and every decision go in one transaction, so a run is
recorded whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any


def record_evaluation(ledger_path: str | os.PathLike[str], evaluation: Any, initiatives: Iterable[Any], *,
                      kind: str = "decision", period: str | None = None,
                      outcomes: Mapping[str, list[Any]] | None = None) -> int:
    """Append every decision of ``evaluation`` (with its initiative and outcomes) to the ledger file.

    Creates the ledger when missing; stores the policy version once. Returns
    the number of decisions appended.
    """
    from budgetpolicy.audit.ledger import Ledger

    with Ledger(ledger_path) as ledger:
        seqs = ledger.record_evaluation(evaluation, initiatives, kind=kind, period=period,
                                        outcomes=dict(outcomes or {}))
    return len(seqs)
