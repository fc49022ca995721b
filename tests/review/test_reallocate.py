"""Releases and redistribution through ``review``: hand-computed amounts, money conserved to the cent."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from review_helpers import alloc, decision, initiative, policy, reading

from budgetpolicy.model import Caps, ReallocationPolicy
from budgetpolicy.review.quarterly import review

REALLOC = ReallocationPolicy(release_below=D("0.5"), release_share=D("1"), scale_above=D("1.0"),
                             scale_max_share=D("0.5"))
# A under-performs (0.6 of 2 = 0.3), B is proven (2.4 of 2 = 1.2); C and D wait unfunded.
INITIATIVES = [initiative("A1", cost="10000"), initiative("B2", cost="8000"),
               initiative("C3", cost="7000"), initiative("D4", cost="3000")]
PLAN = [decision("A1", "10000"), decision("B2", "8000"),
        decision("C3", "0", outcome="deferred", ev="0.07"),      # 0.07 / 7000 = 0.00001 per dollar
        decision("D4", None, outcome="deferred", ev="0.06")]     # 0.06 / 3000 = 0.00002 per dollar: first
OUTCOMES = [reading("A1", "2026-Q1", {"win-rate": "0.6"}, spend="4000"),
            reading("B2", "2026-Q1", {"win-rate": "2.4"}, spend="3000")]


def run(realloc=REALLOC, allocation=None, outcomes=OUTCOMES, plan=PLAN, initiatives=INITIATIVES):
    return review(policy(reallocation=realloc, allocation=allocation or alloc(min_viable_share=D("0.5"))),
                  initiatives, plan, outcomes, "2026-Q1")


def test_release_then_next_ranked_then_scale_up():
    result = run()
    (release,) = result.releases
    assert (release.initiative_id, release.cause, release.realisation, release.unspent, release.amount) == \
        ("A1", "below_threshold", D("0.3000"), D("6000"), D("6000.00"))
    # D4 ranks first and gets its cost 3000; C3 would get 3000 < its minimum viable 3500 and is skipped;
    # B2 is proven and may grow by 0.5 x 8000 = 4000; it gets the 3000 left.
    assert [(m.initiative_id, m.kind, m.amount, m.allocation_before, m.allocation_after)
            for m in result.reallocations] == [("D4", "next_ranked", D("3000"), D("0"), D("3000")),
                                               ("B2", "scale_up", D("3000"), D("8000"), D("11000"))]
    (scale,) = result.scale_ups
    assert (scale.initiative_id, scale.realisation, scale.headroom, scale.granted) == \
        ("B2", D("1.2000"), D("4000.0"), D("3000"))
    assert (result.summary.released, result.summary.redistributed, result.summary.returned_to_pool) == \
        (D("6000.00"), D("6000"), D("0"))
    positions = {p.initiative_id: (p.status, p.allocation) for p in result.positions}
    assert positions == {"A1": ("active", D("4000.00")), "B2": ("active", D("11000")),
                         "C3": ("unfunded", D("0")), "D4": ("active", D("3000"))}


def test_caps_limit_scale_up_and_the_rest_returns_to_the_pool():
    result = run(allocation=alloc(min_viable_share=D("0.5"), caps=Caps(per_initiative=D("10000"))))
    assert [(m.initiative_id, m.amount) for m in result.reallocations] == [("D4", D("3000")), ("B2", D("2000"))]
    assert result.summary.returned_to_pool == D("1000.00")
    assert result.summary.released == result.summary.redistributed + result.summary.returned_to_pool


def test_department_cap_counts_everything_already_allocated_there():
    # Sales already holds 4000 (A1 after release) + 8000 (B2) = 12000; cap 14000 leaves 2000 room:
    # D4 gets 2000 of its 3000 (partial, above its minimum viable 1500); then the department is full
    result = run(allocation=alloc(min_viable_share=D("0.5"), caps=Caps(per_department={"Sales": D("14000")})))
    assert [(m.initiative_id, m.amount) for m in result.reallocations] == [("D4", D("2000"))]
    assert result.summary.returned_to_pool == D("4000.00")


def test_no_partial_funding_skips_what_cannot_be_funded_in_full():
    small = [reading("A1", "2026-Q1", {"win-rate": "0.6"}, spend="8000"),
             reading("B2", "2026-Q1", {"win-rate": "2"}, spend="3000")]
    # 2000 released: D4 needs 3000 in full, C3 7000: neither; B2 (1.0 >= 1.0) takes 2000
    result = run(allocation=alloc(partial=False), outcomes=small)
    assert [(m.initiative_id, m.kind, m.amount) for m in result.reallocations] == [("B2", "scale_up", D("2000"))]


@pytest.mark.parametrize("planned, released, returned", [
    ("3333.33", "1666.66", "0.66"),  # 0.5 x 3333.33 = 1666.665 -> 1666.66
    # 0.5 x 3333.35 = 1666.675: half-even would give 1666.68 (more than the share); down gives .67
    ("3333.35", "1666.67", "0.67"),
])
def test_release_share_rounds_down_to_the_cent_and_unit_rounds_grants_down(planned, released, returned):
    plan = [decision("A1", planned), decision("B2", "8000")]
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.2"}), reading("B2", "2026-Q1", {"win-rate": "3"})]
    result = run(realloc=ReallocationPolicy(release_below=D("0.5"), release_share=D("0.5")), plan=plan,
                 outcomes=outcomes, initiatives=INITIATIVES[:2])
    # B2 takes whole units: 1666; the cents return to the pool
    assert result.releases[0].amount == D(released)
    assert [(m.initiative_id, m.amount) for m in result.reallocations] == [("B2", D("1666"))]
    assert result.summary.returned_to_pool == D(returned)


def test_finished_initiative_releases_its_unspent_funds():
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "2"}, spend="7000", finished=True)]
    result = run(outcomes=outcomes, plan=PLAN[:1] + [decision("B2", None, outcome="rejected")])
    (release,) = result.releases
    assert (release.cause, release.amount) == ("finished", D("3000.00"))
    assert release.reason == "completed: its unspent funds are released"
    assert {p.initiative_id: p.status for p in result.positions}["A1"] == "completed"  # 2/2: at the target
    assert result.summary.returned_to_pool == D("3000.00")  # nobody waiting: C3, D4 not in the plan


def test_finished_unspent_kept_when_the_policy_says_so():
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "2"}, spend="7000", finished=True)]
    keep = ReallocationPolicy(release_finished_unspent=False)
    assert run(realloc=keep, outcomes=outcomes).releases == ()


def test_without_reallocation_section_nothing_moves():
    result = review(policy(), INITIATIVES, PLAN, OUTCOMES, "2026-Q1")
    assert (result.releases, result.reallocations, result.scale_ups) == ((), (), ())
    assert result.summary.released == D("0")


def test_spend_over_allocation_has_nothing_to_release():
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.1"}, spend="12000")]
    assert run(outcomes=outcomes).releases == ()


def test_release_reason_names_the_numbers():
    release = run().releases[0]
    assert release.reason == "realisation 0.3000 is below release_below 0.5: 100% of its unspent funds are released"
