"""Positions for people and machines (an aligned table, canonical JSON, CSV), and one line per sign-off.

Pure functions from values to text; the command decides where the text goes.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from budgetpolicy.canonical import pretty_json
from budgetpolicy.formatting import money
from budgetpolicy.output import table
from budgetpolicy.year.positions import STATES, Positions
from budgetpolicy.year.signoff import SignOffResult

AMOUNTS = ("planned", "allocated", "earmarked", "returned", "spent", "released", "received")
CSV_COLUMNS = ("initiative_id", "outcome", "state", *AMOUNTS, "required", "signed", "awaiting", "refused_by")


def positions_table(positions: Positions) -> str:
    """A title, one aligned row per initiative (money with thousands separators), the states and the pool."""
    pool = positions.pool
    title = (f"Positions of the plan at record {positions.plan} ({positions.policy_id} {positions.policy_version}, "
             f"planned {positions.evaluated_at}) after {_count(positions.signoffs, 'sign-off')} and "
             f"{_count(positions.refusals, 'refusal')}; amounts in {pool.currency}\n\n")
    headers = ("ID", "STATE", *(a.upper() for a in AMOUNTS), "SIGNED", "AWAITING")
    rows = [[p.initiative_id, p.state, *(money(getattr(p, a)) for a in AMOUNTS),
             ";".join(p.signed) or "-", ";".join(p.awaiting) or "-"] for p in positions.initiatives]
    counts = {s: sum(p.state == s for p in positions.initiatives) for s in STATES}
    states = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return (title + table(headers, rows) + f"\n{len(positions.initiatives)} initiatives: {states}\n"
            + pool_line(positions) + "\n")


def pool_line(positions: Positions) -> str:
    pool = positions.pool
    return (f"pool {money(pool.pool, pool.currency)}: allocated {money(pool.allocated)}, earmarked "
            f"{money(pool.earmarked)}, returned {money(pool.returned)}, leftover {money(pool.leftover)}")


def positions_json(positions: Positions) -> str:
    """Canonical JSON (sorted keys, amounts as exact strings) of the positions value."""
    return pretty_json(positions)


def positions_csv(positions: Positions) -> str:
    """One row per initiative; roles joined by ``;``, amounts exact (the pool is in the table and the JSON)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in positions.initiatives:
        writer.writerow([p.initiative_id, p.outcome, p.state, *(_exact(getattr(p, a)) for a in AMOUNTS),
                         ";".join(p.required), ";".join(p.signed), ";".join(p.awaiting), p.refused_by or ""])
    return buf.getvalue()


def signoff_line(result: SignOffResult) -> str:
    """What a sign-off or refusal did, in one line: the record written and where the money stands now."""
    event, position, currency = result.event, result.position, result.currency
    where = f"record {event.seq}, plan at record {event.plan}"
    if event.refused:
        return (f"{event.initiative_id}: refused by {event.by} for {event.role} ({where}); "
                f"{money(position.returned, currency)} returned to the pool")
    head = f"{event.initiative_id}: {event.role} signed by {event.by} ({where}); "
    if position.state == "funded":
        return head + f"every required role has signed: {money(position.allocated, currency)} allocated"
    if position.state == "earmarked":
        return (head + f"awaiting {', '.join(position.awaiting)}: {money(position.earmarked, currency)} "
                       "stays earmarked")
    return head + f"{position.state} in the plan: no money moves"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _exact(value: Decimal) -> str:
    return format(value, "f")
