"""The portfolio report as Markdown: the living document of a funding cycle.

Sections, in order: totals; the criteria (the policy in words: priorities
and KPIs, the rubric, the approval rules, how the pool is split); the funded
bets (allocation, expected outcomes, learning objectives, measurement plan,
the narrative of why); deferred and rejected initiatives with their reasons;
allocation by priority, department and kind; and, after a quarterly review,
forecast vs realised lift and KPI progress. Every number is the evaluation's
own Decimal, printed exactly (amounts with thousands separators).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from budgetpolicy.formatting import money, trimmed_number
from budgetpolicy.report.facts import Bet, Portfolio, rule_in_words


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[int] = ()) -> list[str]:
    """A Markdown table (``right``: the columns aligned right), as lines ending with a blank one."""
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return lines + [""]


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(p: Portfolio) -> str:
    policy, cur = p.policy, p.policy.currency
    out = [f"# Portfolio report: {policy.id} {policy.version}", ""]
    sha = policy.source.sha256[:12] if policy.source else "-"
    out += [f"Evaluated {p.evaluated_at} under policy `{policy.id}` version {policy.version} "
            f"(sha256 `{sha}`), effective {policy.effective_date}. Amounts in {cur}.", ""]
    out += ["## Totals", ""]
    rows = [("Initiatives", len(p.bets)), ("Requested", money(p.requested))]
    if p.summary is not None:
        s = p.summary
        rows += [("Pool", money(s.pool)), ("Allocated", money(s.allocated)), ("Left in the pool", money(s.leftover)),
                 ("Reserve", money(s.reserve_amount)), ("Reserve used", money(s.reserve_used)),
                 ("Reserve released", money(s.reserve_released))]
    rows += [("Expected value of funded bets", trimmed_number(p.funded_expected_value))]
    rows += [(outcome.replace("_", " ").capitalize(), count) for outcome, count in p.counts]
    out += table(("", "value"), rows, right=(1,))
    out += _criteria(p)
    out += _funded(p)
    deferred = p.with_outcome("deferred")
    if deferred:
        out += ["## Deferred (approved, not funded this cycle)", ""]
        out += table(("ID", "Title", "Requested", "Score", "EV", "Why"),
                      ((b.initiative.id, b.initiative.title, money(b.initiative.cost), trimmed_number(b.decision.score),
                        trimmed_number(b.decision.expected_value), _funding_why(b)) for b in deferred), right=(2, 3, 4))
    rejected = p.with_outcome("rejected")
    if rejected:
        out += ["## Rejected", ""]
        out += table(("ID", "Title", "Requested", "Score", "Reasons"),
                      ((b.initiative.id, b.initiative.title, money(b.initiative.cost), trimmed_number(b.decision.score),
                        "; ".join(f"{r.code}: {r.message}" for r in b.decision.reasons
                                  if r.code not in b.decision.flags)) for b in rejected), right=(2, 3))
    if p.summary is not None:
        out += ["## Allocation breakdown", ""]
        for title, mapping in (("priority", p.summary.by_priority), ("department", p.summary.by_department),
                               ("kind", p.summary.by_kind)):
            out += [f"### By {title}", ""]
            out += table((title.capitalize(), f"Allocated ({cur})"),
                          ((k, money(v)) for k, v in mapping.items()), right=(1,))
    if p.quarters or p.kpi_progress:
        out += _outcomes(p)
    return "\n".join(out).rstrip("\n") + "\n"


def _criteria(p: Portfolio) -> list[str]:
    policy = p.policy
    out = ["## Criteria", "", "### Performance priorities", ""]
    out += table(("Priority", "KPI", "Baseline", "Target", "Weight", "Sponsor"),
                  ((f"{pr.name} (`{pr.id}`)", f"{pr.kpi.metric} ({pr.kpi.unit}, {pr.kpi.direction} is better)",
                    trimmed_number(pr.kpi.baseline), trimmed_number(pr.kpi.target), trimmed_number(pr.weight),
                    pr.sponsor or "-")
                   for pr in policy.priorities), right=(2, 3, 4))
    out += ["### Rubric", ""]
    out += table(("Criterion", "Scorer", "Weight", "What it rewards"),
                  ((c.id, c.scorer, trimmed_number(c.weight), c.description or "-") for c in policy.scoring.criteria),
                  right=(2,))
    out += ["### Approval rules (in order; a reject always wins)", ""]
    out += [f"{i}. **{r.id}**: {rule_in_words(r)}" for i, r in enumerate(policy.approval.rules, start=1)] + [""]
    a = policy.allocation
    if a is not None:
        out += ["### How the pool is split", ""]
        out += [f"- Pool of {money(a.pool, policy.currency)}, strategy `{a.strategy}`, ranked by {a.value} "
                f"per {policy.currency}; ties broken by {', '.join(a.tie_break)}."]
        for b in a.baselines:
            who = b.department or b.role or b.kind
            out.append(f"- Baseline `{b.id}`: at least {money(b.amount)} for {who}. {b.reason or ''}".rstrip())
        if a.reserve is not None:
            size = f"{trimmed_number(a.reserve.share * 100)}% of the pool" if a.reserve.share is not None \
                else money(a.reserve.amount)
            out.append(f"- Reserve: {size} for {', '.join(a.reserve.kinds)}"
                       f"{' and any initiative flagged pilot' if a.reserve.include_pilots else ''}. "
                       f"{a.reserve.reason or ''}".rstrip())
        if a.caps.per_initiative is not None:
            out.append(f"- At most {money(a.caps.per_initiative)} per initiative.")
        for k, v in {**a.caps.per_department, **a.caps.per_kind}.items():
            out.append(f"- At most {money(v)} for {k}.")
        out.append(f"- Partial funding {'allowed' if a.partial else 'not allowed'}"
                   + (f" down to {trimmed_number(a.min_viable_share * 100)}% of the request." if a.partial
                      and a.min_viable_share else "."))
        out.append("")
    return out


def _funding_why(bet: Bet) -> str:
    return bet.decision.funding.explanation if bet.decision.funding else ""


def _funded(p: Portfolio) -> list[str]:
    funded = p.funded
    out = ["## Funded bets", ""]
    if not funded:
        return out + ["No initiative was approved this cycle.", ""]
    out += table(("ID", "Title", "Kind", "Department", "Outcome", "Score", "EV", "Requested", "Allocated",
                   "Sign-off"),
                  ((b.initiative.id, b.initiative.title, b.initiative.kind, b.initiative.department,
                    b.decision.outcome.replace("_", " "), trimmed_number(b.decision.score),
                    trimmed_number(b.decision.expected_value),
                    money(b.initiative.cost), money(b.allocated), ", ".join(b.decision.required_approvers) or "-")
                   for b in funded), right=(5, 6, 7, 8))
    for b in funded:
        i, d = b.initiative, b.decision
        out += [f"### {i.id}: {i.title}", ""]
        out.append(f"- **Allocation**: {money(b.allocated)} of {money(i.cost)} requested"
                   + (f" ({_funding_why(b)})" if _funding_why(b) else ""))
        lifts = [_lift(p, pid, value) for pid, value in i.forecast.items()]
        out.append(f"- **Expected outcomes**: {'; '.join(lifts) or 'none forecast'}, probability "
                   f"{trimmed_number(i.probability)}, over {i.horizon} quarter(s); "
                   f"expected value {trimmed_number(d.expected_value)}")
        if i.objectives:
            out.append(f"- **Learning objectives**: {'; '.join(i.objectives)}")
        plan = ", ".join(x.replace("_", " ") for x in i.evaluation_plan) or "none"
        out.append(f"- **Measurement plan**: {plan}" + (f"; delivery: {i.delivery}" if i.delivery else ""))
        if d.required_approvers:
            out.append(f"- **Awaiting sign-off**: {', '.join(d.required_approvers)}")
        if d.flags:
            out.append(f"- **Flags**: {', '.join(d.flags)}")
        out += [f"- **Why**: {b.narrative}", ""]
    return out


def _lift(p: Portfolio, priority_id: str, value: Any) -> str:
    pr = p.policy.priority(priority_id)
    if pr is None:
        return f"{priority_id} +{trimmed_number(value)}"
    verb = "up" if pr.kpi.direction == "higher" else "down"
    return f"{pr.name} {verb} {trimmed_number(value)} {pr.kpi.unit}"


def _outcomes(p: Portfolio) -> list[str]:
    out = [f"## Outcomes to {p.period}", "", "### Forecast vs realised lift per quarter", "",
           "Due by then: the lift the milestones (or the ramp) expected by that quarter.", ""]
    out += table(("Quarter", "Priority", "Forecast lift", "Due by then", "Realised lift"),
                  ((q.period, q.priority, trimmed_number(q.forecast), trimmed_number(q.due, 4),
                    trimmed_number(q.realised)) for q in p.quarters),
                  right=(2, 3, 4))
    out += ["### KPI progress toward targets", "",
            "Baseline moved by the realised lift of each initiative's latest reading.", ""]
    out += table(("Priority", "Baseline", "Now (estimated)", "Target", "Share of gap closed"),
                  ((f"{k.name} ({k.unit})", trimmed_number(k.baseline), trimmed_number(k.current),
                    trimmed_number(k.target), f"{trimmed_number(k.share_of_gap * 100)}%") for k in p.kpi_progress),
                  right=(1, 2, 3, 4))
    return out
