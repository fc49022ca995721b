"""Details of a review a reader relies on: what a review from files reports of the reserve, the ratings and
forecasts it passes to the next cycle, a plan's sunset decision, KPI columns after a duplicate, the milestone due
when a bet finishes early, and the redistribution's rounding and wording (review.quarterly, review.milestones,
review.realise, review.reallocate)."""

from __future__ import annotations

from decimal import Decimal as D

from attrs import evolve
from review_helpers import alloc, decision, initiative, policy, reading

from budgetpolicy.model import CalibrationPolicy, ReallocationPolicy
from budgetpolicy.review.calibrate import normalise_ratings
from budgetpolicy.review.milestones import due_lifts
from budgetpolicy.review.periods import parse_period
from budgetpolicy.review.quarterly import review
from budgetpolicy.review.realise import Realisation, kpi_lifts
from budgetpolicy.review.reallocate import Position, Purse, redistribute

REALLOC = ReallocationPolicy(release_below=D("0.5"), release_share=D("1"), scale_above=D("1.0"),
                             scale_max_share=D("0.5"))
Q1, Q2, Q3 = (parse_period(f"2026-Q{n}") for n in (1, 2, 3))


def test_a_review_from_files_reports_no_reserve_use_and_a_plans_sunset_decision_stays_sunset():
    initiatives = [initiative("A1"), initiative("B2"), initiative("C3")]
    plan = [decision("A1", "10000"), decision("B2", None, outcome="sunset"), decision("C3", None, outcome="rejected")]
    result = review(policy(reallocation=REALLOC), initiatives, plan, [reading("A1", "2026-Q1", {"win-rate": "2"})],
                    "2026-Q1")
    assert result.summary.reserve_used is None and result.history == ()
    assert [(h.initiative_id, h.status) for h in result.positions] == [
        ("A1", "active"), ("B2", "sunset"), ("C3", "ineligible")]


def test_the_review_passes_normalised_ratings_and_calibrated_forecasts_by_group_to_the_next_cycle():
    ratings = {"Sales": ("4", "2"), "Eng": ("5", "3")}
    initiatives = [initiative(f"{g[0]}{n}", department=g, ratings={"impact": D(r)}, forecast={"win-rate": "2"})
                   for g, rs in ratings.items() for n, r in enumerate(rs, start=1)]
    plan = [decision(i.id, "10000") for i in initiatives]
    outcomes = [reading(i.id, "2026-Q1", {"win-rate": "1" if i.department == "Sales" else "2"}) for i in initiatives]
    settings = CalibrationPolicy(group_by="department", shrinkage=D("0"), normalise_ratings="zscore")
    result = review(policy(calibration=settings), initiatives, plan, outcomes, "2026-Q1")
    assert result.ratings == normalise_ratings(initiatives, "department", "zscore") != ()
    # Sales delivered half its forecasts (factor 0.5); Eng all of them (factor 1: not listed).
    assert [(f.initiative_id, f.group, f.factor, dict(f.raw), dict(f.calibrated)) for f in result.forecasts] == [
        ("S1", "Sales", D("0.5000"), {"win-rate": D(2)}, {"win-rate": D("1.00000")}),
        ("S2", "Sales", D("0.5000"), {"win-rate": D(2)}, {"win-rate": D("1.00000")})]


def test_a_kpi_given_twice_is_reported_and_the_columns_after_it_still_count():
    r = reading("A1", "2026-Q1", {"win-rate": "1", "win_rate": "25", "ttc": "5"})
    lifts, problems = kpi_lifts(r, policy())
    assert lifts == {"win-rate": D(1), "ttc": D(5)}
    assert [(p.code, p.message) for p in problems] == [
        ("BP704", "KPI for priority 'win-rate' is given twice (as a lift and as a raw value)")]


def test_a_bet_finished_early_is_held_to_the_milestone_due_by_its_last_quarter_not_later():
    bet = initiative("A1", horizon=2, forecast={"win-rate": "4"},
                     milestones={"2026-Q2": {"win-rate": "1"}, "2026-Q3": {"win-rate": "3"}})
    due = due_lifts(bet, Q1, Q1, D(10000), None, finished=True)
    assert (due["win-rate"].expected, due["win-rate"].basis) == (D(1), "milestone 2026-Q2")
    whole = evolve(bet, milestones={"2026-Q2": {"win-rate": 2}})  # a whole number from a hand-built initiative
    (expected,) = (d.expected for d in due_lifts(whole, Q2, Q1, D(10000), None).values())
    assert type(expected) is D and expected == 2


def _proven(iid: str, planned: str, scaled: str = "0") -> tuple[Position, dict[str, Realisation]]:
    pos = Position(initiative(iid, cost=planned), "active", D(planned), D(planned), Q1, D("0.1"), D("0.5"),
                   scaled=D(scaled))
    return pos, {iid: Realisation(iid, "2026-Q1", (), D("1.5"))}


def test_scale_up_headroom_rounds_down_to_the_cent_and_none_left_grants_zero():
    pos, proven = _proven("A1", "10000.07")  # 0.5 x 10000.07 = 5000.035: 5000.03, never 5000.04
    moves, (up,), returned = redistribute(D(9000), [pos], proven, REALLOC, None, Q1, "2026-Q1")
    assert (up.headroom, up.granted, moves[0].amount, returned) == (D("5000.03"), D("5000.03"), D("5000.03"),
                                                                    D("3999.97"))
    assert "may grow by up to 5000.03 more (0.5 x planned 10000.07)" in up.reason
    full, proven = _proven("B2", "8000", scaled="4000")
    moves, (none,), returned = redistribute(D(9000), [full], proven, REALLOC, None, Q1, "2026-Q1")
    assert (moves, str(none.headroom), str(none.granted), returned) == ([], "0.00", "0", D(9000))


def test_without_an_allocation_section_the_waiting_line_is_funded_from_the_first_cent():
    waiting = Position(initiative("C3", cost="5000"), "unfunded", D(0), D(0), Q1, D("0.1"), D("0.5"))
    moves, _, returned = redistribute(D("1200.50"), [waiting], {}, REALLOC, None, Q1, "2026-Q1")
    assert [(m.initiative_id, m.kind, m.amount) for m in moves] == [("C3", "next_ranked", D("1200.50"))]
    assert (returned, waiting.status, waiting.start) == (D(0), "active", Q2)


def test_a_request_names_the_mid_year_reserve_and_released_money_it_was_funded_from():
    request = Position(initiative("R1", cost="5000"), "requested", D(0), D(0), Q2, D("0.5"), D("0.5"))
    purse = Purse(D(3000), reserve=D(1500))
    (move,), _, returned = redistribute(D(3000), [request], {}, None, alloc(), Q1, "2026-Q1",
                                        requests=[request], purse=purse)
    assert move.reason == ("new request (rank 1 by expected value per cost: 0.5 for 5000) funded 4500 of 5000 "
                           "from the mid-year reserve and released money")
    assert (move.amount, move.from_reserve, returned, purse.reserve, purse.reserve_used) == (
        D(4500), D(1500), D(0), D(0), D(1500))
