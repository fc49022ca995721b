"""The [rollout] gate quarter by quarter (review.rollout.gate_quarter), in process: every verdict a rollout can get
(a new request, the plan's unfunded rollout, the plan's funded one; pilot passed or not) pinned whole, with what
it does to the review's positions, and which pilots are listed with and without a [rollout] section."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from budgetpolicy.model import Initiative, OutcomeReading, RolloutPolicy
from budgetpolicy.review.periods import parse_period
from budgetpolicy.review.realise import Realisation
from budgetpolicy.review.reallocate import Position, Release
from budgetpolicy.review.rollout import RolloutOutcome, gate_quarter, judge_pilot

Q2, Q3, Q4 = (parse_period(f"2026-Q{n}") for n in (2, 3, 4))
GATE = RolloutPolicy(min_realisation=D("0.75"), min_quarters=2)
PILOT = Initiative(id="P", title="pilot", kind="pilot", department="Eng", cost=D("10000"), headcount=4, pilot=True)
OTHER = Initiative(id="Q", title="other pilot", kind="pilot", department="Eng", cost=D("900"), headcount=3,
                   pilot=True)
# P measured 0.8 in Q2 and 0.9 in Q3: unmeasured by Q2 (one quarter), passed from Q3 on; Q passed too.
MEASURED = {"P": {Q2: Realisation("P", "2026-Q2", (), D("0.8")), Q3: Realisation("P", "2026-Q3", (), D("0.9"))},
            "Q": {Q2: Realisation("Q", "2026-Q2", (), D("2")), Q3: Realisation("Q", "2026-Q3", (), D("2"))}}
BASIS = "cost 5,000.00 = 10,000 / 4 participants of P x 2"


def _rollout(iid: str, cost: str = "7000") -> Initiative:
    return Initiative(id=iid, title=iid, kind="training", department="Eng", cost=D(cost), headcount=2,
                      rollout_of="P")


def _book() -> dict[str, Position]:
    def pos(i: Initiative, status: str, amount: str, spent: str = "0") -> Position:
        return Position(i, status, D(amount), D(amount), Q2, D("0.1"), D("0.5"), spent=D(spent))

    return {"P": pos(PILOT, "active", "10000"), "Q": pos(OTHER, "active", "900"),
            "R1": pos(_rollout("R1"), "requested", "0"), "R2": pos(_rollout("R2"), "unfunded", "0"),
            "R3": pos(_rollout("R3"), "active", "6000.005", spent="1500")}


def test_before_the_pilot_passes_a_request_is_refused_the_unfunded_waits_and_the_funded_gives_its_money_back():
    book = _book()
    step = gate_quarter(GATE, book, MEASURED, {}, {"R1"}, Q2)
    why = "pilot P unmeasured (measured in 1 quarter(s), the gate needs 2)"
    assert step.rollouts == (
        RolloutOutcome("R1", "P", "2026-Q2", "refused", D("5000.00"), f"refused: {why}; not funded"),
        RolloutOutcome("R2", "P", "2026-Q2", "waiting", D("5000.00"), f"waits: {why}"),
        RolloutOutcome("R3", "P", "2026-Q2", "refused", D("5000.00"),
                       f"refused: {why}; the plan's funding is released"))
    assert step.releases == (Release("R3", "2026-Q2", "rollout_gate", None, D("4500.00"), D(1), D("4500.00"),
                                     f"refused: {why}; the plan's funding is released"),)
    assert step.refused == frozenset({"R1"})
    assert {i: (book[i].status, book[i].allocation, book[i].released, book[i].initiative.cost)
            for i in ("R1", "R2", "R3")} == {
        "R1": ("requested", D(0), D(0), D(7000)), "R2": ("awaiting_pilot", D(0), D(0), D(7000)),
        "R3": ("awaiting_pilot", D("1500.005"), D("4500.00"), D(7000))}
    # Listed: the pilots that passed (none yet: Q too is measured in one quarter) or that a rollout names.
    assert [(g.pilot_id, g.status) for g in step.pilots] == [("P", "unmeasured")]


def test_once_the_pilot_passes_a_request_is_eligible_the_unfunded_is_ranked_at_its_scaled_cost_the_funded_keeps():
    book = _book()
    step = gate_quarter(GATE, book, MEASURED, {}, {"R1"}, Q3)
    passed = "pilot P passed the gate (latest realisation 0.9 >= 0.75, measured in 2 quarter(s), the gate needs 2)"
    assert step.rollouts == (
        RolloutOutcome("R1", "P", "2026-Q3", "eligible", D("5000.00"),
                       f"{passed}; {BASIS}; decided as a new request at that cost"),
        RolloutOutcome("R2", "P", "2026-Q3", "eligible", D("5000.00"),
                       f"{passed}; {BASIS}; ranked with the unfunded initiatives"),
        RolloutOutcome("R3", "P", "2026-Q3", "eligible", D("6000.005"),
                       f"{passed}; keeps the plan's funding of 6,000.005"))
    assert (step.releases, step.refused) == ((), frozenset())
    assert {i: (book[i].status, book[i].allocation, book[i].initiative.cost) for i in ("R1", "R2", "R3")} == {
        "R1": ("requested", D(0), D(7000)), "R2": ("unfunded", D(0), D("5000.00")),
        "R3": ("active", D("6000.005"), D(7000))}


def test_a_funded_rollout_whose_pilot_passed_before_is_not_looked_at_again():
    book = _book()
    step = gate_quarter(GATE, book, MEASURED, {}, set(), Q4)  # P passed in Q3: R3 keeps its money silently
    assert [o.initiative_id for o in step.rollouts] == ["R2"]
    assert (book["R3"].status, book["R3"].allocation) == ("active", D("6000.005"))


def test_a_rollout_at_its_own_cost_that_the_pilots_cost_does_not_change_keeps_its_initiative():
    book = _book()
    own = RolloutPolicy(min_realisation=D("0.75"), min_quarters=2, cost="own")
    before = book["R2"].initiative
    (r2,) = [o for o in gate_quarter(own, book, MEASURED, {}, set(), Q3).rollouts if o.initiative_id == "R2"]
    assert (r2.verdict, r2.cost) == ("eligible", D(7000))
    assert r2.reason.endswith("; its own cost 7,000 ([rollout] cost = \"own\"); ranked with the unfunded initiatives")
    assert book["R2"].initiative is before


@pytest.mark.parametrize(("settings", "listed"), [(None, ["P"]), (GATE, ["P", "Q"])])
def test_without_a_rollout_section_only_a_pilot_a_rollout_names_is_listed(settings, listed):
    step = gate_quarter(settings, _book(), MEASURED, {}, set(), Q3)
    assert [g.pilot_id for g in step.pilots] == listed
    without_rollouts = {i: p for i, p in _book().items() if i in ("P", "Q")}
    alone = gate_quarter(settings, without_rollouts, MEASURED, {}, set(), Q3)
    assert [g.pilot_id for g in alone.pilots] == ([] if settings is None else ["P", "Q"])


def test_the_learning_gain_is_not_read_when_the_gate_does_not_ask_for_it():
    readings = {Q3: OutcomeReading("P", "2026-Q3", pre_assessment=D(50), post_assessment=D(70))}
    plain = judge_pilot(PILOT, MEASURED["P"], readings, GATE, Q3)
    assert (plain.status, plain.learning_gain) == ("passed", None)
    assert "learning gain" not in plain.reason
    asked = judge_pilot(PILOT, MEASURED["P"], readings, RolloutPolicy(min_realisation=D("0.75"),
                                                                       min_learning_gain=D(10)), Q3)
    assert (asked.status, asked.learning_gain) == ("passed", D(20))
