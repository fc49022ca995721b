"""The report of the budget year as one self-contained HTML page, from the facts of :mod:`.yearfacts`.

The sections and numbers of the Markdown version (:mod:`.yearmarkdown`), with the portfolio report's
inline style (:func:`.html.document`): no script, font, image or stylesheet is fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from budgetpolicy.formatting import money, percent
from budgetpolicy.report.evidencesections import evidence_blocks
from budgetpolicy.report.html import document, render_blocks, table
from budgetpolicy.report.yearfacts import (KINDS, Move, YearReport, amount_text, move_words, quarter_line,
                                           summary_line)


def render_year_html(r: YearReport) -> str:
    cur = r.currency
    after = f"after {r.period}" if r.period else "before the first quarterly review"
    title = f"The budget year: {r.policy_id} {r.policy_version}, {after}"
    parts = [f"<header><h1>{escape(title)}</h1><p>Plan at record {r.plan}, planned {escape(r.planned_at)}; policy "
             f"sha256 {escape(r.policy_sha256[:12])}; {escape(quarter_line(r))} "
             f"Amounts in {escape(cur)}</p></header>", "<main>", _money(r), _changed(r), "<h2>Every bet</h2>",
             table(("ID", "Title", "State", f"Planned ({cur})", f"Allocated ({cur})", f"Earmarked ({cur})",
                    f"Spent ({cur})", "Burn"),
                   ((b.initiative_id, b.title or "-", b.state, money(b.planned), money(b.allocated),
                     money(b.earmarked), money(b.spent), percent(b.burn)) for b in r.bets), numeric=(3, 4, 5, 6, 7)),
             "<h2>Earlier quarters</h2>"]
    if not r.earlier:
        none = f"No quarter was recorded before {r.period}." if r.period else "No quarter is recorded yet."
        parts.append(f"<p>{escape(none)}</p>")
    for quarter in r.earlier:
        parts.append(f'<h3 id="quarter-{escape(quarter.period)}">{escape(quarter.period)}</h3>'
                     f"<p>{escape(summary_line(quarter, cur))}</p>")
        parts.append(table(("ID", "Title", "Moves"),
                           ((iid, r.title(iid) or "-", "; ".join(move_words(m, cur) for m in moves))
                            for iid, moves in quarter.by_initiative())))
    if r.evidence is not None:
        parts.append(render_blocks(evidence_blocks(r.evidence)))
    parts.append("</main>")
    return document(title, parts)


def _money(r: YearReport) -> str:
    pool, cur = r.positions.pool, r.currency
    names = ("pool", "allocated", "earmarked", "returned", "leftover", "spent", "released", "received")
    cards = "".join(f'<div class="card"><div class="label">{name}</div>'
                    f'<div class="value">{escape(money(getattr(pool, name), cur))}</div></div>' for name in names)
    return ('<h2 id="money">Where the money stands</h2><section class="cards">' + cards + "</section>"
            "<h3>Burn by department</h3>"
            + table(("Department", f"Allocated ({cur})", f"Spent ({cur})", "Burn"),
                    ((d.department or "-", money(d.allocated), money(d.spent), percent(d.burn))
                     for d in r.departments), numeric=(1, 2, 3)))


def _changed(r: YearReport) -> str:
    quarter, cur = r.changed, r.currency
    if quarter is None:
        return ("<h2>What changed since the plan</h2><p>No quarter is recorded yet.</p>"
                + _moves("Sign-offs and refusals recorded since the plan", r.since, r, cur))
    out = [f"<h2>What changed in {escape(quarter.period)}</h2>",
           f"<p>As recorded at record {quarter.record} ({escape(quarter.at)}). {escape(summary_line(quarter, cur))}</p>"]
    out += [_moves(heading, quarter.of(kind), r, cur) for kind, heading in KINDS]
    if r.since:
        out.append(_moves(f"Recorded after the {quarter.period} review", r.since, r, cur))
    return "".join(out)


def _moves(heading: str, moves: Sequence[Move], r: YearReport, cur: str) -> str:
    head = f"<h3>{escape(heading)}</h3>"
    if not moves:
        return head + "<p>None.</p>"
    return head + table(("ID", "Title", f"Amount ({cur})", "Details"),
                        ((m.initiative_id, r.title(m.initiative_id) or "-", amount_text(m.amount), m.detail)
                         for m in moves), numeric=(2,))
