"""The evidence sections for the terminal: what ``budgetpolicy review`` prints after the review's tables.

The same blocks as the reports (:mod:`.evidencesections`) as plain text: headings as lines, tables
through :func:`budgetpolicy.output.table` (they fit the terminal), inline Markdown marks dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetpolicy.output import table
from budgetpolicy.report.evidencefacts import EvidenceFacts
from budgetpolicy.report.evidencesections import Block, format_blocks, kpi_blocks


def _plain(text: str) -> str:
    return text.replace("**", "").replace("`", "")


def render_text(blocks: Sequence[Block]) -> str:
    parts: list[str] = []
    for b in blocks:
        if b.kind == "h2":
            parts.append(f"\n{_plain(b.text)}\n")
        elif b.kind == "h3":
            parts.append(f"\n{_plain(b.text)}\n")
        elif b.kind == "p":
            parts.append(f"{_plain(b.text)}\n")
        elif b.kind == "ul":
            parts.append("".join(f"- {_plain(item)}\n" for item in b.items))
        elif b.table is not None:
            parts.append(table([h.upper() for h in b.table.headers], [[_plain(c) for c in r] for r in b.table.rows]))
    return "".join(parts)


def review_evidence_text(facts: EvidenceFacts) -> str:
    """Effectiveness by format and, with KPI actuals, KPI attribution, as terminal text (the case-study
    drafts are the report's: a review's output stays a review)."""
    return render_text([*(kpi_blocks(facts) if facts.actuals_given else []), *format_blocks(facts)])
