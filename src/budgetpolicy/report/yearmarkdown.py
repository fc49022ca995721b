"""The report of the budget year as Markdown, from the facts of :mod:`.yearfacts`.

Sections, in order: the header (policy, plan, the latest recorded quarter); where the money stands
(the pool and the burn per department); what changed in the quarter; every bet; the earlier quarters'
moves by initiative; then, when the caller gathered them, the evidence sections (:mod:`.evidencesections`). Amounts with thousands separators, in the plan's currency.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetpolicy.formatting import money, percent
from budgetpolicy.report.evidencesections import evidence_blocks
from budgetpolicy.report.markdown import render_blocks, table
from budgetpolicy.report.yearfacts import (KINDS, Move, YearReport, amount_text, move_words, quarter_line,
                                           summary_line)


def render_year_markdown(r: YearReport) -> str:
    cur = r.currency
    after = f"after {r.period}" if r.period else "before the first quarterly review"
    out = [f"# The budget year: {r.policy_id} {r.policy_version}, {after}", "",
           f"Plan at record {r.plan}, planned {r.planned_at}, under policy `{r.policy_id}` version "
           f"{r.policy_version} (sha256 `{r.policy_sha256[:12]}`). {quarter_line(r)} Amounts in {cur}.", ""]
    out += _money(r)
    out += _changed(r)
    out += ["## Every bet", ""]
    out += table(("ID", "Title", "State", f"Planned ({cur})", f"Allocated ({cur})", f"Earmarked ({cur})",
                   f"Spent ({cur})", "Burn"),
                  ((b.initiative_id, b.title or "-", b.state, money(b.planned), money(b.allocated), money(b.earmarked),
                    money(b.spent), percent(b.burn)) for b in r.bets), right=(3, 4, 5, 6, 7))
    out += ["## Earlier quarters", ""]
    if not r.earlier:
        out += [f"No quarter was recorded before {r.period}." if r.period else "No quarter is recorded yet.", ""]
    for quarter in r.earlier:
        out += [f"### {quarter.period}", "", summary_line(quarter, cur), ""]
        out += table(("ID", "Title", "Moves"),
                      ((iid, r.title(iid) or "-", "; ".join(move_words(m, cur) for m in moves))
                       for iid, moves in quarter.by_initiative()))
    if r.evidence is not None:
        out += render_blocks(evidence_blocks(r.evidence))
    return "\n".join(out).rstrip("\n") + "\n"


def _money(r: YearReport) -> list[str]:
    pool, cur = r.positions.pool, r.currency
    out = ["## Where the money stands", "",
           f"Pool {money(pool.pool, cur)}: allocated {money(pool.allocated, cur)}, earmarked "
           f"{money(pool.earmarked, cur)}, returned {money(pool.returned, cur)}, leftover {money(pool.leftover, cur)}; "
           f"spent {money(pool.spent, cur)}, released {money(pool.released, cur)}, received "
           f"{money(pool.received, cur)}.", ""]
    out += table(("", cur), [(name.capitalize(), money(getattr(pool, name))) for name in
                              ("pool", "allocated", "earmarked", "returned", "leftover", "spent", "released",
                               "received")], right=(1,))
    out += ["### Burn by department", ""]
    out += table(("Department", f"Allocated ({cur})", f"Spent ({cur})", "Burn"),
                  ((d.department or "-", money(d.allocated), money(d.spent), percent(d.burn)) for d in r.departments),
                  right=(1, 2, 3))
    return out


def _changed(r: YearReport) -> list[str]:
    quarter, cur = r.changed, r.currency
    if quarter is None:
        out = ["## What changed since the plan", "", "No quarter is recorded yet.", ""]
        return out + _moves("Sign-offs and refusals recorded since the plan", r.since, r, cur)
    out = [f"## What changed in {quarter.period}", "",
           f"As recorded at record {quarter.record} ({quarter.at}). {summary_line(quarter, cur)}", ""]
    for kind, heading in KINDS:
        out += _moves(heading, quarter.of(kind), r, cur)
    if r.since:
        out += _moves(f"Recorded after the {quarter.period} review", r.since, r, cur)
    return out


def _moves(heading: str, moves: Sequence[Move], r: YearReport, cur: str) -> list[str]:
    out = [f"### {heading}", ""]
    if not moves:
        return out + ["None.", ""]
    return out + table(("ID", "Title", f"Amount ({cur})", "Details"),
                        ((m.initiative_id, r.title(m.initiative_id) or "-", amount_text(m.amount), m.detail)
                         for m in moves), right=(2,))
