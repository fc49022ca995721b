"""The facts of the report of the budget year, gathered once from the ledger alone, rendered twice.

``year_report(year, period=None)`` takes what :func:`budgetpolicy.year.events.read_year` read from a
ledger (the plan, its stored policy, the sign-offs and refusals, the recorded readings and quarters)
and gives, after the recorded quarter ``period`` (default: the latest recorded one):

- the positions (:func:`budgetpolicy.year.positions.positions`): the pool, per department burn, and
  every bet's state and money;
- what changed in ``period``: the sign-offs and refusals recorded since the previous quarter's record
  (since the plan, for the first quarter) and the sunsets, completions, releases, reallocations and
  scale-ups of the quarter's own ``quarter`` record;
- the earlier quarters, the same moves grouped by initiative.

Nothing is recomputed: every move is read from its record; amounts are the recorded exact strings as
Decimals (whole amounts without the review's cents, as the positions show them). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from budgetpolicy.formatting import money
from budgetpolicy.report.evidencefacts import EvidenceFacts
from budgetpolicy.year.events import BudgetYear, RecordedQuarter, SignOff
from budgetpolicy.year.positions import DepartmentBurn, Positions, positions, requested_decision

# The kinds of move, in the order a quarter's section lists them, with the heading of each.
KINDS = (("signoff", "Sign-offs"), ("refusal", "Refusals"), ("sunset", "Sunsets"), ("completion", "Completions"),
         ("release", "Releases"), ("reallocation", "Reallocations"), ("scale_up", "Scale-ups"),
         ("request", "New requests"))
LABELS = {"signoff": "signed", "refusal": "refused", "sunset": "sunset", "completion": "completed",
          "release": "released", "reallocation": "received", "scale_up": "scale-up headroom",
          "request": "requested"}


@frozen
class Move:
    """One thing that happened to one initiative: a sign-off or refusal, or a move of a quarter's review."""

    initiative_id: str
    kind: str  # one of KINDS
    amount: Decimal | None  # the money moved (release, reallocation) or the headroom (scale-up); else None
    detail: str
    record: int  # the ledger record it was read from


@frozen
class QuarterMoves:
    """One recorded quarter: its record, the moves in it, and its money summary."""

    period: str
    record: int
    at: str
    moves: tuple[Move, ...]
    released: Decimal
    redistributed: Decimal
    returned_to_pool: Decimal

    def of(self, kind: str) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.kind == kind)

    def by_initiative(self) -> tuple[tuple[str, tuple[Move, ...]], ...]:
        """The moves grouped by initiative, in initiative id order (each initiative's in KINDS order)."""
        ids = sorted({m.initiative_id for m in self.moves})
        return tuple((iid, tuple(m for m in self.moves if m.initiative_id == iid)) for iid in ids)


@frozen
class BetRow:
    """One bet of the plan, as it stands."""

    initiative_id: str
    title: str
    department: str
    state: str
    planned: Decimal
    allocated: Decimal
    earmarked: Decimal
    spent: Decimal
    burn: Decimal | None


@frozen
class YearReport:
    """Everything the report of the year shows."""

    policy_id: str
    policy_version: str
    policy_sha256: str
    plan: int  # the seq of the plan's first record
    planned_at: str
    currency: str
    period: str | None  # the latest quarter taken; None before the first review
    positions: Positions
    bets: tuple[BetRow, ...]
    changed: QuarterMoves | None  # ``period``'s moves (None before the first review)
    since: tuple[Move, ...]  # sign-offs and refusals recorded after ``period``'s record (all, before a review)
    earlier: tuple[QuarterMoves, ...]  # the quarters before ``period``, oldest first
    latest: str | None = None  # the latest quarter recorded in the ledger (``period`` unless --period is earlier)
    evidence: EvidenceFacts | None = None  # the evidence sections, when the caller gathered them

    @property
    def departments(self) -> tuple[DepartmentBurn, ...]:
        return self.positions.departments

    def title(self, initiative_id: str) -> str:
        return next((b.title for b in self.bets if b.initiative_id == initiative_id), "")


def year_report(year: BudgetYear, period: str | None = None) -> YearReport:
    """The report's facts after the recorded quarter ``period`` (default: the latest; BP863 when it is not
    recorded)."""
    plan = year.plan
    taken = positions(year, period)
    quarters = [q for q in year.quarters if q.period in taken.reviewed]
    by_quarter = [quarter_moves(q, _window(year.events, quarters[i - 1].seq if i else plan.seq, q.seq))
                  for i, q in enumerate(quarters)]
    after = quarters[-1].seq if quarters else plan.seq
    since = tuple(_event_move(e) for e in year.events if e.seq > after)
    planned = {d.initiative_id: d for d in plan.decisions}
    planned.update((r.initiative_id, requested_decision(r)) for r in year.requests)
    bets = tuple(BetRow(p.initiative_id, planned[p.initiative_id].title, planned[p.initiative_id].department,
                        p.state, p.planned, p.allocated, p.earmarked, p.spent, p.burn) for p in taken.initiatives)
    return YearReport(plan.policy_id, plan.policy_version, plan.policy_sha256, plan.seq, plan.evaluated_at,
                      year.policy.currency, quarters[-1].period if quarters else None, taken, bets,
                      by_quarter[-1] if by_quarter else None, since, tuple(by_quarter[:-1]),
                      year.quarters[-1].period if year.quarters else None)


def _window(events: Sequence[SignOff], after: int, before: int) -> tuple[Move, ...]:
    return tuple(_event_move(e) for e in events if after < e.seq < before)


def _event_move(event: SignOff) -> Move:
    if event.refused:
        return Move(event.initiative_id, "refusal", None,
                    f"refused by {event.by} for {event.role} at {event.at}: {event.reason or ''}".rstrip(": "),
                    event.seq)
    note = f" ({event.note})" if event.note else ""
    return Move(event.initiative_id, "signoff", None, f"{event.role} signed by {event.by} at {event.at}{note}",
                event.seq)


def quarter_moves(quarter: RecordedQuarter, events: tuple[Move, ...] = ()) -> QuarterMoves:
    """A recorded quarter's moves, read from its record (``events``: the sign-offs and refusals of its window)."""
    review: dict[str, Any] = quarter.review
    moves = list(events)
    for item in _items(review, "sunsets"):
        moves.append(Move(item["initiative_id"], "sunset", None,
                          f"{item.get('criterion') or item.get('kind', '')}: {item.get('reason', '')}", quarter.seq))
    for item in _items(review, "completions"):
        status = str(item.get("status", "")).replace("_", " ")
        moves.append(Move(item["initiative_id"], "completion", None, f"{status}: {item.get('reason', '')}",
                          quarter.seq))
    for item in _items(review, "releases"):
        moves.append(Move(item["initiative_id"], "release", amount(item["amount"]),
                          f"{item.get('cause', '')}: {item.get('reason', '')}", quarter.seq))
    for item in _items(review, "reallocations"):
        kind = str(item.get("kind", "")).replace("_", "-")
        awaiting = item.get("awaiting") or ()
        waits = f"; awaits the sign-off of {', '.join(awaiting)}" if awaiting else ""
        moves.append(Move(item["initiative_id"], "reallocation", amount(item["amount"]),
                          f"{kind}: allocation {amount(item['allocation_before']):,} -> "
                          f"{amount(item['allocation_after']):,}{waits}", quarter.seq))
    for item in _items(review, "scale_ups"):
        moves.append(Move(item["initiative_id"], "scale_up", amount(item["headroom"]),
                          f"proven (realisation {item.get('realisation', '')}): may grow by up to the headroom; granted "
                          f"{amount(item.get('granted', '0')):,}", quarter.seq))
    for item in _items(review, "requests"):
        funded = amount(item.get("funded", "0"))
        moves.append(Move(item["initiative_id"], "request", funded if funded else None,
                          f"{str(item.get('outcome', '')).replace('_', ' ')}, score {item.get('score', '')}: "
                          f"{item.get('reason', '')}", quarter.seq))
    summary = review.get("summary") or {}
    return QuarterMoves(quarter.period, quarter.seq, quarter.at, tuple(moves),
                        *(amount(summary.get(k, "0")) for k in ("released", "redistributed", "returned_to_pool")))


def _items(review: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [item for item in review.get(name) or () if isinstance(item, dict)]


def amount(text: Any) -> Decimal:
    """A recorded amount; whole amounts without the review's cents (``27000.00`` -> ``27000``)."""
    value = Decimal(str(text))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def amount_text(value: Decimal | None) -> str:
    """A move's amount in a table cell: ``-`` for a move without one (a sign-off, a sunset)."""
    return "-" if value is None else money(value)


def summary_line(quarter: QuarterMoves, currency: str) -> str:
    """Where a quarter's released money went, in one sentence."""
    return (f"Released {money(quarter.released, currency)} = redistributed "
            f"{money(quarter.redistributed, currency)} + returned to the pool "
            f"{money(quarter.returned_to_pool, currency)}.")


def move_words(move: Move, currency: str) -> str:
    """One move in words, for the earlier quarters: ``released USD 1,000 (finished: ...)``."""
    moved = f" {money(move.amount, currency)}" if move.amount is not None else ""
    return f"{LABELS[move.kind]}{moved} ({move.detail})"


def quarter_line(r: YearReport) -> str:
    """The quarter reported, and the latest recorded when ``--period`` asked for an earlier one."""
    if r.period is None:
        return "No quarter is recorded yet."
    if r.latest != r.period:
        return f"Reported after {r.period} (the latest recorded quarter is {r.latest})."
    return f"Latest recorded quarter: {r.period}."
