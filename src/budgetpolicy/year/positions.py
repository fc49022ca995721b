"""Positions: where every unit of the pool stands, derived from the plan and its events alone.

Per initiative of the plan, from its planned outcome and funding and the sign-offs and refusals that
name it (in chain order):

=========  ===============================================================  ============================
state      when                                                             its funding is
=========  ===============================================================  ============================
funded     approved and funded; or pending and every required role signed  ``allocated`` (spendable)
earmarked  pending and funded, some required role not signed yet            ``earmarked`` (not spendable)
refused    pending, and a holder of a required role refused it              ``returned`` to the pool
unfunded   approved or pending, but the plan gives it nothing               (nothing)
deferred   deferred in the plan (approved or pending, no money this cycle)  (nothing)
rejected   rejected in the plan (or any other outcome without money)        (nothing)
=========  ===============================================================  ============================

The pool is the plan's policy's ``[allocation] pool`` (without one, what the plan funds); what the plan
does not fund is ``leftover``. Sign-offs and refusals only move money between allocated, earmarked and
returned, so ``allocated + earmarked + returned + leftover == pool`` holds to the cent after any
sequence of events; :func:`positions` asserts it. Spent, released and received come from readings and
reviews, a later part of the year: they are 0 for now, but part of the values already.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from attrs import evolve, frozen

from budgetpolicy.errors import Location, YearError
from budgetpolicy.year.events import BudgetYear, PlannedDecision, SignOff

ZERO = Decimal(0)
STATES = ("funded", "earmarked", "refused", "unfunded", "deferred", "rejected")


@frozen
class InitiativePosition:
    """One initiative of the plan: its state, where its money stands, and who has signed for it."""

    initiative_id: str
    outcome: str  # as planned
    state: str
    planned: Decimal  # the plan's funding
    allocated: Decimal = ZERO
    earmarked: Decimal = ZERO
    returned: Decimal = ZERO
    spent: Decimal = ZERO
    released: Decimal = ZERO
    received: Decimal = ZERO
    required: tuple[str, ...] = ()
    signed: tuple[str, ...] = ()
    awaiting: tuple[str, ...] = ()
    refused_by: str | None = None  # the role that refused it


@frozen
class PoolPosition:
    """The pool: allocated + earmarked + returned + leftover == pool."""

    currency: str
    pool: Decimal
    allocated: Decimal
    earmarked: Decimal
    returned: Decimal
    leftover: Decimal
    spent: Decimal = ZERO
    released: Decimal = ZERO
    received: Decimal = ZERO


@frozen
class Positions:
    """The positions of a plan after the events recorded so far."""

    plan: int  # the seq of the plan's first record
    policy_id: str
    policy_version: str
    policy_sha256: str
    evaluated_at: str
    signoffs: int
    refusals: int
    initiatives: tuple[InitiativePosition, ...]
    pool: PoolPosition

    def initiative(self, initiative_id: str) -> InitiativePosition:
        return next(p for p in self.initiatives if p.initiative_id == initiative_id)


def positions(year: BudgetYear) -> Positions:
    """The positions of ``year.plan`` after ``year.events``, in the plan's currency and pool."""
    plan, policy = year.plan, year.policy
    by_initiative: dict[str, list[SignOff]] = {d.initiative_id: [] for d in plan.decisions}
    for event in year.events:
        if event.initiative_id not in by_initiative:
            raise YearError(f"record {event.seq} is a {event.kind} of '{event.initiative_id}', which the "
                            f"{plan.where} does not decide", Location(file=year.path, key=f"record {event.seq}"),
                            code="BP858",
                            hint="the record was not written by budgetpolicy approve or refuse")
        by_initiative[event.initiative_id].append(event)
    rows = tuple(initiative_position(d, by_initiative[d.initiative_id]) for d in plan.decisions)
    planned = sum((d.funding for d in plan.decisions), ZERO)
    pool = policy.allocation.pool if policy.allocation is not None else planned
    if planned > pool:
        raise YearError(f"the {plan.where} funds {planned:,}, more than its policy's pool of {pool:,}",
                        Location(file=year.path, key=plan.where), code="BP859",
                        hint="the plan was not recorded by 'evaluate --ledger' under this policy")
    totals = {name: sum((getattr(r, name) for r in rows), ZERO) for name in ("allocated", "earmarked", "returned")}
    result = PoolPosition(policy.currency, pool, leftover=pool - planned, **totals)
    # Events move money between allocated, earmarked and returned; none is created or lost.
    assert result.allocated + result.earmarked + result.returned + result.leftover == result.pool, result
    return Positions(plan.seq, plan.policy_id, plan.policy_version, plan.policy_sha256, plan.evaluated_at,
                     sum(not e.refused for e in year.events), sum(e.refused for e in year.events), rows, result)


def initiative_position(decision: PlannedDecision, events: Iterable[SignOff]) -> InitiativePosition:
    """One initiative's position after its events. Only a pending decision takes them, and only the
    sign-offs of roles it requires count (the writer refuses any other; a reader does not trust it)."""
    money, outcome = decision.funding, decision.outcome
    base = InitiativePosition(decision.initiative_id, outcome, "", money, required=decision.required_approvers)
    if outcome == "approved":
        return evolve(base, state="funded", allocated=money) if money > 0 else evolve(base, state="unfunded")
    if outcome != "pending_approval":
        return evolve(base, state="deferred" if outcome == "deferred" else "rejected")
    signed: list[str] = []
    refused_by = None
    for event in events:
        if event.refused:
            refused_by = refused_by or event.role
        elif event.role in decision.required_approvers and event.role not in signed:
            signed.append(event.role)
    base = evolve(base, signed=tuple(signed), refused_by=refused_by)
    awaiting = tuple(r for r in decision.required_approvers if r not in signed)
    if refused_by is not None:
        return evolve(base, state="refused", returned=money)
    if money <= 0:
        return evolve(base, state="unfunded", awaiting=awaiting)
    if awaiting:
        return evolve(base, state="earmarked", earmarked=money, awaiting=awaiting)
    return evolve(base, state="funded", allocated=money)
