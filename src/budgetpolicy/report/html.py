"""The portfolio report as one self-contained HTML dashboard.

Everything is inline: the CSS, and the charts as SVG elements drawn by
matplotlib (:mod:`.charts`); no script, font, image or stylesheet is
fetched, so the file opens offline and can be attached to an email. The
content follows the Markdown report (:mod:`.markdown`): totals, charts,
criteria, funded bets with the narrative of each decision, deferred and
rejected initiatives, and outcomes after a review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from budgetpolicy.formatting import money, trimmed_number
from budgetpolicy.report import charts
from budgetpolicy.report.facts import Portfolio, rule_in_words

_CSS = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111827;
background:#f3f4f6;line-height:1.45}main{max-width:1200px;margin:0 auto;padding:24px}
header{background:#111827;color:#f9fafb;padding:20px 24px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#d1d5db;font-size:13px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:15px;margin:16px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card .label{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.04em}.card .value{font-size:20px;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:14px}
.panel{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.06);overflow-x:auto}
svg.chart{width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;
text-align:left;vertical-align:top}th{background:#f9fafb;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
details{background:#fff;border-radius:8px;margin:6px 0;padding:8px 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
summary{cursor:pointer;font-weight:600}ol li,ul li{margin:3px 0}code{background:#f3f4f6;padding:0 3px;border-radius:3px}
.tag{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;color:#fff}
.approved{background:#16a34a}.pending_approval{background:#d97706}.deferred{background:#6b7280}.rejected{background:#dc2626}
"""


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(f'<td class="n">{_html(v)}</td>' if i in numeric else f"<td>{_html(v)}</td>"
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """Already-escaped HTML."""


def _html(value: Any) -> str:
    return value if isinstance(value, _Raw) else escape(str(value))


def _tag(outcome: str) -> _Raw:
    return _Raw(f'<span class="tag {escape(outcome)}">{escape(outcome.replace("_", " "))}</span>')


def render_html(p: Portfolio) -> str:
    policy, cur = p.policy, p.policy.currency
    parts = [f"<header><h1>Portfolio report: {escape(policy.id)} {escape(policy.version)}</h1>"
             f"<p>Evaluated {escape(p.evaluated_at)}; policy sha256 "
             f"{escape(policy.source.sha256[:12] if policy.source else '-')}; amounts in {escape(cur)}</p></header>",
             "<main>", _cards(p), "<h2>Charts</h2>", _charts(p), _criteria(p), _funded(p)]
    deferred = p.with_outcome("deferred")
    if deferred:
        parts.append("<h2>Deferred (approved, not funded this cycle)</h2>")
        parts.append(table(("ID", "Title", "Requested", "Score", "EV", "Why"),
                            ((b.initiative.id, b.initiative.title, money(b.initiative.cost),
                              trimmed_number(b.decision.score), trimmed_number(b.decision.expected_value),
                              b.decision.funding.explanation if b.decision.funding else "") for b in deferred),
                            numeric=(2, 3, 4)))
    rejected = p.with_outcome("rejected")
    if rejected:
        parts.append("<h2>Rejected</h2>")
        parts.append(table(("ID", "Title", "Requested", "Score", "Reasons"),
                            ((b.initiative.id, b.initiative.title, money(b.initiative.cost),
                              trimmed_number(b.decision.score),
                              "; ".join(f"{r.code}: {r.message}" for r in b.decision.reasons
                                        if r.code not in b.decision.flags)) for b in rejected), numeric=(2, 3)))
    if p.kpi_progress:
        parts.append(f"<h2>Outcomes to {escape(p.period or '')}</h2>")
        parts.append(table(("Priority", "Baseline", "Now (estimated)", "Target", "Share of gap closed"),
                            ((f"{k.name} ({k.unit})", trimmed_number(k.baseline), trimmed_number(k.current),
                              trimmed_number(k.target), f"{trimmed_number(k.share_of_gap * 100)}%")
                             for k in p.kpi_progress), numeric=(1, 2, 3, 4)))
    parts.append("</main>")
    return document(f"Portfolio report: {policy.id} {policy.version}", parts)


def document(title: str, parts: Sequence[str]) -> str:
    """One self-contained page: the inline style and ``parts`` (already HTML), nothing fetched."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(parts)
            + "\n</body></html>\n")


def _cards(p: Portfolio) -> str:
    items = [("Initiatives", str(len(p.bets))), ("Requested", money(p.requested))]
    if p.summary is not None:
        items += [("Pool", money(p.summary.pool)), ("Allocated", money(p.summary.allocated)),
                  ("Left", money(p.summary.leftover))]
    items += [(o.replace("_", " "), str(n)) for o, n in p.counts]
    return '<section class="cards">' + "".join(
        f'<div class="card"><div class="label">{escape(k)}</div><div class="value">{escape(v)}</div></div>'
        for k, v in items) + "</section>"


def _charts(p: Portfolio) -> str:
    cur = p.policy.currency
    svgs = []
    if p.summary is not None:
        svgs += [charts.bar_chart("chart-by-priority", "Allocation by priority", p.summary.by_priority, cur),
                 charts.bar_chart("chart-by-department", "Allocation by department", p.summary.by_department, cur),
                 charts.bar_chart("chart-by-kind", "Allocation by kind", p.summary.by_kind, cur)]
    svgs.append(charts.ev_cost_scatter([(b.initiative.id, b.initiative.cost, b.decision.expected_value,
                                         b.decision.outcome) for b in p.bets], cur))
    if p.quarters:
        svgs.append(charts.forecast_vs_realised([(q.period, q.priority, q.forecast, q.realised) for q in p.quarters]))
    if p.kpi_progress:
        svgs.append(charts.kpi_progress([(k.name, k.share_of_gap) for k in p.kpi_progress]))
    return '<section class="charts">' + "".join(f'<div class="panel">{s}</div>' for s in svgs) + "</section>"


def _criteria(p: Portfolio) -> str:
    policy = p.policy
    out = ["<h2>Criteria</h2><h3>Performance priorities</h3>",
           table(("Priority", "KPI", "Baseline", "Target", "Weight", "Sponsor"),
                  ((f"{pr.name} ({pr.id})", f"{pr.kpi.metric} ({pr.kpi.unit}, {pr.kpi.direction} is better)",
                    trimmed_number(pr.kpi.baseline), trimmed_number(pr.kpi.target), trimmed_number(pr.weight),
                    pr.sponsor or "-")
                   for pr in policy.priorities), numeric=(2, 3, 4)),
           "<h3>Rubric</h3>",
           table(("Criterion", "Scorer", "Weight", "What it rewards"),
                  ((c.id, c.scorer, trimmed_number(c.weight), c.description or "-") for c in policy.scoring.criteria),
                  numeric=(2,)),
           "<h3>Approval rules (in order; a reject always wins)</h3><ol>"]
    for r in policy.approval.rules:
        words = escape(rule_in_words(r)).replace("**", "")
        out.append(f"<li><strong>{escape(r.id)}</strong>: {words}</li>")
    out.append("</ol>")
    return "".join(out)


def _funded(p: Portfolio) -> str:
    funded = p.funded
    out = ["<h2>Funded bets</h2>"]
    if not funded:
        return out[0] + "<p>No initiative was approved this cycle.</p>"
    out.append(table(("ID", "Title", "Kind", "Department", "Outcome", "Score", "EV", "Requested", "Allocated",
                       "Sign-off"),
                      ((b.initiative.id, b.initiative.title, b.initiative.kind, b.initiative.department,
                        _tag(b.decision.outcome), trimmed_number(b.decision.score),
                        trimmed_number(b.decision.expected_value), money(b.initiative.cost), money(b.allocated),
                        ", ".join(b.decision.required_approvers) or "-")
                       for b in funded), numeric=(5, 6, 7, 8)))
    out.append("<h3>Why each bet was chosen</h3>")
    for b in funded:
        i, d = b.initiative, b.decision
        plan = ", ".join(x.replace("_", " ") for x in i.evaluation_plan) or "none"
        lifts = "; ".join(f"{k} +{trimmed_number(v)}" for k, v in i.forecast.items()) or "none forecast"
        out.append(f"<details><summary>{escape(i.id)}: {escape(i.title)} ({escape(money(b.allocated))})</summary><ul>"
                   f"<li><strong>Expected outcomes</strong>: {escape(lifts)}; "
                   f"probability {trimmed_number(i.probability)}; "
                   f"expected value {trimmed_number(d.expected_value)}</li>"
                   f"<li><strong>Learning objectives</strong>: {escape('; '.join(i.objectives) or '-')}</li>"
                   f"<li><strong>Measurement plan</strong>: {escape(plan)}</li>"
                   f"<li><strong>Why</strong>: {escape(b.narrative)}</li></ul></details>")
    return "".join(out)
