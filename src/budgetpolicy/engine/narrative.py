"""The plain-language narrative of a decision, built from the reasons that fired.

Business readers get sentences; developers get the machine trace alongside
(rule ids, values seen, scorer outputs) in the decision itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from budgetpolicy.model import Decision, Deferred, Funding, Reason, ScoreLine
from budgetpolicy.formatting import value_text

_OUTCOME_WORDS = {
    "approved": "Approved", "rejected": "Rejected", "pending_approval": "Pending approval",
    "deferred": "Deferred", "sunset": "Sunset",
}


def narrative(decision: Decision, currency: str) -> str:
    effects = {trace.rule_id: trace.effect for trace in decision.rules}
    return narrative_of(decision.outcome, decision.score, decision.scores, decision.reasons,
                        decision.required_approvers, decision.calibration, decision.funding, effects, currency)


def narrative_of(outcome: str, score: Decimal, scores: Sequence[ScoreLine] | Deferred, reasons: Sequence[Reason],
                 approvers: Sequence[str], calibration: Mapping[str, Any], funding: Funding | None,
                 effects: Mapping[str, str], currency: str) -> str:
    """The narrative from a decision's parts (``effects``: each rule id's effect), for a lazy build."""
    lines = scores() if scores.__class__ is Deferred else scores
    top = sorted(lines, key=lambda line: (-line.weighted, line.criterion))[:2]
    strengths = ", ".join(f"{line.criterion} {value_text(line.raw)}" for line in top)
    parts = [f"{_OUTCOME_WORDS.get(outcome, outcome)}: score {value_text(score)}"
             + (f" (strongest: {strengths})" if strengths else "") + "."]
    rejects = [r.message for r in reasons if effects.get(r.code) == "reject"]
    if rejects:
        parts.append("Rejected because: " + "; ".join(rejects) + ".")
    if approvers:
        needs = [r.message for r in reasons if effects.get(r.code) == "require"]
        parts.append(f"Needs sign-off from {', '.join(approvers)}"
                     + (f" ({'; '.join(needs)})" if needs else "") + ".")
    flags = [r.message for r in reasons if effects.get(r.code) == "flag"]
    if flags:
        parts.append("Flagged: " + "; ".join(flags) + ".")
    if calibration:
        parts.append(f"Forecasts calibrated by {value_text(calibration['factor'])} "
                     f"for {calibration['group']}'s track record.")
    if funding is not None:
        amount = f"{currency} {value_text(funding.amount)}" if funding.amount > Decimal(0) else "no funds"
        parts.append(f"Allocation: {amount} of {value_text(funding.requested)} requested; {funding.explanation}.")
    return " ".join(parts)
