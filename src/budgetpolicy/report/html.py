"""The portfolio report as one self-contained HTML dashboard.

Everything is inline: the CSS (:mod:`.style`), and the charts as SVG elements drawn by matplotlib
(:mod:`.charts`); no script, font, image or stylesheet is fetched, so the file opens offline and can
be attached to an email. The content is the Markdown report's (:mod:`.markdown`), section for section
and heading for heading, from the same words and tables (:mod:`.sections`), plus the charts after the
totals: each a ``<figure>`` with its caption (the text alternative the SVG's ``aria-describedby``
names) and its data table. Tables sit in containers that scroll on their own, so the page fits a
375 px phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from budgetpolicy.report import charts
from budgetpolicy.report.evidencesections import Block, evidence_blocks
from budgetpolicy.report.facts import Portfolio
from budgetpolicy.report.sections import (KPI_NOTE, NO_KPI_NOTE, QUARTER_NOTE, Table, bet_details, breakdown_tables,
                                          deferred_table, funded_table, header_line, initiatives_table, kpi_table,
                                          pool_split, priorities_table, quarter_table, rejected_table,
                                          rubric_table, rule_in_words, title, totals)
from budgetpolicy.report.style import CSS, KIND_HATCHES, priority_looks


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = (),
          badges: Sequence[int] = ()) -> str:
    """A table in its own scrolling container (the page stays within a phone's width); ``numeric``
    columns align right, ``badges`` columns hold an outcome shown as a coloured badge."""
    head = "".join(f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(f'<td class="n">{_html(v)}</td>' if i in numeric
                        else f"<td>{_badge(str(v))}</td>" if i in badges else f"<td>{_html(v)}</td>"
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    # tabindex: a keyboard user can focus the container to scroll it.
    return (f'<div class="table-wrap" tabindex="0"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _table(t: Table, badges: Sequence[int] = ()) -> str:
    return table(t.headers, t.rows, t.numeric, badges)


def _html(value: Any) -> str:
    return _inline(str(value))


def _inline(text: str) -> str:
    """Escaped text with the shared strings' Markdown inline markup (```code```, ``**bold**``) as HTML."""
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        if i % 2:
            out.append(f"<code>{escape(part)}</code>")
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(part)))
    return "".join(out)


def _badge(outcome_words: str) -> str:
    outcome = outcome_words.replace(" ", "_")
    return f'<span class="tag {escape(outcome)}">{escape(outcome_words)}</span>'


def render_html(p: Portfolio) -> str:
    parts = [f"<header><h1>{escape(title(p))}</h1><p>{_inline(header_line(p))}</p></header>", "<main>",
             "<h2>Totals</h2>", _cards(p), "<h2>Charts</h2>", _charts(p), _criteria(p), _funded(p)]
    if p.with_outcome("deferred"):
        parts += ["<h2>Deferred (approved, not funded this cycle)</h2>", _table(deferred_table(p))]
    if p.with_outcome("rejected"):
        parts += ["<h2>Rejected</h2>", _table(rejected_table(p))]
    breakdowns = breakdown_tables(p)
    if breakdowns:
        parts.append("<h2>Allocation breakdown</h2>")
        parts += [f"<h3>{escape(heading)}</h3>{_table(t)}" for heading, t in breakdowns]
    if p.quarters or p.kpi_progress:
        parts += [f"<h2>Outcomes to {escape(p.period or '')}</h2>",
                  f"<h3>Forecast vs realised lift per quarter</h3><p>{escape(QUARTER_NOTE)}</p>",
                  _table(quarter_table(p)),
                  "<h3>KPI progress toward targets</h3>"]
        parts += [f"<p>{_inline(KPI_NOTE)}</p>", _table(kpi_table(p))] if p.kpi_progress \
            else [f"<p>{_inline(NO_KPI_NOTE)}</p>"]
    if p.evidence is not None:
        parts.append(render_blocks(evidence_blocks(p.evidence)))
    parts.append("</main>")
    return document(title(p), parts)


def render_blocks(blocks: Sequence[Block]) -> str:
    """Headings, paragraphs, tables and lists (:mod:`.evidencesections`) as HTML."""
    out = []
    for b in blocks:
        if b.kind in ("h2", "h3", "p"):
            out.append(f"<{b.kind}>{_inline(b.text)}</{b.kind}>")
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in b.items) + "</ul>")
        elif b.table is not None:
            out.append(_table(b.table))
    return "".join(out)


def document(title: str, parts: Sequence[str]) -> str:
    """One self-contained page: the inline style and ``parts`` (already HTML), nothing fetched."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(parts)
            + "\n</body></html>\n")


def _cards(p: Portfolio) -> str:
    return '<section class="cards">' + "".join(
        f'<div class="card"><div class="label">{escape(k)}</div><div class="value">{escape(v)}</div></div>'
        for k, v in totals(p)) + "</section>"


def _figure(chart: charts.Chart, data: Table, badges: Sequence[int] = ()) -> str:
    return (f'<figure class="panel">{chart.svg}<figcaption id="{charts.caption_id(chart.id)}">'
            f"{escape(chart.caption)}</figcaption><details><summary>The data</summary>{_table(data, badges)}"
            "</details></figure>")


def _charts(p: Portfolio) -> str:
    cur = p.policy.currency
    looks = priority_looks([pr.id for pr in p.policy.priorities])
    figures = []
    if p.summary is not None:
        s = p.summary
        (priority, by_priority), (department, by_department), (kind, by_kind) = breakdown_tables(p)
        figures += [
            _figure(charts.bar_chart("chart-by-priority", f"Allocation {priority.lower()}", s.by_priority, cur,
                                     colours=looks, encoding=", each in its priority's colour"), by_priority),
            _figure(charts.bar_chart("chart-by-department", f"Allocation {department.lower()}", s.by_department,
                                     cur), by_department),
            _figure(charts.bar_chart("chart-by-kind", f"Allocation {kind.lower()}", s.by_kind, cur,
                                     hatches=KIND_HATCHES, encoding=", each kind with its own hatch pattern"), by_kind)]
    scatter = charts.ev_cost_scatter([(b.initiative.id, b.initiative.kind, b.initiative.cost,
                                       b.decision.expected_value, b.decision.outcome) for b in p.bets], cur)
    figures.append(_figure(scatter, initiatives_table(p), badges=(3,)))
    if p.quarters:
        figures.append(_figure(charts.forecast_vs_realised(
            [(q.period, q.priority, q.forecast, q.realised) for q in p.quarters], looks), quarter_table(p)))
    if p.kpi_progress:
        figures.append(_figure(charts.kpi_progress(
            [(k.priority, k.name, k.share_of_gap) for k in p.kpi_progress], looks), kpi_table(p)))
    return '<section class="charts">' + "".join(figures) + "</section>"


def _criteria(p: Portfolio) -> str:
    policy = p.policy
    out = ["<h2>Criteria</h2><h3>Performance priorities</h3>", _table(priorities_table(policy)),
           "<h3>Rubric</h3>", _table(rubric_table(policy)),
           "<h3>Approval rules (in order; a reject always wins)</h3><ol>"]
    out += [f"<li><strong>{escape(r.id)}</strong>: {_inline(rule_in_words(r))}</li>" for r in policy.approval.rules]
    out.append("</ol>")
    split = pool_split(policy)
    if split:
        out.append("<h3>How the pool is split</h3><ul>" + "".join(f"<li>{_inline(s)}</li>" for s in split)
                   + "</ul>")
    return "".join(out)


def _funded(p: Portfolio) -> str:
    if not p.funded:
        return "<h2>Funded bets</h2><p>No initiative was approved this cycle.</p>"
    out = ["<h2>Funded bets</h2>", _table(funded_table(p), badges=(4,))]
    for b in p.funded:
        items = "".join(f"<li><strong>{escape(label)}</strong>: {escape(text)}</li>"
                        for label, text in bet_details(p, b))
        out.append(f"<details><summary><h3>{escape(b.initiative.id)}: {escape(b.initiative.title)}</h3></summary>"
                   f"<ul>{items}</ul></details>")
    return "".join(out)
