"""The Markdown report states exactly the evaluation's numbers."""

from __future__ import annotations

from decimal import Decimal

from report_helpers import AT, INITIATIVES, POLICY, build_portfolio

from budgetpolicy.report.markdown import render_markdown


def _section(text: str, heading: str) -> list[list[str]]:
    """The rows of the first table under ``heading`` (header and separator skipped)."""
    start = text.index(heading + "\n")
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split(" | ")])
        elif rows:
            break
    return rows[2:]


def _dec(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_totals_equal_the_allocation_summary(reviewed):
    evaluation, facts = reviewed
    text = render_markdown(facts)
    totals = {row[0]: row[1] for row in _section(text, "## Totals")}
    s = evaluation.allocation.summary
    assert _dec(totals["Pool"]) == s.pool == Decimal(480000)
    assert _dec(totals["Allocated"]) == s.allocated
    assert _dec(totals["Left in the pool"]) == s.leftover == s.pool - s.allocated
    assert _dec(totals["Reserve"]) == s.reserve_amount == Decimal(48000)
    assert int(totals["Initiatives"]) == len(evaluation.decisions) == 44
    for outcome in ("approved", "pending_approval", "deferred", "rejected"):
        label = outcome.replace("_", " ").capitalize()
        assert int(totals[label]) == sum(1 for d in evaluation.decisions if d.outcome == outcome)
    funded_ev = sum(d.expected_value for d in evaluation.decisions
                    if d.outcome in ("approved", "pending_approval") and d.allocation > 0)
    assert _dec(totals["Expected value of funded bets"]) == funded_ev


def test_every_funded_bet_shows_its_decision(reviewed):
    evaluation, facts = reviewed
    text = render_markdown(facts)
    rows = _section(text, "## Funded bets")
    expected = {d.initiative_id: d for d in evaluation.decisions if d.outcome in ("approved", "pending_approval")}
    assert sorted(r[0] for r in rows) == sorted(expected)
    for row in rows:
        d = expected[row[0]]
        assert (_dec(row[5]), _dec(row[6]), _dec(row[8])) == (d.score, d.expected_value, d.allocation)
        assert row[9] == (", ".join(d.required_approvers) or "-")
        assert f"- **Why**: {evaluation.explanation(d.initiative_id).narrative}" in text
    assert sum(_dec(r[8]) for r in rows) == evaluation.allocation.summary.allocated


def test_rejected_and_deferred_list_their_reasons(reviewed):
    evaluation, facts = reviewed
    text = render_markdown(facts)
    rejected = {r[0]: r for r in _section(text, "## Rejected")}
    assert sorted(rejected) == sorted(d.initiative_id for d in evaluation.decisions if d.outcome == "rejected")
    for d in evaluation.decisions:
        if d.outcome == "rejected":
            for reason in d.reasons:
                if reason.code not in d.flags:
                    assert f"{reason.code}: {reason.message}" in rejected[d.initiative_id][4]
    deferred = [r[0] for r in _section(text, "## Deferred (approved, not funded this cycle)")]
    assert sorted(deferred) == sorted(d.initiative_id for d in evaluation.decisions if d.outcome == "deferred")


def test_breakdowns_equal_the_summary(reviewed):
    evaluation, facts = reviewed
    text = render_markdown(facts)
    s = evaluation.allocation.summary
    for heading, mapping in (("### By priority", s.by_priority), ("### By department", s.by_department),
                             ("### By kind", s.by_kind)):
        assert {r[0]: _dec(r[1]) for r in _section(text, heading)} == dict(mapping)


def test_criteria_state_the_policy_in_words(reviewed):
    text = render_markdown(reviewed[1])
    assert "| Sales win rate (`win-rate`) | win_rate (%, higher is better) | 22 | 27 | 0.3 | Chief Revenue Officer |" \
        in text
    assert "7. **vp-over-25k**: require sign-off by **vp** when `cost > 25000`: Over 25,000 needs VP sign-off" in text
    assert "- Baseline `sales-core`: at least 60,000 for Sales." in text


def test_outcome_sections_sum_the_realised_lifts(reviewed):
    text = render_markdown(reviewed[1])
    rows = _section(text, "### Forecast vs realised lift per quarter")
    assert {r[0] for r in rows} == {"2026-Q1", "2026-Q2"}  # reviewed up to 2026-Q2 only
    win_q1 = [r for r in rows if r[:2] == ["2026-Q1", "win-rate"]][0]
    # policies/acme-2026.outcomes.csv, 2026-Q1, kpi.win-rate of INI-001/002/003/004/008:
    # forecasts 2.0 + 1.5 + 0.8 + 0.6 + 0.7 = 5.6; realised 1.2 + 0.45 + 0.9 + 0.6 + 0.35 = 3.5;
    # due by Q1: INI-001's milestone 1.0, then linear 1/3, 1/2, 1/2, 1/3 of the others:
    # 1.0 + 0.5 + 0.4 + 0.3 + 0.2333 = 2.4333 (shown to 4 places).
    assert (_dec(win_q1[2]), _dec(win_q1[3]), _dec(win_q1[4])) == (Decimal("5.6"), Decimal("2.4333"), Decimal("3.5"))
    progress = {r[0]: r for r in _section(text, "### KPI progress toward targets")}
    assert set(progress) == {"Sales win rate (%)", "Onboarding time to competence (days)",
                             "Customer satisfaction (points)", "Escaped defect rate (defects)"}


def test_without_outcomes_there_is_no_outcome_section():
    _, facts = build_portfolio(POLICY, INITIATIVES, evaluated_at=AT)
    text = render_markdown(facts)
    assert "## Outcomes" not in text and "## Funded bets" in text
    assert text == render_markdown(build_portfolio(POLICY, INITIATIVES, evaluated_at=AT)[1])  # deterministic
