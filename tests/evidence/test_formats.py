"""Effectiveness by format: grouping by kind and delivery method, and each column's formula."""

from __future__ import annotations

from decimal import Decimal as D

from bets_helpers import INITIATIVES, OUTCOMES, POLICY_FILE, bet

from budgetpolicy.commands.report import gather
from budgetpolicy.evidence.formats import bets_from_review, by_format


def test_rows_group_by_kind_and_by_delivery_with_means_over_the_bets_that_have_a_value():
    bets = [bet("A", "training", "workshop", planned="1000", spent="600", headcount=10, realisation="1.2",
                completion="0.8", pre="50", post="70"),
            bet("B", "training", "e-learning", planned="3000", spent="900", headcount=20, realisation="0.5",
                completion="0.5"),
            bet("C", "coaching", None, planned="2000", spent="2000", headcount=4)]
    coaching, training = by_format(bets, "kind")  # most spent first: 2,000 before 1,500
    assert (training.group, training.count, training.planned, training.spent, training.participants) == \
        ("training", 2, D(4000), D(1500), D(30))
    # completion (0.8 + 0.5) / 2, gain (70 - 50) over the one bet with both, realisation (1.2 + 0.5) / 2
    assert (training.completion, training.completion_n, training.gain, training.gain_n) == (D("0.65"), 2, D(20), 1)
    assert (training.realisation, training.realisation_n, training.hours) == (D("0.85"), 2, None)
    assert training.spend_per_participant == D("50.00")  # 1500 / 30
    assert (coaching.completion, coaching.gain, coaching.realisation) == (None, None, None)  # none read: no zeros
    assert (coaching.group, coaching.spent) == ("coaching", D(2000))
    assert [r.group for r in by_format(bets, "delivery")] == ["unspecified", "e-learning", "workshop"]


def test_the_bundled_review_by_kind():
    _, initiatives, review, outcomes = gather(POLICY_FILE, INITIATIVES, outcomes_spec=OUTCOMES, period="2026-Q2")
    bets = bets_from_review(initiatives, review, outcomes)
    rows = {r.group: r for r in by_format(bets, "kind")}
    cert = rows["certification"]
    # INI-005 (planned 0, given 17,500 by a Q2 reallocation, nothing spent; Q2 completion 0.25, realisation 2.4)
    # and INI-036 (planned 7,000, spent 3,500; Q2 completion 0.52, assessment 47 -> 58, realisation 2.0).
    assert (cert.count, cert.planned, cert.spent, cert.participants) == (2, D(7000), D(3500), D(50))
    assert (cert.completion, cert.gain, cert.realisation) == (D("0.385"), D(11), D("2.2"))
    assert cert.spend_per_participant == D("70.00")
    assert sum(r.count for r in rows.values()) == len(bets)
    assert all(b.planned > 0 or b.allocation > 0 or b.spent > 0 for b in bets)


def test_read_participants_and_hours_count_and_the_hours_column_appears_only_when_read():
    from budgetpolicy.report.evidencesections import format_table

    with_hours = [bet("A", headcount=10, participants=8, hours="120"), bet("B", headcount=5)]
    (row,) = by_format(with_hours, "kind")
    assert (row.participants, row.hours) == (D(13), D(120))  # 8 read + 5 planned; hours of the one read
    assert "Hours" in format_table([row], "Kind").table.headers
    (plain,) = by_format([bet("B", headcount=5)], "kind")
    assert plain.hours is None and "Hours" not in format_table([plain], "Kind").table.headers
