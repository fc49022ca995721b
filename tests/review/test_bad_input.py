"""Bad input to the review: every problem reported at once, with a code, a location and a hint."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from attrs import evolve
from review_helpers import PRIORITIES, decision, initiative, policy, reading

from budgetpolicy.errors import ReviewError
from budgetpolicy.review.quarterly import review

INITS = [initiative("INI-001"), initiative("INI-002", start="2026-Q2")]
PLAN = [decision("INI-001", "1000"), decision("INI-002", "1000")]
GOOD = reading("INI-001", "2026-Q1", {"win-rate": "1"})


def codes(outcomes, period="2026-Q2", inits=INITS, plan=PLAN, pol=None):
    with pytest.raises(ReviewError) as exc:
        review(pol or policy(), inits, plan, outcomes, period)
    return exc.value


def test_outcome_for_unknown_initiative():
    err = codes([GOOD, reading("INI-01", "2026-Q1")])
    (d,) = err.diagnostics
    assert (d.code, d.location.file, d.location.field, d.hint) == \
        ("BP703", "outcomes.csv", "initiative_id", "did you mean 'INI-001'?")
    assert "outcome for unknown initiative 'INI-01'" in str(err)


@pytest.mark.parametrize("period", ["2026Q1", "2026-Q5", "Q1", "2026-q1", ""])
def test_malformed_reading_period(period):
    (d,) = codes([GOOD, reading("INI-001", period)]).diagnostics
    assert (d.code, d.location.field) == ("BP701", "period")


def test_malformed_review_period():
    (d,) = codes([GOOD], period="2026-06").diagnostics
    assert (d.code, d.location.key, d.hint) == ("BP701", "period", "write quarters as YYYY-Qn, e.g. 2026-Q2")


def test_malformed_initiative_start():
    (d,) = codes([GOOD], inits=[initiative("INI-001", start="Jan 2026"), INITS[1]]).diagnostics
    assert (d.code, d.location.field) == ("BP701", "start")


def test_duplicate_readings():
    err = codes([GOOD, reading("INI-001", "2026-Q1", {"win-rate": "2"})])
    (d,) = err.diagnostics
    assert d.code == "BP702"
    assert "duplicate reading for 'INI-001' in 2026-Q1" in d.message


def test_reading_before_the_start_is_out_of_order():
    (d,) = codes([GOOD, reading("INI-002", "2026-Q1")]).diagnostics
    assert d.code == "BP707"
    assert "before its start 2026-Q2" in d.message


def test_spend_falling_means_readings_out_of_order():
    outcomes = [reading("INI-001", "2026-Q2", spend="500"), reading("INI-001", "2026-Q1", spend="800")]
    (d,) = codes(outcomes).diagnostics
    assert (d.code, d.location.field) == ("BP706", "spend_to_date")
    assert (d.message, d.hint) == ("spend to date of 'INI-001' falls from 800 in 2026-Q1 to 500 in 2026-Q2",
                                   "spend to date is cumulative: check the periods are in the right quarters")


def test_readings_in_any_file_order_are_fine():
    outcomes = [reading("INI-001", "2026-Q2", spend="800"), reading("INI-001", "2026-Q1", spend="500")]
    result = review(policy(), INITS, PLAN, outcomes, "2026-Q2")
    assert [q.period for q in result.history] == ["2026-Q1"]
    assert result.positions[0].spent == D("800")


def test_unknown_kpi():
    (d,) = codes([reading("INI-001", "2026-Q1", {"winrate": "1"})]).diagnostics
    assert (d.code, d.location.field) == ("BP704", "kpis.winrate")


def test_missing_baseline_for_a_raw_value():
    no_baseline = (evolve(PRIORITIES[0], kpi=evolve(PRIORITIES[0].kpi, baseline=None)),)
    (d,) = codes([reading("INI-001", "2026-Q1", {"win_rate": "25"})], pol=policy(priorities=no_baseline)).diagnostics
    assert d.code == "BP708"
    assert "has no baseline" in d.message


def test_zero_forecast_is_documented_handling_not_an_error():
    inits = [initiative("INI-001", forecast={"win-rate": "0"})]
    result = review(policy(), inits, PLAN[:1], [GOOD], "2026-Q1")
    (r,) = result.realisations
    assert r.value is None
    assert r.kpis[0].note == "zero forecast: realisation undefined"


def test_no_reading_up_to_the_period():
    (d,) = codes([reading("INI-001", "2026-Q3")], period="2026-Q2").diagnostics
    assert (d.code, d.location.key, d.message, d.hint) == (
        "BP705", "period", "no outcome reading at or before 2026-Q2", "choose a later --period or add readings for it")


def test_plan_for_unknown_initiative_or_twice():
    err = codes([GOOD], plan=PLAN + [decision("INI-003", "5"), decision("INI-001", "5")])
    assert [d.code for d in err.diagnostics] == ["BP709", "BP709"]


def test_every_problem_at_once_one_line_each():
    err = codes([reading("NOPE", "2026-Q1"), reading("INI-001", "2026-13"), GOOD, GOOD])
    assert [d.code for d in err.diagnostics] == ["BP703", "BP701", "BP702"]
    assert len(str(err).splitlines()) == 3
    assert str(err).splitlines()[0].startswith("outcomes.csv: row ")


def test_each_input_problem_is_pinned_whole_with_its_place_and_fix():
    """Message, file, row, field and hint of BP702, BP707 and BP701 (an initiative's start)."""
    again = reading("INI-001", "2026-Q1", {"win-rate": "2"})
    (d,) = codes([GOOD, again]).diagnostics
    assert (d.code, d.location.file, d.location.row, d.location.field, d.message, d.hint) == (
        "BP702", "outcomes.csv", again.location.row, "period",
        f"duplicate reading for 'INI-001' in 2026-Q1 (first at outcomes.csv: row {GOOD.location.row})",
        "keep one reading per initiative and quarter")
    early = reading("INI-002", "2026-Q1")
    (d,) = codes([GOOD, early]).diagnostics
    assert (d.code, d.location.file, d.location.row, d.location.field, d.message, d.hint) == (
        "BP707", "outcomes.csv", early.location.row, "period",
        "reading for 'INI-002' in 2026-Q1 is before its start 2026-Q2", "fix the period or the initiative's start")
    (d,) = codes([GOOD], inits=[initiative("INI-001", start="Jan 2026"), INITS[1]]).diagnostics
    assert (d.code, d.location.file, d.location.row, d.location.field, d.message, d.hint) == (
        "BP701", "initiatives.csv", 1, "start", "start 'Jan 2026' of 'INI-001' is not a quarter",
        "write YYYY-Qn, e.g. 2026-Q1")
