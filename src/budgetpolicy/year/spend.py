"""Spend reconciled: each reading's spend to date checked against the initiative's position.

When ``review --ledger`` records quarter P, every reading of P that gives ``spend_to_date`` is checked
against the position at the start of P (the plan, its sign-offs and refusals, and the quarters recorded
before P) and the initiative's previous recorded spend. Each problem is a located diagnostic naming the
reading (outcomes file and row), the initiative and the numbers:

=====  ======================================================================================
BP870  spend above what the initiative holds (allocated, or earmarked) beyond ``[spend] tolerance``
BP871  spend on an initiative without money: rejected, deferred or unfunded in the plan
BP872  spend on an earmarked initiative: a required role has not signed it yet
BP873  spend on a refused initiative
BP874  spend in a quarter before the initiative's start quarter
BP875  spend lower than the previous recorded spend (spend to date never goes down)
=====  ======================================================================================

Every plan is reconciled, with ``[spend]``'s settings or their defaults. Under ``on_mismatch = "error"``
(the default) they refuse the review together; under ``"flag"``
each reading is recorded with its flags (``{"code", "message"}`` in the ``reading`` event), which
positions show. Pure: the caller reads the ledger and decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostic
from budgetpolicy.formatting import money
from budgetpolicy.model import OutcomeReading, SpendPolicy
from budgetpolicy.review.periods import is_period, parse_period
from budgetpolicy.year.events import BudgetYear
from budgetpolicy.year.positions import InitiativePosition, positions

_NO_MONEY = {"rejected": "rejected", "deferred": "deferred (no money this cycle)", "unfunded": "unfunded",
             "lapsed": "lapsed: a review released its earmark unsigned ([signoff] release_unsigned_at)"}


def spend_policy(year: BudgetYear) -> SpendPolicy:
    return year.policy.spend or SpendPolicy()


@frozen
class SpendProblem:
    """One reading's spend that does not reconcile: the initiative and the located diagnostic."""

    initiative_id: str
    diagnostic: Diagnostic


def check_spend(year: BudgetYear, readings: Iterable[OutcomeReading], period: str) -> tuple[SpendProblem, ...]:
    """Every problem of ``period``'s readings (their spend against the position at the start of ``period``),
    in reading order; empty when they reconcile."""
    start = positions(year)
    held = {p.initiative_id: p for p in start.initiatives}
    previous = _previous_spend(year, period)
    tolerance = spend_policy(year).tolerance
    found: list[SpendProblem] = []
    for reading in readings:
        spend, position = reading.spend_to_date, held.get(reading.initiative_id)
        if reading.period != period or spend is None or position is None:
            continue  # an unknown initiative is the review's to refuse (BP704)
        for code, message, hint in _problems(year, reading, spend, position, previous, tolerance):
            where = reading.origin("spend_to_date").evolve(field=None)  # its source's row, when merged
            found.append(SpendProblem(reading.initiative_id, Diagnostic(code, message, where, hint)))
    return tuple(found)


def _problems(year: BudgetYear, reading: OutcomeReading, spend: Decimal, position: InitiativePosition,
              previous: dict[str, tuple[str, Decimal]], tolerance: Decimal) -> list[tuple[str, str, str]]:
    iid, period, currency = reading.initiative_id, reading.period, year.policy.currency
    spent = f"{iid} spent {money(spend, currency)} by {period}"
    out: list[tuple[str, str, str]] = []
    decision = year.plan.decision(iid)
    request = year.request(iid)
    start = decision.start if decision is not None else request.input.get("start") if request is not None else None
    if spend > 0 and start is not None and is_period(start) and parse_period(period) < parse_period(start):
        out.append(("BP874", f"{spent}, before its start quarter {start}",
                    "spend is read from the start quarter on: correct the reading's period or spend"))
    if spend > 0 and position.state in _NO_MONEY:
        out.append(("BP871", f"{spent}, but it is {_NO_MONEY[position.state]}",
                    "only a funded initiative spends: correct the reading, or fund it first (a review's "
                    "reallocation, or a new plan)"))
    elif spend > 0 and position.state == "refused":
        out.append(("BP873", f"{spent}, but {position.refused_by} refused it: its money was returned to the pool",
                    "a refused initiative does not spend: correct the reading"))
    elif spend > 0 and position.state == "earmarked":
        out.append(("BP872", f"{spent}, but it awaits the sign-off of {', '.join(position.awaiting)}: "
                             f"its {money(position.earmarked)} is earmarked, not spendable",
                    f"record the sign-off first: budgetpolicy approve {year.path} {iid} "
                    f"--role {position.awaiting[0]} --by NAME"))
    # Earmarked money is not spendable: a funded bet spends what is allocated (a reallocation awaiting a
    # sign-off is earmarked); a bet awaiting its plan's sign-off is BP872 above, measured against it all.
    holds = position.allocated if position.state == "funded" else position.allocated + position.earmarked
    limit = holds * (1 + tolerance)
    if spend > limit and position.state in ("funded", "earmarked"):
        share = f"tolerance {tolerance * 100:f}".rstrip("0").rstrip(".") + "%"
        waiting = (f"; {money(position.earmarked)} more awaits the sign-off of {', '.join(position.awaiting)}"
                   if position.state == "funded" and position.earmarked else "")
        out.append(("BP870", f"{spent}, {money(spend - holds)} above its allocation of {money(holds)} "
                             f"({share}: up to {money(limit)}){waiting}",
                    "correct the reading, or raise the allocation first (or record the sign-off awaited); "
                    "[spend] tolerance sets the share accepted beyond it"))
    before = previous.get(iid)
    if before is not None and spend < before[1]:
        out.append(("BP875", f"{spent}, less than the {money(before[1])} recorded by {before[0]} "
                             "(spend to date never goes down)", "correct the reading: give the spend to date"))
    return out


def _previous_spend(year: BudgetYear, period: str) -> dict[str, tuple[str, Decimal]]:
    """Per initiative, the latest recorded spend to date before ``period``: (its quarter, the amount)."""
    recorded = {q.period for q in year.quarters}
    latest: dict[str, tuple[str, Decimal]] = {}
    for reading in sorted(year.readings, key=lambda r: parse_period(r.period)):
        amount = reading.record.get("spend_to_date")
        if amount is not None and reading.period in recorded and reading.period != period:
            latest[reading.initiative_id] = (reading.period, Decimal(amount))
    return latest


def flags_of(problems: Iterable[SpendProblem]) -> dict[str, list[dict[str, str]]]:
    """Per initiative, the flags a ``reading`` event records: its problems' codes and messages."""
    out: dict[str, list[dict[str, str]]] = {}
    for problem in problems:
        out.setdefault(problem.initiative_id, []).append({"code": problem.diagnostic.code,
                                                          "message": problem.diagnostic.message})
    return out

