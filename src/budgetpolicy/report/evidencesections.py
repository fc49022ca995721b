"""The evidence sections' words and tables, written once for the Markdown and HTML of both reports.

``evidence_blocks(facts)`` gives the sections as a list of :class:`Block` values (a heading, a
paragraph, a table, a list) that :func:`.markdown.render_blocks` and :func:`.html.render_blocks` print:
KPI actuals and attribution, effectiveness by format, plan versus actual (TDRp) and the case-study
drafts. A column whose data no bet has (hours, for example) is left out, never shown as zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from attrs import frozen

from budgetpolicy.evidence.cases import evidence_lines
from budgetpolicy.evidence.formats import FormatRow
from budgetpolicy.formatting import money, money_cents, money_compact, percent, trimmed_number
from budgetpolicy.report.evidencefacts import EvidenceFacts
from budgetpolicy.report.sections import Table

NO_ACTUALS = ("No KPI actuals were given (`--kpis FILE`): the KPIs' own positions are unknown. Each realised lift "
              "is measured on an initiative's own participants, so the lifts are not added into a KPI position; "
              "they are listed as claims only.")
ACTUALS_NOTE = ("Observed change: the latest KPI actual against the baseline, in the KPI's good direction. "
                "Attributed: each initiative's latest realised lift, scaled down in proportion when together "
                "they claim more than the observed change (never more than it).")
DRAFT_NOTE = ("**Draft** case studies (success case method): the most and least successful bets by realisation, "
              "with the evidence on record. Interview participants and managers to answer the questions, then "
              "replace this draft.")


@frozen
class Block:
    kind: str  # h2 | h3 | p | table | ul
    text: str = ""
    table: Table | None = None
    items: tuple[str, ...] = ()


def _h(level: int, text: str) -> Block:
    return Block(f"h{level}", text)


def _p(text: str) -> Block:
    return Block("p", text)


def _t(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> Block:
    return Block("table", table=Table(tuple(headers), tuple(tuple(str(v) for v in r) for r in rows), tuple(numeric)))


def _n(value: Decimal | None, places: int | None = None) -> str:
    return "-" if value is None else trimmed_number(value, places)


def evidence_blocks(f: EvidenceFacts) -> list[Block]:
    return [*kpi_blocks(f), *format_blocks(f), *tdrp_blocks(f), *case_blocks(f)]


def kpi_blocks(f: EvidenceFacts) -> list[Block]:
    out = [_h(2, "KPI actuals and attribution"), _p(ACTUALS_NOTE if f.actuals_given else NO_ACTUALS)]
    if f.actuals_given:
        out.append(_t(("Priority", "Baseline", "Actual", "Target", "Observed change", "Share of gap",
                       "Funded forecast", "Claimed", "Attributed"),
                      [(f"{k.priority.name} ({k.priority.kpi.unit})", _n(k.priority.kpi.baseline),
                        f"{_n(k.actual)} ({k.period})" if k.period else "not read", _n(k.priority.kpi.target),
                        _n(k.observed), percent(k.share_of_gap), _n(k.forecast), _n(k.claimed),
                        _n(k.attributed) if k.observed is not None else "-") for k in f.kpis],
                      (1, 2, 3, 4, 5, 6, 7, 8)))
    notes = [note for k in f.kpis for note in k.notes]
    if notes:
        out.append(Block("ul", items=tuple(notes)))
    if not f.actuals_given:  # claims only: nothing to attribute them against
        claims = [(k.priority.id, a.initiative_id, a.period, _n(a.claimed)) for k in f.kpis for a in k.attributions]
        if claims:
            out += [_h(3, "Lifts claimed by initiative"),
                    _t(("Priority", "Initiative", "Reading", "Realised lift (claimed)"), claims, (3,))]
        return out
    rows = [(k.priority.id, a.initiative_id, a.period, _n(a.claimed),
             _n(a.attributed) if k.observed is not None else "not read") for k in f.kpis for a in k.attributions]
    if rows:
        out += [_h(3, "Attributed lift by initiative"),
                _t(("Priority", "Initiative", "Reading", "Realised lift (claimed)", "Attributed"), rows, (3, 4))]
    return out


def format_table(rows: Sequence[FormatRow], name: str) -> Block:
    """One row per group; hours only when read, benefit per unit only when some bet has a realised benefit
    (participants fall back to the planned headcount)."""
    hours = any(r.hours is not None for r in rows)
    benefit = any(r.benefit is not None for r in rows)
    headers = [name, "Bets", "Planned", "Spent", "Participants", *(["Hours"] if hours else []),
               "Spent per participant", "Completion (n)", "Learning gain (n)", "Realisation (n)",
               *(["Benefit per unit of cost (n)"] if benefit else [])]
    body = []
    for r in rows:
        per_head = r.spend_per_participant
        body.append((r.group, r.count, money(r.planned), money(r.spent), _n(r.participants),
                     *([_n(r.hours)] if hours else []), money_cents(per_head) if per_head is not None else "-",
                     f"{percent(r.completion)} ({r.completion_n})", f"{_n(r.gain)} ({r.gain_n})",
                     f"{percent(r.realisation)} ({r.realisation_n})",
                     *([f"{_n(r.benefit_per_unit)} ({r.benefit_n})"] if benefit else [])))
    return _t(headers, body, tuple(range(1, len(headers))))


def format_blocks(f: EvidenceFacts) -> list[Block]:
    if not f.by_kind:
        return []
    return [_h(2, "Effectiveness by format"),
            _p(f"Every funded bet to {f.period}, grouped by kind and by delivery method (not by the calibration "
               f"groups); amounts in {f.currency} from {f.money_from}. Completion, learning gain (post minus pre "
               "assessment) and realisation are means of each bet's latest reading, over the n bets that have one; "
               "participants are the readings' where read, else the planned headcount."),
            _h(3, "By kind"), format_table(f.by_kind, "Kind"),
            _h(3, "By delivery method"), format_table(f.by_delivery, "Delivery")]


def tdrp_blocks(f: EvidenceFacts) -> list[Block]:
    out = [_h(2, "Plan versus actual (TDRp)"),
           _p(f"Year to date: to {f.period}. Forecast for the year: the pace so far, run on to the year's end.")]
    out += [_h(3, "Outcome measures (per priority)"),
            _t(("Priority", "Plan (target)", "YTD actual", "YTD % of plan", "Forecast for the year"),
               [(f"{o.name} ({o.unit})", _n(o.plan), f"{_n(o.actual)} ({o.actual_period})" if o.actual_period
                 else "not read", percent(o.share_of_plan), _n(o.forecast)) for o in f.outcomes], (1, 2, 3, 4))]
    if f.programmes:
        out += [_h(3, "Programme measures (per kind)"),
                _p(f"Efficiency (spend, participants) and effectiveness (completion, realisation; their plan is "
                   f"100%); amounts in {f.currency} from {f.money_from}."),
                _t(("Kind", "Plan", "YTD actual", "YTD % of plan", "Forecast for the year", "Participants",
                    "Completion", "Realisation"),
                   [(p.programme, money(p.planned), money(p.spent), percent(p.share_of_plan), money_compact(p.forecast),
                     _n(p.row.participants), percent(p.row.completion), percent(p.row.realisation))
                    for p in f.programmes], (1, 2, 3, 4, 5, 6, 7))]
    return out


def case_blocks(f: EvidenceFacts) -> list[Block]:
    if not f.cases:
        return []
    out = [_h(2, "Case studies"), _p(DRAFT_NOTE)]
    for case in f.cases:
        i = case.bet.initiative
        label = "Success" if case.kind == "success" else "Non-success"
        out += [_h(3, f"{label} case (draft): {i.id}, {i.title}"),
                Block("ul", items=tuple(f"**{k}**: {v}" for k, v in evidence_lines(case, f.currency))),
                _p("To complete:"), Block("ul", items=case.questions)]
    return out
