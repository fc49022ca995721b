"""Review edges that surviving mutants showed unpinned (issue #18, item 7; docs/reliability.md)."""

from __future__ import annotations

from decimal import Decimal as D

from attrs import evolve
from review_helpers import alloc, decision, initiative, policy, reading

from budgetpolicy.model import CalibrationPolicy, ReallocationPolicy
from budgetpolicy.review.calibrate import calibrate, group_of
from budgetpolicy.review.quarterly import review

REALLOC = ReallocationPolicy(release_below=D("0.5"), release_share=D("1"), scale_above=D("1.0"),
                             scale_max_share=D("0.5"))


def test_a_one_dollar_bet_is_funded_by_the_release_not_rounded_away():
    # A1 releases 6000; D4 costs exactly 1 and ranks first: it gets its 1 (not 0), B2 scales by the rest.
    initiatives = [initiative("A1", cost="10000"), initiative("B2", cost="20000"), initiative("D4", cost="1")]
    plan = [decision("A1", "10000"), decision("B2", "20000"), decision("D4", None, outcome="deferred", ev="0.06")]
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.6"}, spend="4000"),
                reading("B2", "2026-Q1", {"win-rate": "2.4"}, spend="3000")]
    result = review(policy(reallocation=REALLOC, allocation=alloc(min_viable_share=D("0.5"))), initiatives, plan,
                    outcomes, "2026-Q1")
    assert [(m.initiative_id, m.kind, m.amount) for m in result.reallocations] == [
        ("D4", "next_ranked", D("1")), ("B2", "scale_up", D("5999.00"))]


def test_the_group_is_a_custom_attribute_when_the_name_is_not_a_plain_field():
    # 'location' and 'attributes' are Initiative slots that are not groups: a custom attribute of that name is.
    a = evolve(initiative("I1"), attributes={"location": "Paris", "attributes": "odd"})
    assert group_of(a, "location") == "Paris" and group_of(a, "attributes") == "odd"
    assert group_of(initiative("I2"), "location") is None and group_of(initiative("I2"), "department") == "Sales"
    assert group_of(evolve(initiative("I3"), attributes={"team": 7}), "team") == "7"


def _one_group(shrunk_to: str, **bounds):
    a = initiative("S1", forecast={"win-rate": "2"})
    r = reading("S1", "2026-Q1", {"win-rate": shrunk_to})
    from budgetpolicy.review.realise import kpi_lifts, realise

    realised = realise(a, r, kpi_lifts(r, policy())[0])
    (group,) = calibrate([realised], {"S1": a}, CalibrationPolicy(shrinkage=D("0"), **bounds), "2026-Q1")
    return group


def test_a_factor_exactly_at_a_bound_is_not_reported_as_bounded():
    at_min = _one_group("1", min_factor=D("0.5"), max_factor=D("2"))   # raw 0.5 == min
    assert (at_min.factor, at_min.bounded) == (D("0.5000"), "")
    at_max = _one_group("3", min_factor=D("0.5"), max_factor=D("1.5"))  # raw 1.5 == max
    assert (at_max.factor, at_max.bounded) == (D("1.5000"), "")
    below = _one_group("0.8", min_factor=D("0.5"), max_factor=D("2"))   # raw 0.4 < min
    assert (below.factor, below.bounded) == (D("0.5"), "min")


def test_every_move_scale_up_release_and_holding_is_pinned_whole():
    from test_reallocate import REALLOC as SCENARIO, run

    from budgetpolicy.review.reallocate import Reallocation, Release, ScaleUp

    for prefix in ("Q1 review", ""):
        result = run(realloc=evolve(SCENARIO, reason=prefix))
        lead = f"{prefix}: " if prefix else ""
        grow = "proven: realisation 1.2000 >= scale_above 1.0; may grow by up to 4000.00 more (0.5 x planned 8000)"
        assert result.reallocations == (
            Reallocation("D4", "2026-Q1", "next_ranked", D(3000), D(0), D(3000),
                         f"{lead}next-ranked unfunded initiative (rank 1 by expected value per cost: 0.06 for 3000):"
                         " funded 3000 of 3000"),
            Reallocation("B2", "2026-Q1", "scale_up", D(3000), D(8000), D(11000), lead + grow))
        assert result.scale_ups == (ScaleUp("B2", "2026-Q1", D("1.2000"), D(11000), D("4000.00"), D(3000), grow),)
        assert result.releases == (Release(
            "A1", "2026-Q1", "below_threshold", D("0.3000"), D(6000), D(1), D("6000.00"),
            f"{lead}realisation 0.3000 is below release_below 0.5: 100% of its unspent funds are released"),)
        holdings = {h.initiative_id: (h.status, h.planned, h.allocation, h.spent, h.released, h.received)
                    for h in result.positions}
        assert holdings == {"A1": ("active", D(10000), D("4000.00"), D(4000), D("6000.00"), D(0)),
                            "B2": ("active", D(8000), D(11000), D(3000), D(0), D(3000)),
                            "C3": ("unfunded", D(0), D(0), D(0), D(0), D(0)),
                            "D4": ("active", D(0), D(3000), D(0), D(0), D(3000))}


def test_a_kind_cap_counts_only_that_kinds_allocations():
    from test_reallocate import run

    from budgetpolicy.model import Caps

    # All four are training: A1 4000 + B2 8000 already hold 12000 of the 13000 cap; D4 and C3 would get
    # 1000, under their minimum viable share; B2 scales by the 1000 left; 5000 returns to the pool.
    same = run(allocation=alloc(min_viable_share=D("0.5"), caps=Caps(per_kind={"training": D(13000)})))
    assert [(m.initiative_id, m.amount) for m in same.reallocations] == [("B2", D(1000))]
    assert same.summary.returned_to_pool == D("5000.00")
    # C3 and D4 coach: the coaching cap of 2500 counts only them (D4 gets 2500, C3 nothing), the
    # training cap of 12500 only A1 and B2 (B2 gets 500).
    mixed = [initiative("A1", cost="10000"), initiative("B2", cost="8000"),
             initiative("C3", cost="7000", kind="coaching"), initiative("D4", cost="3000", kind="coaching")]
    result = run(initiatives=mixed, allocation=alloc(min_viable_share=D("0.5"), caps=Caps(
        per_kind={"coaching": D(2500), "training": D(12500)})))
    assert [(m.initiative_id, m.amount) for m in result.reallocations] == [("D4", D(2500)), ("B2", D(500))]
    assert result.summary.returned_to_pool == D("3000.00")


def test_sunsets_and_completions_are_pinned_whole_with_their_numbers():
    from test_sunset import HORIZON, LOW, UNMEASURED, run as run_sunset

    from budgetpolicy.model import SunsetCriterion
    from budgetpolicy.review.complete import Completion
    from budgetpolicy.review.sunset import Sunset

    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.6"}), reading("A1", "2026-Q2", {"win-rate": "0.7"}),
                reading("C3", "2026-Q1", {"win-rate": "2"}), reading("C3", "2026-Q2", {"win-rate": "2"})]
    result = run_sunset(outcomes, "2026-Q2", criteria=(LOW, UNMEASURED, HORIZON))
    assert result.sunsets == (Sunset(
        "A1", "2026-Q2", "persistently-low", "realisation_below",
        "Realised 0.3000, 0.3500 of its forecast in 2026-Q1..2026-Q2, under 0.4",
        "realisation 0.3000, 0.3500 in 2026-Q1..2026-Q2: below 0.4 for 2 consecutive quarters",
        {"threshold": D("0.4"), "quarters": 2, "periods": "2026-Q1..2026-Q2", "latest": D("0.3500"),
         "realisations": "0.3000, 0.3500", "initiative": "A1", "period": "2026-Q2"}),)
    never = ("horizon of 2 quarters (2026-Q1..2026-Q2) is over: the latest realisation none (never measured) "
             "is below the target 1")
    assert result.completions == (Completion(
        "B2", "2026-Q2", "completed_below_target", "horizon", None, D(1), never, never, "horizon-over",
        {"latest": "none (never measured)", "target": D(1), "verdict": "below", "horizon": 2, "start": "2026-Q1",
         "end": "2026-Q2", "initiative": "B2", "period": "2026-Q2"}),)

    once = SunsetCriterion("low-once", "realisation_below", D("0.4"), 1,
                           "In {periods} {initiative} ({period}) realised {latest}")
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "2"}), reading("A1", "2026-Q2", {"win-rate": "0.6"}),
                reading("B2", "2026-Q1", {"win-rate": "1"}), reading("B2", "2026-Q2", {"win-rate": "2.2"}),
                reading("C3", "2026-Q1", {"win-rate": "2"})]
    result = run_sunset(outcomes, "2026-Q2", criteria=(once, HORIZON))
    assert result.sunsets == (Sunset(
        "A1", "2026-Q2", "low-once", "realisation_below", "In 2026-Q2 A1 (2026-Q2) realised 0.3000",
        "realisation 0.3000 in 2026-Q2: below 0.4 for 1 consecutive quarters",
        {"threshold": D("0.4"), "quarters": 1, "periods": "2026-Q2", "latest": D("0.3000"),
         "realisations": "0.3000", "initiative": "A1", "period": "2026-Q2"}),)
    met = ("horizon of 2 quarters (2026-Q1..2026-Q2) is over: the latest realisation 1.1000 is at or above "
           "the target 1")
    assert result.completions == (Completion(
        "B2", "2026-Q2", "completed", "horizon", D("1.1000"), D(1), met, met, "",
        {"latest": D("1.1000"), "target": D(1), "verdict": "at or above", "horizon": 2, "start": "2026-Q1",
         "end": "2026-Q2", "initiative": "B2", "period": "2026-Q2"}),)


def test_a_request_the_policy_rejects_names_its_first_three_reasons_in_order():
    """The request line in the quarter's record stays one readable line: three reasons at most."""
    from attrs import evolve as _evolve

    from budgetpolicy.model import Reason
    from budgetpolicy.review.quarterly import _request_outcomes
    from review_helpers import decision as _decision, initiative as _initiative

    reasons = tuple(Reason(f"R{i}", f"reason {i}") for i in range(1, 5))
    arrived = [(_initiative("NEW9"), _evolve(_decision("NEW9", None, outcome="rejected"), reasons=reasons))]
    (nine,) = _request_outcomes(arrived, (), "2026-Q2", {})
    assert nine.reason == "rejected by the policy: reason 1; reason 2; reason 3"
    assert (nine.initiative_id, nine.period, nine.outcome, nine.funded) == ("NEW9", "2026-Q2", "rejected", 0)


def test_request_lines_say_what_each_request_was_given_in_id_order():
    """Funded from a request move (not a scale-up of the same id), or not funded, with its numbers."""
    from decimal import Decimal as _D

    from budgetpolicy.review.quarterly import _request_outcomes
    from budgetpolicy.review.reallocate import Reallocation
    from review_helpers import decision as _decision, initiative as _initiative

    arrived = [(_initiative("REQ2", cost="5000"), _decision("REQ2", None, outcome="approved", ev="0.3")),
               (_initiative("REQ1", cost="8000"), _decision("REQ1", None, outcome="approved", ev="0.2"))]
    moves = (Reallocation("REQ1", "2026-Q2", "request", _D("6000"), _D(0), _D("6000"), "request"),
             Reallocation("REQ2", "2026-Q2", "scale_up", _D("100"), _D(0), _D("100"), "not a request"))
    lines = _request_outcomes(arrived, moves, "2026-Q2", {})
    assert [(o.initiative_id, o.funded, o.expected_value, o.reason) for o in lines] == [
        ("REQ1", _D("6000"), _D("0.2"), "funded 6000 of 8000"),
        ("REQ2", 0, _D("0.3"), "not funded: no released money or reserve left for at least its minimum viable "
                               "funding")]
