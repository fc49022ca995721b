"""Each sunset criterion, its numbers and its rendered reason; sunsets release unspent money.

Sunset criteria judge bets in flight: a bet whose horizon has passed is completed (test_complete.py), so
the tests of in-flight criteria use a four-quarter B2 where its two-quarter horizon would end it first.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from review_helpers import decision, initiative, policy, reading

from budgetpolicy.model import ReallocationPolicy, SunsetCriterion
from budgetpolicy.review.quarterly import review
from budgetpolicy.review.sunset import render

LOW = SunsetCriterion("persistently-low", "realisation_below", D("0.4"), 2,
                      "Realised {realisations} of its forecast in {periods}, under {threshold}")
UNMEASURED = SunsetCriterion("unmeasured", "no_measurement", None, 2)
HORIZON = SunsetCriterion("horizon-over", "horizon_passed")

# Funded in full (cost = plan): a partly funded bet is judged on its funded share (test_milestones.py).
INITS = [initiative("A1", horizon=4), initiative("B2", horizon=2, cost="6000"),
         initiative("C3", horizon=4, cost="5000")]
LONG = [INITS[0], initiative("B2", horizon=4, cost="6000"), INITS[2]]
PLAN = [decision("A1", "10000"), decision("B2", "6000"), decision("C3", "5000")]


def run(outcomes, period, criteria=(LOW, UNMEASURED, HORIZON), realloc=None, inits=INITS, plan=PLAN):
    return review(policy(sunset=tuple(criteria), reallocation=realloc), inits, plan, outcomes, period)


def test_realisation_below_for_two_consecutive_quarters():
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.6"}), reading("A1", "2026-Q2", {"win-rate": "0.7"}),
                reading("C3", "2026-Q1", {"win-rate": "2"}), reading("C3", "2026-Q2", {"win-rate": "2"})]
    assert run(outcomes, "2026-Q1").sunsets == ()  # one quarter is not two
    (sunset,) = run(outcomes, "2026-Q2", criteria=(LOW,)).sunsets
    assert (sunset.initiative_id, sunset.period, sunset.criterion, sunset.kind) == \
        ("A1", "2026-Q2", "persistently-low", "realisation_below")
    assert sunset.reason == "Realised 0.3000, 0.3500 of its forecast in 2026-Q1..2026-Q2, under 0.4"
    assert sunset.detail == ("realisation 0.3000, 0.3500 in 2026-Q1..2026-Q2: below 0.4 for 2 consecutive "
                             "quarters")
    assert sunset.numbers["latest"] == D("0.3500")


@pytest.mark.parametrize("q2", [None, "0.8", "1.6"])
def test_a_gap_or_a_good_quarter_breaks_the_streak(q2):
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.6"}), reading("C3", "2026-Q2", {"win-rate": "2"}),
                reading("C3", "2026-Q1", {"win-rate": "2"})]
    if q2 is not None:  # 0.8 / 2 = 0.4 is not *below* 0.4
        outcomes.append(reading("A1", "2026-Q2", {"win-rate": q2}))
    assert [s.initiative_id for s in run(outcomes, "2026-Q2", criteria=(LOW,)).sunsets] == []


def test_no_measurement_for_two_quarters():
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "2"}), reading("C3", "2026-Q1", {"win-rate": "2"}),
                reading("C3", "2026-Q2", {"win-rate": "2"}), reading("C3", "2026-Q3", {"win-rate": "2"})]
    q2 = run(outcomes, "2026-Q2", criteria=(UNMEASURED,), inits=LONG)
    (b,) = q2.sunsets  # B2 never measured in Q1..Q2
    assert (b.initiative_id, b.numbers["last_measured"]) == ("B2", "never")
    assert b.reason == "no outcome reading in 2026-Q1..2026-Q2 (2 quarters); last reading never"
    q3 = run(outcomes, "2026-Q3", criteria=(UNMEASURED,), inits=LONG)
    assert [(s.initiative_id, s.period) for s in q3.history[-1].sunsets] == [("B2", "2026-Q2")]
    (a,) = q3.sunsets  # A1 read in Q1 only
    assert (a.initiative_id, a.numbers["periods"], a.numbers["last_measured"]) == \
        ("A1", "2026-Q2..2026-Q3", "2026-Q1")


def test_no_measurement_waits_for_the_start():
    late = [initiative("A1", start="2026-Q2"), initiative("C3")]
    outcomes = [reading("C3", "2026-Q1", {"win-rate": "2"}), reading("C3", "2026-Q2", {"win-rate": "2"})]
    plan = [decision("A1", "1000"), decision("C3", "1000")]
    assert run(outcomes, "2026-Q2", criteria=(UNMEASURED,), inits=late, plan=plan).sunsets == ()


def test_horizon_passed_never_sunsets_a_bet_it_completes_it():
    outcomes = [reading("B2", "2026-Q1", {"win-rate": "1"}), reading("B2", "2026-Q2", {"win-rate": "1.6"})]
    assert run(outcomes, "2026-Q1", criteria=(HORIZON,)).completions == ()  # horizon Q1..Q2 not over yet
    result = run(outcomes, "2026-Q2", criteria=(HORIZON,))
    assert result.sunsets == ()
    (c,) = result.completions
    assert (c.initiative_id, c.status, c.cause, c.criterion, c.latest) == \
        ("B2", "completed_below_target", "horizon", "horizon-over", D("0.8000"))
    # the criterion has no reason template: the built-in sentence is the reason
    assert c.reason == c.detail == ("horizon of 2 quarters (2026-Q1..2026-Q2) is over: the latest realisation "
                                    "0.8000 is below the target 1")


def test_first_matching_criterion_wins_and_sunset_releases_unspent():
    outcomes = [reading("B2", "2026-Q1", {"win-rate": "0.2"}, spend="1000"),
                reading("B2", "2026-Q2", {"win-rate": "0.4"}, spend="2500")]
    half = SunsetCriterion("under-half", "realisation_below", D("0.5"), 2)
    # release_below 0.05 so that Q1 (0.1) releases nothing and the sunset releases everything unspent
    result = run(outcomes, "2026-Q2", realloc=ReallocationPolicy(release_below=D("0.05")), inits=LONG[1:2],
                 plan=PLAN[1:2], criteria=(LOW, half, HORIZON))
    (s,) = result.sunsets  # LOW and under-half both hold for B2 in Q2; LOW comes first
    assert s.criterion == "persistently-low"
    (release,) = result.releases
    assert (release.cause, release.amount) == ("sunset", D("3500.00"))
    assert result.summary.returned_to_pool == D("3500.00")
    assert [(p.status, p.allocation) for p in result.positions] == [("sunset", D("2500.00"))]


def test_sunset_initiatives_are_not_checked_again():
    outcomes = [reading("B2", "2026-Q1", {"win-rate": "0.2"}), reading("B2", "2026-Q2", {"win-rate": "0.4"}),
                reading("B2", "2026-Q3", {"win-rate": "0.1"})]
    result = run(outcomes, "2026-Q3", inits=LONG[1:2], plan=PLAN[1:2])
    assert result.sunsets == () and result.completions == ()
    assert [len(q.sunsets) for q in result.history] == [0, 1]


def test_reason_templates_substitute_plain_names_only():
    numbers = {"threshold": D("0.4"), "quarters": 2}
    assert render("{threshold} for {quarters}, {unknown} {threshold.__class__} {0}", numbers) == \
        "0.4 for 2, {unknown} {threshold.__class__} {0}"
