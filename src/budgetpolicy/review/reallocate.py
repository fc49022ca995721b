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
- ``low_completion``: the same share for a running initiative whose completion
  rate this quarter (the learning chain, ``review.learning``) is below
  ``release_completion_below`` (strictly; only when the policy sets it).

Redistribution of the quarter's released total R, in this order:

a. Next-ranked unfunded initiatives (the plan approved or deferred them but
   funded nothing), by the plan's rank: expected value / cost, descending,
   then score descending, then id. Each gets ``min(cost, left, cap room)``
   rounded down to ``[allocation] unit``; it is skipped when that is below its
   minimum viable funding (``max(min_viable, min_viable_share x cost)``) or,
   with ``partial = false``, below its cost. From the ledger, the quarter's new
   requests stand in the same line on the same ranking (merit, not arrival),
   drawing on the ``[requests]`` reserve first where their kind may; and a bet
   whose money awaits a sign-off receives nothing unless the policy allows it
   (``review.signoffs``).
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

from attrs import define, field, frozen

from budgetpolicy.errors import ReviewError
from budgetpolicy.model import ADDED_LATER, AllocationPolicy, Caps, Initiative, ReallocationPolicy
from budgetpolicy.review.realise import Realisation
from budgetpolicy.review.signoffs import PendingMove, SignState, YearView

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
    # The budget year (review.signoffs): the roles the plan's pending decision requires, whether its
    # funding still awaits one of them, and reallocations awaiting a sign-off.
    required: tuple[str, ...] = ()
    plan_held: bool = False
    pending: list[PendingMove] = field(factory=list)

    @property
    def held(self) -> bool:
        """Money of it awaits a sign-off (its plan funding, or a reallocation)."""
        return self.plan_held or any(m.held for m in self.pending)

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
    cause: str  # below_threshold | low_completion | finished | sunset | unsigned
    realisation: Decimal | None
    unspent: Decimal
    share: Decimal
    amount: Decimal
    reason: str


@frozen
class Reallocation:
    initiative_id: str
    period: str
    kind: str  # next_ranked | scale_up | request
    amount: Decimal
    allocation_before: Decimal
    allocation_after: Decimal
    reason: str
    # The roles the approval rules require for the new allocation that have not signed: the amount is
    # earmarked until they do (review.signoffs); and, for a request, what the [requests] reserve gave.
    awaiting: tuple[str, ...] = field(default=(), metadata=ADDED_LATER)
    from_reserve: Decimal | None = field(default=None, metadata=ADDED_LATER)


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
                  completed: Mapping[str, str], settings: ReallocationPolicy | None, period: str,
                  completion: Mapping[str, Decimal] | None = None) -> list[Release]:
    """Release money from this quarter's sunsets, completions (id -> status) and under-performing initiatives
    (realisation, or the ``completion`` rate read this quarter, id -> rate)."""
    completion = completion or {}
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
        elif (pos.status == "active" and settings is not None and settings.release_completion_below is not None
              and iid in completion and completion[iid] < settings.release_completion_below):
            cause, share = "low_completion", settings.release_share
            why = (f"completion rate {completion[iid]} is below release_completion_below "
                   f"{settings.release_completion_below}: {share * 100:f}% of its unspent funds are released")
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


def release_unsigned(book: Sequence[Position], period: str) -> list[Release]:
    """At ``[signoff] release_unsigned_at``: release what still awaits a sign-off. A bet whose plan funding
    awaits one releases all it has unspent and lapses; a bet holding reallocations that await one
    releases those (at most what it has unspent). A bet with nothing unspent to release keeps waiting."""
    out: list[Release] = []
    for pos in sorted(book, key=lambda p: p.initiative.id):
        if pos.status != "active" or not pos.held:
            continue
        waiting = [m for m in pos.pending if m.held]
        unspent = pos.unspent
        if pos.plan_held:
            amount, why = unspent, "its funding still awaits a sign-off: all unspent funds are released"
        else:
            amount = min(sum((m.amount for m in waiting), ZERO), unspent)
            why = "reallocations to it still await a sign-off: they are released"
        amount = amount.quantize(CENT, rounding=ROUND_DOWN)
        if amount <= 0:
            continue
        if pos.plan_held:
            pos.status, pos.plan_held = "lapsed", False
        for move in waiting:
            move.lapsed = True
        pos.allocation -= amount
        pos.released += amount
        out.append(Release(pos.initiative.id, period, "unsigned", None, unspent, Decimal(1), amount,
                           f"unsigned at the review of {period} ([signoff] release_unsigned_at): {why}"))
    return out


@frozen
class Gate:
    """Who may receive money in a quarter, and whose sign-off it then awaits (review.signoffs)."""

    year: YearView | None = None
    state: SignState = SignState()
    to_unsigned: bool = False  # [signoff] reallocate_to_unsigned

    def may_receive(self, pos: Position) -> bool:
        return self.to_unsigned or not pos.held

    def awaiting(self, pos: Position, allocation: Decimal) -> tuple[str, ...]:
        """The roles the rules require for ``allocation``, and those its pending decision requires (a
        request decided on its whole cost), that have not signed ``pos``."""
        if self.year is None:
            return ()
        signed = self.state.signed_roles(pos.initiative.id)
        roles = dict.fromkeys((*self.year.roles_for(pos.initiative, allocation), *pos.required))
        return tuple(r for r in roles if r not in signed)


def grant(pos: Position, amount: Decimal, kind: str, why: str, period: str, gate: Gate,
          settings: ReallocationPolicy | None, from_reserve: Decimal | None = None) -> Reallocation:
    """Give ``amount`` to ``pos``; what the rules require for its new allocation and nobody signed holds it."""
    before = pos.allocation
    awaiting = gate.awaiting(pos, before + amount)
    pos.allocation += amount
    pos.received += amount
    if awaiting:
        pos.pending.append(PendingMove(amount, awaiting))
        why = f"{why}; awaits the sign-off of {', '.join(awaiting)} (the approval rules on {pos.allocation})"
    reason = f"{settings.reason}: {why}" if settings is not None and settings.reason else why
    return Reallocation(pos.initiative.id, period, kind, amount, before, pos.allocation, reason, awaiting,
                        from_reserve)


@define
class Purse:
    """What a quarter may still give: its released money (``left``) and the ``[requests]`` reserve."""

    left: Decimal
    reserve: Decimal = ZERO
    reserve_kinds: tuple[str, ...] = ()
    reserve_used: Decimal = ZERO

    def reserve_for(self, initiative: Initiative) -> Decimal:
        kinds = self.reserve_kinds
        eligible = not kinds or initiative.kind in kinds or (initiative.pilot and "pilot" in kinds)
        return self.reserve if eligible else ZERO


def redistribute(total: Decimal, book: Sequence[Position], realisations: Mapping[str, Realisation],
                 settings: ReallocationPolicy | None, allocation: AllocationPolicy | None, quarter: int,
                 period: str, gate: Gate = Gate(), requests: Sequence[Position] = (),
                 purse: Purse | None = None) -> tuple[list[Reallocation], list[ScaleUp], Decimal]:
    """Give ``total`` to the waiting line (next-ranked unfunded initiatives and this quarter's new
    ``requests``, with the ``[requests]`` reserve in ``purse``), then to proven ones; returns moves,
    recommendations, returned."""
    purse = purse if purse is not None else Purse(total)
    moves: list[Reallocation] = []
    recommendations: list[ScaleUp] = []
    moves += _waiting_line(book, requests, settings, allocation, quarter, period, gate, purse)
    if settings is not None:
        recommendations = _scale_ups(book, realisations, settings, allocation, quarter, period, gate, purse, moves)
    redistributed = sum((m.amount - (m.from_reserve or ZERO) for m in moves), ZERO)
    if redistributed + purse.left != total or purse.left < 0:  # a bug, never a data problem
        raise ReviewError(f"money not conserved in {period}: released {total}, redistributed {redistributed}, "
                          f"returned {purse.left}", code="BP799")
    return moves, recommendations, purse.left


def _units(allocation: AllocationPolicy | None) -> tuple[Decimal, Caps]:
    unit = allocation.unit if allocation is not None and allocation.unit > 0 else CENT
    return unit, allocation.caps if allocation is not None else Caps()


def _viable(amount: Decimal, cost: Decimal, allocation: AllocationPolicy | None) -> bool:
    """Enough to fund a bet costing ``cost``: its minimum viable funding, or all of it without partial."""
    floor = max(allocation.min_viable, allocation.min_viable_share * cost) if allocation else ZERO
    return amount > 0 and amount >= floor and not (allocation is not None and not allocation.partial
                                                   and amount < cost)


def _waiting_line(book: Sequence[Position], requests: Sequence[Position], settings: ReallocationPolicy | None,
                  allocation: AllocationPolicy | None, quarter: int, period: str, gate: Gate,
                  purse: Purse) -> list[Reallocation]:
    """Fund the waiting line by the plan's ranking (expected value per cost, then score, then id): the
    unfunded bets of the plan (with ``[reallocation]``) and the quarter's new requests compete on merit.
    A request draws on the ``[requests]`` reserve first where its kind may, then on released money."""
    unit, caps = _units(allocation)
    line = [p for p in book if settings is not None and p.status == "unfunded" and p.rank_value is not None
            and gate.may_receive(p)] + [p for p in requests]
    line.sort(key=lambda p: (-(p.rank_value or ZERO), -p.score, p.initiative.id))
    moves: list[Reallocation] = []
    for rank, pos in enumerate(line, start=1):
        cost, request = pos.initiative.cost, pos.status == "requested"
        room = _cap_room(pos, book, caps)
        reserved = _floor(min(cost, purse.reserve_for(pos.initiative), room), unit) if request else ZERO
        released = _floor(min(cost - reserved, purse.left, room - reserved), unit)
        amount = reserved + released
        if not _viable(amount, cost, allocation):
            continue
        purse.reserve -= reserved
        purse.reserve_used += reserved
        purse.left -= released
        pos.status = "active"
        pos.planned = amount  # scale-ups are measured against the first funding it got
        pos.start = max(pos.start, quarter + 1)  # it starts next quarter at the earliest
        ranked = f"rank {rank} by expected value per cost: {pos.expected_value} for {cost}"
        if request:
            sources = " and ".join(part for part, value in (("the mid-year reserve", reserved),
                                                            ("released money", released)) if value > 0)
            moves.append(grant(pos, amount, "request", f"new request ({ranked}) funded {amount} of {cost} from "
                               f"{sources}", period, gate, settings, reserved))
        else:
            moves.append(grant(pos, amount, "next_ranked", f"next-ranked unfunded initiative ({ranked}): funded "
                               f"{amount} of {cost}", period, gate, settings))
    return moves


def _scale_ups(book: Sequence[Position], realisations: Mapping[str, Realisation], settings: ReallocationPolicy,
               allocation: AllocationPolicy | None, quarter: int, period: str, gate: Gate, purse: Purse,
               moves: list[Reallocation]) -> list[ScaleUp]:
    unit, caps = _units(allocation)
    proven = [p for p in book if p.status == "active" and p.initiative.id in realisations and gate.may_receive(p)
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
        amount = _floor(min(headroom, purse.left, _cap_room(pos, book, caps)), unit)
        why = (f"proven: realisation {value} >= scale_above {settings.scale_above}; may grow by up to "
               f"{headroom} more ({settings.scale_max_share} x planned {pos.planned})")
        if amount > 0:
            pos.scaled += amount
            purse.left -= amount
            moves.append(grant(pos, amount, "scale_up", why, period, gate, settings))
        recommendations.append(ScaleUp(pos.initiative.id, period, value, pos.allocation, headroom,
                                       max(amount, ZERO), why))
    return recommendations


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
