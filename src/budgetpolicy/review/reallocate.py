"""Reallocation: release money from what does not deliver and give it to what should get it.

Run by the quarterly review (``review.quarterly``) once per quarter, after
sunsets. It works on a *book*: one :class:`Position` per initiative with its
current allocation and spend, which the review owns and this module updates.

Release (all amounts rounded *down* to the cent, so a release never exceeds
what is there; unspent = max(allocation - spend_to_date, 0)):

- ``sunset``: all of an initiative sunset this quarter's unspent allocation.
- ``finished``: all unspent of a bet completed this quarter (it reported
  ``finished``, or its horizon passed: ``completed`` or
  ``completed_below_target``, see ``review.complete``) when
  ``release_finished_unspent`` is true.
- ``below_threshold``: ``release_share`` x unspent for a running initiative
  whose realisation this quarter is below ``release_below`` (strictly).

Redistribution of the quarter's released total R, in this order:

a. Next-ranked unfunded initiatives (the plan approved or deferred them but
   funded nothing), by the plan's rank: expected value / cost, descending,
   then score descending, then id. Each gets ``min(cost, left, cap room)``
   rounded down to ``[allocation] unit``; it is skipped when that is below its
   minimum viable funding (``max(min_viable, min_viable_share x cost)``) or,
   with ``partial = false``, below its cost.
b. Proven initiatives: running, realisation this quarter >= ``scale_above``,
   horizon not over; by realisation descending, then rank, then id. Each may
   gain up to ``scale_max_share`` x its planned allocation over the whole
   review (earlier scale-ups count), within cap room, rounded down to the unit.
c. What is left returns to the pool; it is not carried to later quarters.

Cap room is the tightest of ``[allocation.caps]`` per_initiative (minus the
allocation), per_department and per_kind (minus the current allocations of
that department or kind). Money is conserved by construction and checked:
released = redistributed + returned to the pool, to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal

from attrs import define, frozen

from budgetpolicy.errors import ReviewError
from budgetpolicy.model import AllocationPolicy, Caps, Initiative, ReallocationPolicy
from budgetpolicy.review.realise import Realisation

CENT = Decimal("0.01")
ZERO = Decimal(0)


@define
class Position:
    """One initiative's money during a review (mutable, private to one review run)."""

    initiative: Initiative
    status: str  # active | unfunded | ineligible | completed | completed_below_target | sunset
    planned: Decimal
    allocation: Decimal
    start: int
    expected_value: Decimal | None = None  # from the plan's decision
    score: Decimal = ZERO
    spent: Decimal = ZERO
    scaled: Decimal = ZERO
    released: Decimal = ZERO
    received: Decimal = ZERO

    @property
    def rank_value(self) -> Decimal | None:
        """The plan's ranking: expected value per unit of cost (None when it cannot be ranked)."""
        if self.expected_value is None or self.initiative.cost <= 0:
            return None
        return self.expected_value / self.initiative.cost

    @property
    def unspent(self) -> Decimal:
        return max(self.allocation - self.spent, ZERO)

    @property
    def end(self) -> int:
        return self.start + self.initiative.horizon - 1


@frozen
class Release:
    initiative_id: str
    period: str
    cause: str  # below_threshold | finished | sunset
    realisation: Decimal | None
    unspent: Decimal
    share: Decimal
    amount: Decimal
    reason: str


@frozen
class Reallocation:
    initiative_id: str
    period: str
    kind: str  # next_ranked | scale_up
    amount: Decimal
    allocation_before: Decimal
    allocation_after: Decimal
    reason: str


@frozen
class ScaleUp:
    """A recommendation to scale a proven initiative, and what this quarter's releases gave it."""

    initiative_id: str
    period: str
    realisation: Decimal
    allocation: Decimal
    headroom: Decimal
    granted: Decimal
    reason: str


def release_funds(book: Sequence[Position], realisations: Mapping[str, Realisation], sunset: set[str],
                  completed: Mapping[str, str], settings: ReallocationPolicy | None, period: str) -> list[Release]:
    """Release money from this quarter's sunsets, completions (id -> status) and under-performing initiatives."""
    out: list[Release] = []
    for pos in sorted(book, key=lambda p: p.initiative.id):
        iid = pos.initiative.id
        realisation = realisations[iid].value if iid in realisations else None
        if iid in sunset:
            cause, share, why = "sunset", Decimal(1), "sunset this quarter: all unspent funds are released"
        elif iid in completed and settings is not None and settings.release_finished_unspent:
            cause, share = "finished", Decimal(1)
            why = f"{completed[iid].replace('_', ' ')}: its unspent funds are released"
        elif (pos.status == "active" and settings is not None and realisation is not None
              and realisation < settings.release_below):
            cause, share = "below_threshold", settings.release_share
            why = (f"realisation {realisation} is below release_below {settings.release_below}: "
                   f"{share * 100:f}% of its unspent funds are released")
        else:
            continue
        unspent = pos.unspent
        amount = (share * unspent).quantize(CENT, rounding=ROUND_DOWN)
        if amount <= 0:
            continue
        pos.allocation -= amount
        pos.released += amount
        reason = f"{settings.reason}: {why}" if settings is not None and settings.reason else why
        out.append(Release(iid, period, cause, realisation, unspent, share, amount, reason))
    return out


def redistribute(total: Decimal, book: Sequence[Position], realisations: Mapping[str, Realisation],
                 settings: ReallocationPolicy | None, allocation: AllocationPolicy | None, quarter: int,
                 period: str) -> tuple[list[Reallocation], list[ScaleUp], Decimal]:
    """Give ``total`` to next-ranked and proven initiatives; returns moves, recommendations, returned."""
    if settings is None:
        return [], [], total
    unit = allocation.unit if allocation is not None and allocation.unit > 0 else CENT
    caps = allocation.caps if allocation is not None else Caps()
    left = total
    moves: list[Reallocation] = []

    def grant(pos: Position, amount: Decimal, kind: str, why: str) -> None:
        nonlocal left
        before = pos.allocation
        pos.allocation += amount
        pos.received += amount
        left -= amount
        reason = f"{settings.reason}: {why}" if settings.reason else why
        moves.append(Reallocation(pos.initiative.id, period, kind, amount, before, pos.allocation, reason))

    unfunded = sorted((p for p in book if p.status == "unfunded" and p.rank_value is not None),
                      key=lambda p: (-p.rank_value, -p.score, p.initiative.id))  # type: ignore[operator]
    for rank, pos in enumerate(unfunded, start=1):
        cost = pos.initiative.cost
        amount = _floor(min(cost, left, _cap_room(pos, book, caps)), unit)
        floor = max(allocation.min_viable, allocation.min_viable_share * cost) if allocation else ZERO
        if amount <= 0 or amount < floor or (allocation is not None and not allocation.partial and amount < cost):
            continue
        pos.status = "active"
        pos.planned = amount  # scale-ups are measured against the first funding it got
        pos.start = max(pos.start, quarter + 1)  # it starts next quarter at the earliest
        grant(pos, amount, "next_ranked",
              f"next-ranked unfunded initiative (rank {rank} by expected value per cost: "
              f"{pos.expected_value} for {cost}): funded {amount} of {cost}")

    proven = [p for p in book if p.status == "active" and p.initiative.id in realisations
              and realisations[p.initiative.id].value is not None
              and realisations[p.initiative.id].value >= settings.scale_above  # type: ignore[operator]
              and p.end > quarter]
    proven.sort(key=lambda p: (-realisations[p.initiative.id].value,  # type: ignore[operator]
                               -(p.rank_value or ZERO), p.initiative.id))
    recommendations: list[ScaleUp] = []
    for pos in proven:
        value = realisations[pos.initiative.id].value
        assert value is not None
        headroom = max(settings.scale_max_share * pos.planned - pos.scaled, ZERO).quantize(CENT, ROUND_DOWN)
        amount = _floor(min(headroom, left, _cap_room(pos, book, caps)), unit)
        why = (f"proven: realisation {value} >= scale_above {settings.scale_above}; may grow by up to "
               f"{headroom} more ({settings.scale_max_share} x planned {pos.planned})")
        if amount > 0:
            pos.scaled += amount
            grant(pos, amount, "scale_up", why)
        recommendations.append(ScaleUp(pos.initiative.id, period, value, pos.allocation, headroom,
                                       max(amount, ZERO), why))
    redistributed = sum((m.amount for m in moves), ZERO)
    if redistributed + left != total or left < 0:  # a bug, never a data problem
        raise ReviewError(f"money not conserved in {period}: released {total}, redistributed {redistributed}, "
                          f"returned {left}", code="BP799")
    return moves, recommendations, left


def _floor(amount: Decimal, unit: Decimal) -> Decimal:
    if amount <= 0:
        return ZERO
    return (amount / unit).to_integral_value(rounding=ROUND_FLOOR) * unit


def _cap_room(pos: Position, book: Sequence[Position], caps: Caps) -> Decimal:
    """How much more ``pos`` may receive before a per-initiative, department or kind cap binds."""
    room = [Decimal("Infinity")]
    if caps.per_initiative is not None:
        room.append(Decimal(str(caps.per_initiative)) - pos.allocation)
    initiative = pos.initiative
    if initiative.department in caps.per_department:
        used = sum((p.allocation for p in book if p.initiative.department == initiative.department), ZERO)
        room.append(Decimal(str(caps.per_department[initiative.department])) - used)
    if initiative.kind in caps.per_kind:
        used = sum((p.allocation for p in book if p.initiative.kind == initiative.kind), ZERO)
        room.append(Decimal(str(caps.per_kind[initiative.kind])) - used)
    return max(min(room), ZERO)
