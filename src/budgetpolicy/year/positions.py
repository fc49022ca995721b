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
returned.

The recorded quarterly reviews (up to a period, or all of them) move money too: ``spent`` is the latest
recorded spend to date, ``released`` the sum of the quarters' releases from the initiative, ``received``
the sum of their reallocations (next-ranked and scale-up) to it. An initiative holds
``planned - released + received``, in the column its state says (funded: allocated, earmarked:
earmarked, refused: returned; a bet the plan left unfunded that a review funds becomes ``funded``).
What a quarter released and gave no bet went back to the pool: ``leftover = pool - planned +
returned_to_pool`` (the sum of the quarters' summaries). Every quarter's summary has ``released =
redistributed + returned_to_pool`` and ``redistributed`` is what the bets received, so

    allocated + earmarked + returned + leftover == pool

holds to the cent after any sequence of events; :func:`positions` asserts both.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from attrs import evolve, frozen

from budgetpolicy.errors import Location, YearError
from budgetpolicy.review.periods import parse_period
from budgetpolicy.year.events import BudgetYear, PlannedDecision, RecordedQuarter, RecordedRequest, SignOff

ZERO = Decimal(0)
STATES = ("funded", "earmarked", "refused", "lapsed", "unfunded", "deferred", "rejected")


@frozen
class Claim:
    """A recorded reallocation that awaited sign-offs (the approval rules on its new amount): held until
    every role in ``awaiting`` signs (``cleared``), ``withdrawn`` when one refuses (returned to the pool),
    ``lapsed`` when a review released it unsigned ([signoff] release_unsigned_at), whichever came first."""

    initiative_id: str
    period: str
    seq: int  # the quarter's record
    amount: Decimal
    awaiting: tuple[str, ...]
    status: str = "held"  # held | cleared | withdrawn | lapsed
    missing: tuple[str, ...] = ()  # while held: the roles of ``awaiting`` that have not signed


def lapses(quarters: Iterable[RecordedQuarter]) -> dict[str, list[int]]:
    """Per initiative, the records of the quarters that released its money unsigned
    ([signoff] release_unsigned_at: releases of cause ``unsigned``)."""
    out: dict[str, list[int]] = {}
    for quarter in quarters:
        for release in quarter.review.get("releases") or ():
            if release.get("cause") == "unsigned":
                out.setdefault(release["initiative_id"], []).append(quarter.seq)
    return out


def claims(year: BudgetYear, quarters: Iterable[RecordedQuarter]) -> dict[str, list[Claim]]:
    """Per initiative, the reallocations of ``quarters`` that awaited a sign-off, each with its status
    after the events recorded so far."""
    taken = tuple(quarters)
    lapsed = lapses(taken)
    out: dict[str, list[Claim]] = {}
    for quarter in taken:
        for move in quarter.review.get("reallocations") or ():
            awaiting = tuple(move.get("awaiting") or ())
            if awaiting:
                iid = move["initiative_id"]
                claim = Claim(iid, quarter.period, quarter.seq, _amount(move["amount"]), awaiting)
                out.setdefault(iid, []).append(_settled(claim, year.events, lapsed.get(iid, ())))
    return out


def _settled(claim: Claim, events: Iterable[SignOff], lapses: Iterable[int]) -> Claim:
    signed: set[str] = set()
    for event in events:  # chain order
        if event.initiative_id != claim.initiative_id or event.role not in claim.awaiting:
            continue
        lapse = next((seq for seq in lapses if claim.seq < seq < event.seq), None)
        if lapse is not None:
            return evolve(claim, status="lapsed")
        if event.refused:
            return evolve(claim, status="withdrawn")
        signed.add(event.role)
        if signed >= set(claim.awaiting):
            return evolve(claim, status="cleared")
    if any(seq > claim.seq for seq in lapses):
        return evolve(claim, status="lapsed")
    return evolve(claim, missing=tuple(r for r in claim.awaiting if r not in signed))


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
    burn: Decimal | None = None  # spent / allocated (4 places); None when nothing is allocated
    flags: tuple[str, ...] = ()  # recorded spend flags, "QUARTER CODE" (year/spend.py)
    requested: str | None = None  # a new request: the quarter it was reviewed with


@frozen
class DepartmentBurn:
    """A department's burn rate: what its initiatives spent of what they are allocated."""

    department: str
    allocated: Decimal
    spent: Decimal
    burn: Decimal | None  # None when nothing is allocated


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
    reserve: Decimal = ZERO  # the [requests] reserve still held for mid-year requests


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
    reviewed: tuple[str, ...] = ()  # the recorded quarters these positions take, oldest first
    departments: tuple[DepartmentBurn, ...] = ()  # burn rate per department, by name

    def initiative(self, initiative_id: str) -> InitiativePosition:
        """The position of ``initiative_id`` (StopIteration when the plan has no such initiative)."""
        return next(p for p in self.initiatives if p.initiative_id == initiative_id)


def positions(year: BudgetYear, period: str | None = None) -> Positions:
    """The positions of ``year.plan`` and its requests after ``year.events`` and the quarters recorded up to
    ``period`` (all of them when None), in the plan's currency and pool."""
    plan = year.plan
    quarters = _quarters(year, period)
    taken = {q.period for q in quarters}
    decisions = [*plan.decisions, *(requested_decision(r) for r in year.requests if r.period in taken)]
    by_initiative: dict[str, list[SignOff]] = {d.initiative_id: [] for d in decisions}
    for event in year.events:
        if event.initiative_id not in by_initiative:
            if year.request(event.initiative_id) is not None:
                continue  # a request reviewed after ``period``
            raise YearError(f"record {event.seq} is a {event.kind} of '{event.initiative_id}', which the "
                            f"{plan.where} does not decide", Location(file=year.path, key=f"record {event.seq}"),
                            code="BP858",
                            hint="the record was not written by budgetpolicy approve or refuse")
        by_initiative[event.initiative_id].append(event)
    moved = _moves(year, quarters)
    flags = _flags(year, quarters)
    held = claims(year, quarters)
    lapsed = lapses(quarters)
    rows = tuple(_burnt(_reviewed(initiative_position(d, by_initiative[d.initiative_id]), held.get(d.initiative_id, ()),
                                  d.initiative_id in lapsed, *moved.get(d.initiative_id, ())),
                        flags.get(d.initiative_id, ()))
                 for d in decisions)
    planned_ids = plan_ids(year)
    rows = tuple(r if r.initiative_id in planned_ids else
                 evolve(r, requested=year.request(r.initiative_id).period)  # type: ignore[union-attr]
                 for r in rows)
    return Positions(plan.seq, plan.policy_id, plan.policy_version, plan.policy_sha256, plan.evaluated_at,
                     sum(not e.refused for e in year.events), sum(e.refused for e in year.events), rows,
                     _pool(year, quarters, rows), tuple(q.period for q in quarters), _departments(decisions, rows))


def plan_ids(year: BudgetYear) -> set[str]:
    return {d.initiative_id for d in year.plan.decisions}


def requested_decision(request: RecordedRequest) -> PlannedDecision:
    """A new request as a row of the positions: nothing planned; what a review gave it arrives as received,
    earmarked while the roles the rules require for it have not signed (a :class:`Claim`)."""
    given = request.input
    start = given.get("start")
    return PlannedDecision(request.initiative_id, request.outcome, (), ZERO, request.seq,
                           str(given.get("department") or ""), start if isinstance(start, str) else None,
                           str(given.get("title") or ""))


def _pool(year: BudgetYear, quarters: tuple[RecordedQuarter, ...], rows: tuple[InitiativePosition, ...]) -> PoolPosition:
    plan, policy = year.plan, year.policy
    planned = sum((d.funding for d in plan.decisions), ZERO)
    pool = policy.allocation.pool if policy.allocation is not None else planned
    reserve = policy.requests.reserve if policy.requests is not None else ZERO
    if planned + reserve > pool:
        raise YearError(f"the {plan.where} funds {planned:,}, more than its policy's pool of {pool:,}"
                        + (f" less the mid-year reserve of {reserve:,}" if reserve else ""),
                        Location(file=year.path, key=plan.where), code="BP859",
                        hint="the plan was not recorded by 'evaluate --ledger' under this policy")
    names = ("allocated", "earmarked", "returned", "spent", "released", "received")
    totals = {name: sum((getattr(r, name) for r in rows), ZERO) for name in names}
    back = sum((_amount(q.review["summary"]["returned_to_pool"]) for q in quarters), ZERO)
    used = sum((_amount(q.review["summary"].get("reserve_used") or "0") for q in quarters), ZERO)
    result = PoolPosition(policy.currency, pool, leftover=pool - planned - reserve + back, reserve=reserve - used,
                          **totals)
    # Events move money between allocated, earmarked and returned, reviews between bets, back to the pool
    # and out of the reserve; none is created or lost.
    assert result.released + used == result.received + back, result
    assert result.allocated + result.earmarked + result.returned + result.leftover + result.reserve == result.pool, \
        result
    return result


def burn_rate(spent: Decimal, allocated: Decimal) -> Decimal | None:
    """spent / allocated to 4 places (half up); None when nothing is allocated."""
    return (spent / allocated).quantize(Decimal("0.0001"), ROUND_HALF_UP) if allocated > 0 else None


def _burnt(position: InitiativePosition, flags: tuple[str, ...]) -> InitiativePosition:
    return evolve(position, burn=burn_rate(position.spent, position.allocated), flags=flags)


def _flags(year: BudgetYear, quarters: Iterable[RecordedQuarter]) -> dict[str, tuple[str, ...]]:
    taken = {q.period for q in quarters}
    out: dict[str, tuple[str, ...]] = {}
    for reading in year.readings:
        if reading.period in taken and reading.flags:
            codes = tuple(f"{reading.period} {f['code']}" for f in reading.flags)
            out[reading.initiative_id] = out.get(reading.initiative_id, ()) + codes
    return out


def _departments(decisions: Iterable[PlannedDecision], rows: Iterable[InitiativePosition]) -> tuple[DepartmentBurn, ...]:
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for decision, row in zip(decisions, rows):
        allocated, spent = sums.get(decision.department, (ZERO, ZERO))
        sums[decision.department] = (allocated + row.allocated, spent + row.spent)
    return tuple(DepartmentBurn(name, a, s, burn_rate(s, a)) for name, (a, s) in sorted(sums.items()))


def _quarters(year: BudgetYear, period: str | None) -> tuple[RecordedQuarter, ...]:
    if period is None:
        return year.quarters
    last = parse_period(period, Location(key="--period"))
    if not any(q.period == period for q in year.quarters):
        recorded = ", ".join(q.period for q in year.quarters) or "none yet"
        raise YearError(f"{period} is not a recorded quarter of the {year.plan.where}",
                        Location(file=year.path, key=year.plan.where), code="BP863",
                        hint=f"recorded quarters: {recorded}; record one with 'budgetpolicy review --ledger'")
    return tuple(q for q in year.quarters if parse_period(q.period) <= last)


def _moves(year: BudgetYear, quarters: tuple[RecordedQuarter, ...]) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Per initiative: (spent: the latest recorded spend to date, released, received) over ``quarters``."""
    taken = {q.period for q in quarters}
    spent: dict[str, Decimal] = {}
    for reading in sorted(year.readings, key=lambda r: parse_period(r.period)):
        amount = reading.record.get("spend_to_date")
        if reading.period in taken and amount is not None:
            spent[reading.initiative_id] = _amount(amount)
    released: dict[str, Decimal] = {}
    received: dict[str, Decimal] = {}
    for quarter in quarters:
        for part, into in (("releases", released), ("reallocations", received)):
            for move in quarter.review.get(part) or ():
                iid = move["initiative_id"]
                into[iid] = into.get(iid, ZERO) + _amount(move["amount"])
    return {iid: (spent.get(iid, ZERO), released.get(iid, ZERO), received.get(iid, ZERO))
            for iid in spent.keys() | released.keys() | received.keys()}


def _amount(text: str) -> Decimal:
    """A recorded amount; whole amounts without the review's cents, like the plan's (``27000.00`` -> ``27000``)."""
    value = Decimal(text)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _reviewed(position: InitiativePosition, held: Iterable[Claim] = (), lapsed: bool = False, spent: Decimal = ZERO,
              released: Decimal = ZERO, received: Decimal = ZERO) -> InitiativePosition:
    """The position after the reviews: it holds ``planned - released + received`` in its state's column;
    of a funded bet's, reallocations still awaiting a sign-off are earmarked and refused ones returned."""
    if not (spent or released or received):
        return position
    holds = position.planned - released + received
    moved = evolve(position, spent=spent, released=released, received=received)
    if position.state == "earmarked":
        return evolve(moved, state="lapsed" if lapsed else "earmarked", earmarked=holds)
    if position.state == "refused":
        return evolve(moved, returned=holds)
    if position.state == "funded" or holds > 0:
        claims_of = list(held)
        withdrawn = min(sum((c.amount for c in claims_of if c.status == "withdrawn"), ZERO), max(holds, ZERO))
        waiting = min(sum((c.amount for c in claims_of if c.status == "held"), ZERO), max(holds - withdrawn, ZERO))
        awaiting = tuple(dict.fromkeys(r for c in claims_of if c.status == "held" for r in c.missing))
        allocated = holds - withdrawn - waiting
        # All it holds awaits a sign-off (a reallocation to a bet the plan left unfunded): earmarked.
        state = "earmarked" if waiting > 0 and allocated <= 0 else "funded"
        # The roles its reallocations wanted count among what it requires, and their sign-offs among
        # what is signed (a bet the plan deferred has no plan sign-offs, only these).
        # (A bet the plan did not fund owes nothing to the plan's rules for money it never got.)
        planned_roles = position.required if position.outcome in ("approved", "pending_approval") else ()
        required = tuple(dict.fromkeys((*planned_roles, *(r for c in claims_of for r in c.awaiting))))
        signed = tuple(dict.fromkeys((*position.signed, *(r for c in claims_of if c.status in ("held", "cleared")
                                                          for r in c.awaiting if r not in c.missing))))
        return evolve(moved, state=state, allocated=allocated, earmarked=waiting, returned=withdrawn,
                      awaiting=awaiting or position.awaiting, required=required, signed=signed)
    return moved


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
        if event.role not in decision.required_approvers:
            continue  # a role a reallocation awaits: its Claim counts it
        if event.refused:
            refused_by = refused_by or event.role
        elif event.role not in signed:
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
