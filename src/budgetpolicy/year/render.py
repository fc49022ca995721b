"""Positions for people and machines (an aligned table, canonical JSON, CSV), and one line per sign-off.

Pure functions from values to text; the command decides where the text goes.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from budgetpolicy.canonical import pretty_json
from budgetpolicy.formatting import money, money_cents, percent
from budgetpolicy.output import table, wrapped
from budgetpolicy.year.events import RecordedQuarter
from budgetpolicy.year.positions import STATES, Positions
from budgetpolicy.year.signoff import SignOffResult

AMOUNTS = ("planned", "allocated", "earmarked", "returned", "spent", "released", "received")
CSV_COLUMNS = ("initiative_id", "outcome", "state", *AMOUNTS, "burn", "required", "signed", "awaiting", "refused_by",
               "flags")


def positions_table(positions: Positions) -> str:
    """A title, one aligned row per initiative (money with thousands separators), the states and the pool,
    then the sign-offs of the initiatives that require, hold or await any (or carry spend flags).

    Two tables rather than one: the money and the signatures side by side took 123 columns, and a
    table must fit 100 (what a pipe or file gets). Every initiative is in the first; the second lists
    only those with something to sign or flag (not a bet the plan deferred or rejected whose roles
    nobody owes), and says how many it left out."""
    pool = positions.pool
    title = wrapped(f"Positions of the plan at record {positions.plan} ({positions.policy_id} "
                    f"{positions.policy_version}, planned {positions.evaluated_at}) after "
                    f"{_count(positions.signoffs, 'sign-off')} and {_count(positions.refusals, 'refusal')}"
                    f"{_reviewed(positions)}; amounts in {pool.currency}") + "\n\n"
    headers = ("ID", "STATE", *(a.upper() for a in AMOUNTS), "BURN")
    rows = [[p.initiative_id, p.state, *(money(getattr(p, a)) for a in AMOUNTS), percent(p.burn)]
            for p in positions.initiatives]
    counts = {s: sum(p.state == s for p in positions.initiatives) for s in STATES}
    states = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return (title + table(headers, rows) + f"\n{len(positions.initiatives)} initiatives: {states}\n"
            + pool_line(positions) + "\n" + burn_line(positions) + signoffs_table(positions))


def signoffs_table(positions: Positions) -> str:
    """Who signed, who is awaited, who refused, and the spend flags: one row per initiative with any."""
    rows = [[p.initiative_id, p.state, ";".join(p.required) or "-", ";".join(p.signed) or "-",
             ";".join(p.awaiting) or "-", p.refused_by or "-", ";".join(p.flags) or "-"]
            for p in positions.initiatives if p.signed or p.awaiting or p.refused_by or p.flags
            or (p.required and p.state not in ("deferred", "rejected", "unfunded"))]
    if not rows:
        return "\nSign-offs: no initiative requires one, and no spend is flagged\n"
    rest = len(positions.initiatives) - len(rows)
    return ("\nSign-offs and flags (" + _count(len(rows), "initiative") + f"; the other {rest} owe none)\n\n"
            + table(("ID", "STATE", "REQUIRED", "SIGNED", "AWAITING", "REFUSED BY", "FLAGS"), rows))


def burn_line(positions: Positions) -> str:
    """The burn rate per department (spent / allocated), once a quarter is recorded."""
    if not positions.reviewed:
        return ""
    parts = [f"{d.department} {percent(d.burn)} ({money(d.spent)} of {money(d.allocated)})"
             for d in positions.departments]
    return "burn by department: " + "; ".join(parts) + "\n"


def pool_line(positions: Positions) -> str:
    pool = positions.pool
    line = (f"pool {money(pool.pool, pool.currency)}: allocated {money(pool.allocated)}, earmarked "
            f"{money(pool.earmarked)}, returned {money(pool.returned)}, leftover {money(pool.leftover)}"
            + (f", mid-year reserve {money(pool.reserve)}" if pool.reserve else ""))
    if not positions.reviewed:
        return line
    return line + f"; spent {money(pool.spent)}, released {money(pool.released)} / received {money(pool.received)}"


def _reviewed(positions: Positions) -> str:
    quarters = positions.reviewed
    if not quarters:
        return ""
    return f", reviewed {quarters[0]}..{quarters[-1]}" if len(quarters) > 1 else f", reviewed {quarters[0]}"


def positions_json(positions: Positions) -> str:
    """Canonical JSON (sorted keys, amounts as exact strings) of the positions value."""
    return pretty_json(positions, normal=True)


def positions_csv(positions: Positions) -> str:
    """One row per initiative; roles joined by ``;``, amounts exact (the pool is in the table and the JSON)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in positions.initiatives:
        writer.writerow([p.initiative_id, p.outcome, p.state, *(_exact(getattr(p, a)) for a in AMOUNTS),
                         "" if p.burn is None else _exact(p.burn), ";".join(p.required), ";".join(p.signed),
                         ";".join(p.awaiting), p.refused_by or "", ";".join(p.flags)])
    return buf.getvalue()


def signoff_line(result: SignOffResult) -> str:
    """What a sign-off or refusal did, in one line: the record written and where the money stands now."""
    event, position, currency = result.event, result.position, result.currency
    where = f"record {event.seq}, plan at record {event.plan}"
    if event.refused:
        return (f"{event.initiative_id}: refused by {event.by} for {event.role} ({where}); "
                f"{money(position.returned, currency)} returned to the pool")
    head = f"{event.initiative_id}: {event.role} signed by {event.by} ({where}); "
    if position.state == "funded" and position.awaiting:
        return (head + f"{money(position.allocated, currency)} allocated, {money(position.earmarked)} awaiting "
                       f"{', '.join(position.awaiting)} stays earmarked")
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


# A recorded quarter's sections: title, the review field, and per column the key of each item.
_SECTIONS = (
    ("Realisations", "realisations", ("initiative_id", "value")),
    ("Completions", "completions", ("initiative_id", "status", "cause", "latest", "target", "reason")),
    ("Sunsets", "sunsets", ("initiative_id", "criterion", "reason", "detail")),
    ("Released", "releases", ("initiative_id", "cause", "unspent", "amount", "reason")),
    ("Reallocated", "reallocations", ("initiative_id", "kind", "amount", "allocation_before", "allocation_after",
                                      "awaiting", "reason")),
    ("Scale-up recommendations", "scale_ups", ("initiative_id", "realisation", "allocation", "headroom", "granted")),
    ("New requests", "requests", ("initiative_id", "outcome", "score", "required_approvers", "funded", "reason")),
    ("Pilots against the rollout gate", "pilots", ("pilot_id", "status", "quarters_measured", "realisation",
                                                   "learning_gain", "reason")),
    ("Rollouts", "rollouts", ("initiative_id", "pilot_id", "verdict", "cost", "reason")),
)
_OPTIONAL = ("requests", "pilots", "rollouts")  # sections a quarter without them does not show


def recorded_quarter_table(quarter: RecordedQuarter, currency: str) -> str:
    """A recorded quarter as its record holds it: its moves and money summary, read, never recomputed."""
    review = quarter.review
    parts = [f"Quarterly review {quarter.period} of the plan at record {quarter.plan}, as recorded at record "
             f"{quarter.seq} ({quarter.at})\n"]
    for title, name, keys in _SECTIONS:
        items: list[dict[str, Any]] = review.get(name) or []
        if name in _OPTIONAL and not items:
            continue  # the quarter reviewed no new request, no pilot against a [rollout] gate
        parts.append(f"\n{title}\n")
        parts.append(table([k.upper() for k in keys], [[_cell(item.get(k)) for k in keys] for item in items])
                     if items else "none\n")
    summary = review.get("summary") or {}
    parts.append(f"\n{quarter.period}: released {money_cents(Decimal(summary.get('released', '0')), currency)} = "
                 f"redistributed {money_cents(Decimal(summary.get('redistributed', '0')))} + returned to the pool "
                 f"{money_cents(Decimal(summary.get('returned_to_pool', '0')))}\n")
    return "".join(parts)


def recorded_quarter_json(quarter: RecordedQuarter) -> str:
    """The quarter's record as canonical JSON: the record's seq, time, plan and period, and its review."""
    return pretty_json({"record": quarter.seq, "recorded_at": quarter.at, "plan": quarter.plan,
                        "period": quarter.period, "review": quarter.review})


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)
