"""Realisation per KPI and per initiative, hand-computed, both KPI directions."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from review_helpers import initiative, policy, reading

from budgetpolicy.review.realise import kpi_lifts, realise

POLICY = policy()


def realised(init, kpis):
    r = reading(init.id, "2026-Q1", kpis)
    lifts, problems = kpi_lifts(r, POLICY)
    assert problems == []
    return realise(init, r, lifts)


def test_higher_is_better_lift_given_directly():
    r = realised(initiative("I1", forecast={"win-rate": "2.0"}), {"win-rate": "1.5"})
    assert r.value == D("0.7500")
    assert [(k.priority, k.forecast, k.realised, k.ratio) for k in r.kpis] == [("win-rate", D("2.0"), D("1.5"),
                                                                                 D("0.7500"))]


def test_higher_is_better_raw_value_converted_against_baseline():
    # win_rate 23.5 against baseline 22: lift 1.5 of a forecast 2.0
    assert realised(initiative("I1", forecast={"win-rate": "2.0"}), {"win_rate": "23.5"}).value == D("0.7500")


def test_lower_is_better_raw_value_counts_a_decrease_as_lift():
    # days_to_competence 84 against baseline 90: 6 days faster of a forecast 12
    assert realised(initiative("I1", forecast={"ttc": "12"}), {"days_to_competence": "84"}).value == D("0.5000")


def test_lower_is_better_raw_value_getting_worse_is_negative():
    # 95 days against baseline 90: 5 days slower, -5/12 = -0.41666.. -> -0.4167
    assert realised(initiative("I1", forecast={"ttc": "12"}), {"days_to_competence": "95"}).value == D("-0.4167")


def test_lower_is_better_lift_given_sign_normalised():
    assert realised(initiative("I1", forecast={"ttc": "12"}), {"ttc": "9"}).value == D("0.7500")


def test_initiative_realisation_is_forecast_weighted_mean():
    # KPI ratios 1/2 = 0.5 (weight 2) and 6/6 = 1 (weight 6): (2*0.5 + 6*1) / 8 = 0.875
    r = realised(initiative("I1", forecast={"win-rate": "2", "ttc": "6"}), {"win-rate": "1", "ttc": "6"})
    assert [k.ratio for k in r.kpis] == [D("0.5000"), D("1.0000")]
    assert r.value == D("0.8750")
    assert (r.weighted, r.weight) == (D("7"), D("8"))


def test_unmeasured_kpi_is_left_out_of_the_mean():
    r = realised(initiative("I1", forecast={"win-rate": "2", "ttc": "6"}), {"ttc": "3"})
    assert r.value == D("0.5000")
    assert r.kpis[0].note == "not measured"
    # The unmeasured line still says what was due and where that comes from (the whole forecast here).
    assert [(k.priority, k.realised, k.ratio, k.expected, k.due) for k in r.kpis] == [
        ("win-rate", None, None, D("2"), "forecast"), ("ttc", D("3"), D("0.5000"), D("6"), "forecast")]


def test_zero_forecast_is_undefined_not_a_crash():
    r = realised(initiative("I1", forecast={"win-rate": "0", "ttc": "4"}), {"win-rate": "1", "ttc": "2"})
    assert r.kpis[0].ratio is None
    assert "zero forecast" in r.kpis[0].note
    assert r.value == D("0.5000")  # ttc only


def test_only_zero_forecasts_give_no_realisation():
    assert realised(initiative("I1", forecast={"win-rate": "0"}), {"win-rate": "1"}).value is None


def test_kpi_without_forecast_is_reported_not_counted():
    r = realised(initiative("I1", forecast={"win-rate": "2"}), {"win-rate": "2", "ttc": "5"})
    assert r.value == D("1.0000")
    assert (r.kpis[1].priority, r.kpis[1].note) == ("ttc", "no forecast for this KPI")


def test_unknown_kpi_key_is_an_error_with_a_suggestion():
    _, problems = kpi_lifts(reading("I1", "2026-Q1", {"win_rat": "23"}), POLICY)
    assert [p.code for p in problems] == ["BP704"]
    assert problems[0].hint == "did you mean 'win_rate'?"
    assert problems[0].location.field == "kpis.win_rat"


def test_same_kpi_as_lift_and_raw_value_is_an_error():
    _, problems = kpi_lifts(reading("I1", "2026-Q1", {"win-rate": "1", "win_rate": "23"}), POLICY)
    assert [p.code for p in problems] == ["BP704"]
    assert "given twice" in problems[0].message


@pytest.mark.parametrize("value,expected", [("27", D("2.5000")), ("22", D("0.0000"))])
def test_raw_value_at_target_and_at_baseline(value, expected):
    assert realised(initiative("I1", forecast={"win-rate": "2"}), {"win_rate": value}).value == expected


def test_weighted_term_is_free_of_division_residue():
    # A thirds ramp: 0.7 x 1/3 = 0.233333333333 due; 0.35 realised. The term is 0.7 x 0.35 / 0.233333333333
    # = 1.0500000000015..., rounded to 6 places: 1.05 (the ratio shown is 1.5000), never a 28-digit residue.
    from budgetpolicy.review.milestones import Due

    init = initiative("I1", forecast={"win-rate": "0.7"})
    r = reading(init.id, "2026-Q1", {"win-rate": "0.35"})
    lifts, _ = kpi_lifts(r, POLICY)
    done = realise(init, r, lifts, {"win-rate": Due(D("0.233333333333"), "linear 1/3")})
    assert (done.weighted, str(done.weighted), done.kpis[0].ratio, done.value) == (D("1.05"), "1.050000",
                                                                                  D("1.5000"), D("1.5000"))
    # Due in full: the term is the realised lift itself, exactly (multiplication before division).
    whole = realise(init, r, lifts, {"win-rate": Due(D("0.7"), "forecast")})
    assert str(whole.weighted) == "0.350000"
