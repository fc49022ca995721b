"""Plan versus actual (TDRp): outcome and programme lines, against hand-computed values."""

from __future__ import annotations

from decimal import Decimal as D

from bets_helpers import KPIS, POLICY, bet

from budgetpolicy.evidence.kpis import kpi_evidence, read_kpis
from budgetpolicy.evidence.tdrp import outcome_lines, programme_lines


def test_outcome_lines_run_the_observed_pace_on_to_the_year_end():
    lines = {o.priority: o for o in outcome_lines(kpi_evidence(POLICY, read_kpis(KPIS, POLICY), {}, {}, "2026-Q3"))}
    win, days = lines["win-rate"], lines["time-to-competence"]
    # win rate: 23.6 in Q3, observed 1.6 of a gap of 5 = 32%; year end 22 + 1.6 * 4 / 3 = 24.1333 -> 24.13
    assert (win.plan, win.actual, win.share_of_plan, win.forecast) == (D(27), D("23.6"), D("0.32"), D("24.13"))
    # time to competence (lower is better): 76 in Q3, 14 of 30; year end 90 - 14 * 4 / 3 = 71.33
    assert (days.plan, days.actual, days.share_of_plan, days.forecast) == (D(60), D(76), D("0.4666"), D("71.33"))


def test_without_actuals_there_is_a_plan_and_nothing_invented():
    (line, *_) = outcome_lines(kpi_evidence(POLICY, (), {}, {}, "2026-Q3"))
    assert (line.plan, line.actual, line.share_of_plan, line.forecast) == (D(27), None, None, None)


def test_programme_lines_per_kind():
    bets = [bet("A", "training", planned="1000", spent="600"), bet("B", "training", planned="3000", spent="900"),
            bet("C", "coaching", planned="2000", spent="0")]
    training, coaching = programme_lines(bets, "2026-Q2")
    # 1,500 of 4,000 spent by Q2 = 37.5%; at that pace 1,500 * 4 / 2 = 3,000 for the year
    assert (training.programme, training.planned, training.spent, training.share_of_plan, training.forecast) == \
        ("training", D(4000), D(1500), D("0.375"), D("3000.00"))
    assert (coaching.share_of_plan, coaching.forecast) == (D(0), D(0))
