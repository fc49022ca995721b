"""Shared inputs of the evidence tests: the bundled example's files and small hand-built values."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from budgetpolicy.evidence.formats import BetEvidence
from budgetpolicy.model import Initiative, OutcomeReading
from budgetpolicy.policy.load import load_policy
from budgetpolicy.review.realise import KpiRealisation, Realisation

REPO = Path(__file__).resolve().parents[2]
POLICY_FILE = str(REPO / "policies" / "acme-2026.toml")
INITIATIVES = str(REPO / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(REPO / "policies" / "acme-2026.outcomes.csv")
KPIS = str(REPO / "policies" / "acme-2026.kpis.csv")
POLICY = load_policy(POLICY_FILE)


def bet(iid: str, kind: str = "training", delivery: str | None = "workshop", *, planned: str = "1000",
        spent: str = "500", headcount: int = 10, realisation: str | None = None, completion: str | None = None,
        pre: str | None = None, post: str | None = None, decision: str = "", hours: str | None = None,
        participants: int | None = None, satisfaction: str | None = None) -> BetEvidence:
    initiative = Initiative(id=iid, title=f"Bet {iid}", kind=kind, department="Sales", cost=D(planned),
                            headcount=headcount, delivery=delivery, forecast={"win-rate": D(2)})
    reading = OutcomeReading(initiative_id=iid, period="2026-Q2", completion_rate=D(completion) if completion else None,
                             pre_assessment=D(pre) if pre else None, post_assessment=D(post) if post else None,
                             hours=D(hours) if hours else None, participants=participants,
                             satisfaction=D(satisfaction) if satisfaction else None)
    realised = None
    if realisation is not None:
        line = KpiRealisation("win-rate", D(2), D(realisation) * 2, D(realisation), expected=D(2))
        realised = Realisation(iid, "2026-Q2", (line,), D(realisation))
    return BetEvidence(initiative, "active", D(planned), D(planned), D(spent), reading, realised, 1, decision)
