"""The portfolio report as Markdown: the living document of a funding cycle.

Sections, in order: totals; the criteria (the policy in words: priorities
and KPIs, the rubric, the approval rules, how the pool is split); the funded
bets (allocation, expected outcomes, learning objectives, measurement plan,
the narrative of why); deferred and rejected initiatives with their reasons;
allocation by priority, department and kind; and, after a quarterly review,
forecast vs realised lift, KPI progress, and the evidence sections (KPI
actuals and attribution, effectiveness by format, plan versus actual, case
study drafts: :mod:`.evidencesections`). The words and tables are
:mod:`.sections`' (shared with the HTML page); every number is the
evaluation's own Decimal, printed exactly (amounts with thousands separators).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from budgetpolicy.report.evidencesections import Block, evidence_blocks
from budgetpolicy.report.facts import Portfolio
from budgetpolicy.report.sections import (KPI_NOTE, NO_KPI_NOTE, QUARTER_NOTE, Table, bet_details, breakdown_tables,
                                          deferred_table, funded_table, header_line, kpi_table, pool_split,
                                          priorities_table, quarter_table, rejected_table, rubric_table,
                                          rule_in_words, title, totals)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[int] = ()) -> list[str]:
    """A Markdown table (``right``: the columns aligned right), as lines ending with a blank one."""
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return lines + [""]


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md(t: Table) -> list[str]:
    return table(t.headers, t.rows, right=t.numeric)


def render_markdown(p: Portfolio) -> str:
    out = [f"# {title(p)}", "", header_line(p), ""]
    out += ["## Totals", ""] + table(("", "value"), totals(p), right=(1,))
    out += _criteria(p)
    out += _funded(p)
    if p.with_outcome("deferred"):
        out += ["## Deferred (approved, not funded this cycle)", ""] + _md(deferred_table(p))
    if p.with_outcome("rejected"):
        out += ["## Rejected", ""] + _md(rejected_table(p))
    breakdowns = breakdown_tables(p)
    if breakdowns:
        out += ["## Allocation breakdown", ""]
        for heading, t in breakdowns:
            out += [f"### {heading}", ""] + _md(t)
    if p.quarters or p.kpi_progress:
        out += [f"## Outcomes to {p.period}", "", "### Forecast vs realised lift per quarter", "", QUARTER_NOTE, ""]
        out += _md(quarter_table(p))
        out += ["### KPI progress toward targets", ""]
        out += [KPI_NOTE, ""] + _md(kpi_table(p)) if p.kpi_progress else [NO_KPI_NOTE, ""]
    if p.evidence is not None:
        out += render_blocks(evidence_blocks(p.evidence))
    return "\n".join(out).rstrip("\n") + "\n"


def render_blocks(blocks: Sequence[Block]) -> list[str]:
    """Headings, paragraphs, tables and lists (:mod:`.evidencesections`) as Markdown lines."""
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h2", "h3"):
            out += ["#" * int(b.kind[1]) + " " + b.text, ""]
        elif b.kind == "p":
            out += [b.text, ""]
        elif b.kind == "ul":
            out += [f"- {item}" for item in b.items] + [""]
        elif b.table is not None:
            out += _md(b.table)
    return out


def _criteria(p: Portfolio) -> list[str]:
    policy = p.policy
    out = ["## Criteria", "", "### Performance priorities", ""] + _md(priorities_table(policy))
    out += ["### Rubric", ""] + _md(rubric_table(policy))
    out += ["### Approval rules (in order; a reject always wins)", ""]
    out += [f"{i}. **{r.id}**: {rule_in_words(r)}" for i, r in enumerate(policy.approval.rules, start=1)] + [""]
    split = pool_split(policy)
    if split:
        out += ["### How the pool is split", ""] + [f"- {line}" for line in split] + [""]
    return out


def _funded(p: Portfolio) -> list[str]:
    out = ["## Funded bets", ""]
    if not p.funded:
        return out + ["No initiative was approved this cycle.", ""]
    out += _md(funded_table(p))
    for b in p.funded:
        out += [f"### {b.initiative.id}: {b.initiative.title}", ""]
        out += [f"- **{label}**: {text}" for label, text in bet_details(p, b)] + [""]
    return out
