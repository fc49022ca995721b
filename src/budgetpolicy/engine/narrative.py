"""The plain-language narrative of a decision, built from the reasons that fired.

Part of a decision's :class:`~budgetpolicy.model.Explanation`: business readers
get sentences; developers get the machine trace alongside (rule ids, values
seen, scorer outputs) in the same explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from budgetpolicy.formatting import money_compact, value_text
from budgetpolicy.model import Decision, RuleTrace, ScoreLine

_OUTCOME_WORDS = {
    "approved": "Approved", "rejected": "Rejected", "pending_approval": "Pending approval",
    "deferred": "Deferred", "sunset": "Sunset",
}


def narrative(decision: Decision, lines: Sequence[ScoreLine], traces: Sequence[RuleTrace], currency: str) -> str:
    """The narrative of a (final: allocated) decision, given its score lines and rule traces."""
    outcome, reasons, approvers = decision.outcome, decision.reasons, decision.required_approvers
    calibration, funding = decision.calibration, decision.funding
    # The rules' effects come from the traces, which name every compiled rule.
    effects = {trace.rule_id: trace.effect for trace in traces}
    top = sorted(lines, key=lambda line: (-line.weighted, line.criterion))[:2]
    strengths = ", ".join(f"{line.criterion} {value_text(line.raw)}" for line in top)
    parts = [f"{_OUTCOME_WORDS.get(outcome, outcome)}: score {value_text(decision.score)}"
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
        # Money as money: 12,500.50, not the 12,500.5 a plain number would read (cents only when there are some).
        amount = f"{currency} {money_compact(funding.amount)}" if funding.amount > Decimal(0) else "no funds"
        parts.append(f"Allocation: {amount} of {money_compact(funding.requested)} requested; {funding.explanation}.")
    return " ".join(parts)
