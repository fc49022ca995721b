"""The words and tables of the portfolio report, written once for both formats.

:mod:`.markdown` and :mod:`.html` render the same :class:`~.facts.Portfolio`; everything either of them
prints in words or tables comes from here, so the HTML page cannot drift from the Markdown (a test
compares their section headings): the title and header line (a review's report names the quarter
reviewed and its dates, then the plan it reviewed), the totals, the criteria (priorities, rubric,
approval rules, how the pool is split), the funded, deferred and rejected tables, each funded bet's
particulars, the allocation breakdowns and the outcome tables. Inline markup in the strings is
Markdown's ``**bold**`` and ```code```; the HTML renderer converts it. Every number is the facts' own
Decimal, printed exactly (amounts with thousands separators, scores without trailing zeros).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from attrs import frozen

from budgetpolicy.formatting import money, trimmed_number
from budgetpolicy.model import Policy
from budgetpolicy.report.facts import Bet, Portfolio


@frozen
class Table:
    """A table's headers, its rows of text, and the columns that hold numbers (aligned right)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()


def _table(headers: Sequence[str], rows: Any, numeric: Sequence[int] = ()) -> Table:
    return Table(tuple(headers), tuple(tuple(str(v) for v in row) for row in rows), tuple(numeric))


def rule_in_words(rule: Any) -> str:
    effect = {"reject": "reject", "require": f"require sign-off by **{rule.role}**", "flag": "flag",
              "approve": "approve (fast track)"}[rule.effect]
    return f"{effect} when `{rule.condition}`: {rule.message}"



def title(p: Portfolio) -> str:
    policy = p.policy
    base = f"Portfolio report: {policy.id} {policy.version}"
    return f"{base}, review of {p.period}" if p.period else base


def quarter_dates(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of quarter ``YYYY-Qn``."""
    year, quarter = int(period[:4]), int(period[-1])
    first = dt.date(year, 3 * quarter - 2, 1)
    after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, after - dt.timedelta(days=1)


def header_line(p: Portfolio) -> str:
    """What the report is of: the funding cycle's evaluation, or the quarter reviewed (then the plan's)."""
    policy = p.policy
    sha = policy.source.sha256[:12] if policy.source else "-"
    under = (f"under policy `{policy.id}` version {policy.version} (sha256 `{sha}`), "
             f"effective {policy.effective_date}. Amounts in {policy.currency}.")
    if not p.period:
        return f"Evaluated {p.evaluated_at} {under}"
    first, last = quarter_dates(p.period)
    read = p.period if p.first_period in (None, p.period) else f"{p.first_period} to {p.period}"
    return (f"Quarterly review of {p.period} ({first} to {last}; outcomes read for {read}) "
            f"of the plan evaluated {p.evaluated_at} {under}")


def totals(p: Portfolio) -> list[tuple[str, str]]:
    """The totals table's rows: (label, value), every value printed exactly."""
    rows = [("Initiatives", str(len(p.bets))), ("Requested", money(p.requested))]
    if p.summary is not None:
        s = p.summary
        rows += [("Pool", money(s.pool)), ("Allocated", money(s.allocated)), ("Left in the pool", money(s.leftover)),
                 ("Reserve", money(s.reserve_amount)), ("Reserve used", money(s.reserve_used)),
                 ("Reserve released", money(s.reserve_released))]
    rows += [("Expected value of funded bets", trimmed_number(p.funded_expected_value))]
    return rows + [(outcome.replace("_", " ").capitalize(), str(count)) for outcome, count in p.counts]


def pool_split(policy: Policy) -> list[str]:
    """How the pool is split, one sentence per item (empty when the policy does not allocate)."""
    a = policy.allocation
    if a is None:
        return []
    out = [f"Pool of {money(a.pool, policy.currency)}, strategy `{a.strategy}`, ranked by {a.value} "
           f"per {policy.currency}; ties broken by {', '.join(a.tie_break)}."]
    for b in a.baselines:
        who = b.department or b.role or b.kind
        out.append(f"Baseline `{b.id}`: at least {money(b.amount)} for {who}. {b.reason or ''}".rstrip())
    if a.reserve is not None:
        size = f"{trimmed_number(a.reserve.share * 100)}% of the pool" if a.reserve.share is not None \
            else money(a.reserve.amount)
        out.append(f"Reserve: {size} for {', '.join(a.reserve.kinds)}"
                   f"{' and any initiative flagged pilot' if a.reserve.include_pilots else ''}. "
                   f"{a.reserve.reason or ''}".rstrip())
    if a.caps.per_initiative is not None:
        out.append(f"At most {money(a.caps.per_initiative)} per initiative.")
    for k, v in {**a.caps.per_department, **a.caps.per_kind}.items():
        out.append(f"At most {money(v)} for {k}.")
    out.append(f"Partial funding {'allowed' if a.partial else 'not allowed'}"
               + (f" down to {trimmed_number(a.min_viable_share * 100)}% of the request." if a.partial
                  and a.min_viable_share else "."))
    return out


def funding_why(bet: Bet) -> str:
    return bet.decision.funding.explanation if bet.decision.funding else ""


def bet_details(p: Portfolio, bet: Bet) -> list[tuple[str, str]]:
    """A funded bet's particulars, (label, text): allocation, expected outcomes, objectives, measurement
    plan, sign-offs awaited, flags and the narrative of why."""
    i, d = bet.initiative, bet.decision
    why = funding_why(bet)
    out = [("Allocation", f"{money(bet.allocated)} of {money(i.cost)} requested" + (f" ({why})" if why else ""))]
    lifts = [lift_words(p.policy, pid, value) for pid, value in i.forecast.items()]
    out.append(("Expected outcomes", f"{'; '.join(lifts) or 'none forecast'}, probability "
                f"{trimmed_number(i.probability)}, over {i.horizon} quarter(s); "
                f"expected value {trimmed_number(d.expected_value)}"))
    if i.objectives:
        out.append(("Learning objectives", "; ".join(i.objectives)))
    plan = ", ".join(x.replace("_", " ") for x in i.evaluation_plan) or "none"
    out.append(("Measurement plan", plan + (f"; delivery: {i.delivery}" if i.delivery else "")))
    if d.required_approvers:
        out.append(("Awaiting sign-off", ", ".join(d.required_approvers)))
    if d.flags:
        out.append(("Flags", ", ".join(d.flags)))
    return out + [("Why", bet.narrative)]


def lift_words(policy: Policy, priority_id: str, value: Any) -> str:
    pr = policy.priority(priority_id)
    if pr is None:
        return f"{priority_id} +{trimmed_number(value)}"
    verb = "up" if pr.kpi.direction == "higher" else "down"
    return f"{pr.name} {verb} {trimmed_number(value)} {pr.kpi.unit}"


def priorities_table(policy: Policy) -> Table:
    return _table(("Priority", "KPI", "Baseline", "Target", "Weight", "Sponsor"),
                  ((f"{pr.name} (`{pr.id}`)", f"{pr.kpi.metric} ({pr.kpi.unit}, {pr.kpi.direction} is better)",
                    trimmed_number(pr.kpi.baseline), trimmed_number(pr.kpi.target), trimmed_number(pr.weight),
                    pr.sponsor or "-") for pr in policy.priorities), (2, 3, 4))


def rubric_table(policy: Policy) -> Table:
    return _table(("Criterion", "Scorer", "Weight", "What it rewards"),
                  ((c.id, c.scorer, trimmed_number(c.weight), c.description or "-") for c in policy.scoring.criteria),
                  (2,))


def funded_table(p: Portfolio) -> Table:
    """The funded bets, most money first; column 4 is the outcome (the HTML shows it as a badge)."""
    return _table(("ID", "Title", "Kind", "Department", "Outcome", "Score", "EV", "Requested", "Allocated",
                   "Sign-off"),
                  ((b.initiative.id, b.initiative.title, b.initiative.kind, b.initiative.department,
                    b.decision.outcome.replace("_", " "), trimmed_number(b.decision.score),
                    trimmed_number(b.decision.expected_value), money(b.initiative.cost), money(b.allocated),
                    ", ".join(b.decision.required_approvers) or "-") for b in p.funded), (5, 6, 7, 8))


def deferred_table(p: Portfolio) -> Table:
    return _table(("ID", "Title", "Requested", "Score", "EV", "Why"),
                  ((b.initiative.id, b.initiative.title, money(b.initiative.cost), trimmed_number(b.decision.score),
                    trimmed_number(b.decision.expected_value), funding_why(b)) for b in p.with_outcome("deferred")),
                  (2, 3, 4))


def rejected_table(p: Portfolio) -> Table:
    return _table(("ID", "Title", "Requested", "Score", "Reasons"),
                  ((b.initiative.id, b.initiative.title, money(b.initiative.cost), trimmed_number(b.decision.score),
                    "; ".join(f"{r.code}: {r.message}" for r in b.decision.reasons if r.code not in b.decision.flags))
                   for b in p.with_outcome("rejected")), (2, 3))


def breakdown_tables(p: Portfolio) -> list[tuple[str, Table]]:
    """``(heading, table)`` of the allocation by priority, department and kind (none without allocation)."""
    if p.summary is None:
        return []
    cur = p.policy.currency
    return [(f"By {name}", _table((name.capitalize(), f"Allocated ({cur})"),
                                  ((k, money(v)) for k, v in mapping.items()), (1,)))
            for name, mapping in (("priority", p.summary.by_priority), ("department", p.summary.by_department),
                                  ("kind", p.summary.by_kind))]


QUARTER_NOTE = "Due by then: the lift the milestones (or the ramp) expected by that quarter."
KPI_NOTE = "The organisation's KPI actuals (`--kpis`): the latest quarter read at or before the review."
NO_KPI_NOTE = ("Not known without KPI actuals (`--kpis FILE`): lifts measured on each initiative's own participants "
               "do not add up to a KPI's position.")


def quarter_table(p: Portfolio) -> Table:
    return _table(("Quarter", "Priority", "Forecast lift", "Due by then", "Realised lift"),
                  ((q.period, q.priority, trimmed_number(q.forecast), trimmed_number(q.due, 4),
                    trimmed_number(q.realised)) for q in p.quarters), (2, 3, 4))


def kpi_table(p: Portfolio) -> Table:
    return _table(("Priority", "Baseline", "Actual", "Target", "Share of gap closed"),
                  ((f"{k.name} ({k.unit})", trimmed_number(k.baseline), f"{trimmed_number(k.current)} ({k.period})",
                    trimmed_number(k.target), f"{trimmed_number(k.share_of_gap * 100)}%") for k in p.kpi_progress),
                  (1, 2, 3, 4))


def initiatives_table(p: Portfolio) -> Table:
    """Every initiative's kind, outcome, requested cost and expected value (the data of the EV chart)."""
    return _table(("ID", "Title", "Kind", "Outcome", "Requested", "EV"),
                  ((b.initiative.id, b.initiative.title, b.initiative.kind, b.decision.outcome.replace("_", " "),
                    money(b.initiative.cost), trimmed_number(b.decision.expected_value)) for b in p.bets), (4, 5))
