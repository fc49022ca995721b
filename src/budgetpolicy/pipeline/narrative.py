"""The plain-language narrative of a decision, built from the reasons that fired.

Business readers get sentences; developers get the machine trace alongside
(rule ids, values seen, scorer outputs) in the decision itself.
"""

from __future__ import annotations

from decimal import Decimal

from budgetpolicy.model import Decision
from budgetpolicy.pipeline.approve import format_value

_OUTCOME_WORDS = {
    "approved": "Approved", "rejected": "Rejected", "pending_approval": "Pending approval",
    "deferred": "Deferred", "sunset": "Sunset",
}


def narrative(decision: Decision, currency: str) -> str:
    top = sorted(decision.scores, key=lambda line: (-line.weighted, line.criterion))[:2]
    strengths = ", ".join(f"{line.criterion} {format_value(line.raw)}" for line in top)
    parts = [f"{_OUTCOME_WORDS.get(decision.outcome, decision.outcome)}: score {format_value(decision.score)}"
             + (f" (strongest: {strengths})" if strengths else "") + "."]
    rejects = [r.message for r in decision.reasons if _effect(decision, r.code) == "reject"]
    if rejects:
        parts.append("Rejected because: " + "; ".join(rejects) + ".")
    if decision.required_approvers:
        needs = [r.message for r in decision.reasons if _effect(decision, r.code) == "require"]
        parts.append(f"Needs sign-off from {', '.join(decision.required_approvers)}"
                     + (f" ({'; '.join(needs)})" if needs else "") + ".")
    flags = [r.message for r in decision.reasons if _effect(decision, r.code) == "flag"]
    if flags:
        parts.append("Flagged: " + "; ".join(flags) + ".")
    if decision.calibration:
        parts.append(f"Forecasts calibrated by {format_value(decision.calibration['factor'])} "
                     f"for {decision.calibration['group']}'s track record.")
    if decision.funding is not None:
        f = decision.funding
        amount = f"{currency} {format_value(f.amount)}" if f.amount > Decimal(0) else "no funds"
        parts.append(f"Allocation: {amount} of {format_value(f.requested)} requested; {f.explanation}.")
    return " ".join(parts)


def _effect(decision: Decision, rule_id: str) -> str:
    for trace in decision.rules:
        if trace.rule_id == rule_id:
            return trace.effect
    return ""
