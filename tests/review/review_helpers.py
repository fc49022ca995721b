"""Builders for review tests: small policies, initiatives, plans and readings from model objects.

``policy()`` compares readings with the whole-horizon forecast (``[milestones] ramp = "none"``) unless a
test passes ``milestones``: the release, redistribution, sunset and calibration tests pin hand-computed
numbers of that comparison, and test_milestones.py covers the ramps and declared milestones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from budgetpolicy.errors import Location
from budgetpolicy.model import (
    KPI, AllocationPolicy, Approval, CalibrationPolicy, Caps, Decision, Funding, Initiative, MilestonePolicy,
    OutcomeReading, Policy, Priority, ReallocationPolicy, Scoring, SunsetCriterion, SunsetPolicy,
)

WHOLE_HORIZON = MilestonePolicy(ramp="none")

PRIORITIES = (
    Priority("win-rate", "Win rate", KPI("win_rate", "%", "higher", D("22"), D("27")), D("0.5")),
    Priority("ttc", "Time to competence", KPI("days_to_competence", "days", "lower", D("90"), D("60")), D("0.5")),
)


def policy(*, calibration: CalibrationPolicy | None = None, reallocation: ReallocationPolicy | None = None,
           sunset: tuple[SunsetCriterion, ...] | None = None, allocation: AllocationPolicy | None = None,
           priorities=PRIORITIES, milestones: MilestonePolicy | None = WHOLE_HORIZON) -> Policy:
    return Policy(id="t", version="1", effective_date=dt.date(2026, 1, 1), currency="USD",
                  priorities=priorities, scoring=Scoring(), approval=Approval(),
                  allocation=allocation, calibration=calibration, reallocation=reallocation,
                  sunset=SunsetPolicy(sunset) if sunset is not None else None, milestones=milestones)


def alloc(**kw) -> AllocationPolicy:
    caps = kw.pop("caps", Caps())
    return AllocationPolicy(pool=D("1000000"), caps=caps, **kw)


def initiative(iid: str, *, department: str = "Sales", cost: str = "10000", forecast=None, horizon: int = 4,
               start: str | None = "2026-Q1", kind: str = "training", ratings=None, milestones=None) -> Initiative:
    return Initiative(id=iid, title=iid, kind=kind, department=department, cost=D(cost),
                      forecast={k: D(v) for k, v in (forecast or {"win-rate": "2"}).items()},
                      horizon=horizon, start=start, ratings=ratings or {},
                      milestones={q: {k: D(v) for k, v in m.items()} for q, m in (milestones or {}).items()},
                      location=Location(file="initiatives.csv", row=int("".join(c for c in iid if c.isdigit()) or 0)))


def decision(iid: str, amount: str | None, *, outcome: str = "approved", ev: str = "0.1",
             score: str = "0.5") -> Decision:
    funding = Funding(D(amount), D(amount), "greedy") if amount is not None else None
    return Decision(initiative_id=iid, outcome=outcome, score=D(score), expected_value=D(ev), funding=funding)


_ROW = [0]


def reading(iid: str, period: str, kpis=None, *, spend: str | None = None, finished: bool = False) -> OutcomeReading:
    _ROW[0] += 1
    return OutcomeReading(initiative_id=iid, period=period, kpis={k: D(v) for k, v in (kpis or {}).items()},
                          spend_to_date=D(spend) if spend is not None else None, finished=finished,
                          location=Location(file="outcomes.csv", row=_ROW[0]))
