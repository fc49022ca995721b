"""Greedy allocation, one hand-computed case per rule (pool, rounding, baselines, reserve, ranking, caps...)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from alloc_helpers import amounts, cand, pol, texts
from budgetpolicy.errors import AllocationError
from budgetpolicy.model import Baseline, Caps, Reserve
from budgetpolicy.allocation.problem import request_units
from budgetpolicy.allocation.allocate import allocate
from budgetpolicy.allocation.greedy import greedy_allocate

THREE = [cand("a", 100, 10), cand("b", 100, 5), cand("c", 100, 1)]


def test_pool_is_split_by_value_per_cost_and_the_last_one_is_partial():
    r = greedy_allocate(THREE, pol(250))
    assert amounts(r) == {"a": D(100), "b": D(100), "c": D(50)}
    assert texts(r) == {
        "a": "funded by rank 1 (EV 100 per 1,000)",
        "b": "funded by rank 2 (EV 50 per 1,000)",
        "c": "partially funded (50 of 100) because the pool ran out; funded by rank 3 (EV 10 per 1,000)",
    }
    assert [r.fundings[k].step for k in "abc"] == ["rank", "rank", "rank"]
    s = r.summary
    assert (s.pool, s.allocated, s.leftover, s.funded_count, s.unfunded_count) == (D(250), D(250), D(0), 3, 0)


def test_candidates_beyond_the_pool_are_unfunded_below_the_cut_off():
    r = greedy_allocate(THREE, pol(200))
    assert r.fundings["c"].amount == 0 and r.fundings["c"].step == "unfunded"
    assert r.fundings["c"].explanation == "unfunded: ranked below the cut-off at EV 10 per 1,000"
    assert r.summary.unfunded_count == 1


def test_rounding_down_to_the_unit_reports_leftover_cents():
    cands = [cand("a", "600.60", 6), cand("b", 500, 1)]
    r = greedy_allocate(cands, pol("1000.75"))  # unit 1
    assert amounts(r) == {"a": D(600), "b": D(400)}  # a's 600.60 rounds down to 600
    assert r.summary.allocated == D(1000) and r.summary.leftover == D("0.75")
    r = greedy_allocate(cands, pol("1000.75", unit="0.01"))
    assert amounts(r) == {"a": D("600.60"), "b": D("400.15")}
    assert r.summary.leftover == 0


def test_half_even_rounds_requests_to_the_nearest_unit():
    assert request_units(D("600.50"), D(1), "half_even") == 600
    assert request_units(D("601.50"), D(1), "half_even") == 602
    assert request_units(D("601.99"), D(1), "down") == 601
    r = greedy_allocate([cand("a", "601.50", 6)], pol(1000, rounding="half_even"))
    assert amounts(r) == {"a": D(602)}


BASELINE_CANDS = [cand("s1", 100, 1), cand("s2", 100, 2), cand("e1", 200, 20, department="Eng")]


def test_baseline_is_funded_first_to_its_group_by_rank():
    without = greedy_allocate(BASELINE_CANDS, pol(300))
    assert amounts(without) == {"s1": D(0), "s2": D(100), "e1": D(200)}
    policy = pol(300, baselines=(Baseline("sales-core", D(150), department="Sales"),))
    r = greedy_allocate(BASELINE_CANDS, policy)
    assert amounts(r) == {"s1": D(50), "s2": D(100), "e1": D(150)}
    assert r.fundings["s2"].step == "baseline:sales-core"
    assert r.fundings["s2"].explanation == "funded in baseline sales-core"
    assert r.fundings["s1"].explanation == ("partially funded (50 of 100) because the pool ran out; "
                                            "funded in baseline sales-core")
    assert r.summary.baselines == {"sales-core": D(150)}
    assert r.sources["s1"] == {"baseline:sales-core": D(50)}


def test_baseline_matches_role_and_kind_too():
    cands = [cand("m", 100, 1, role="manager"), cand("x", 100, 9, kind="coaching")]
    policy = pol(100, baselines=(Baseline("managers", D(60), role="manager"),))
    assert amounts(greedy_allocate(cands, policy)) == {"m": D(60), "x": D(40)}
    policy = pol(100, baselines=(Baseline("coach", D(60), kind="coaching"),))
    assert amounts(greedy_allocate(cands, policy)) == {"m": D(0), "x": D(100)}


def test_all_or_nothing_baseline_overshoots_from_the_general_pool():
    cands = [cand("s1", 60, 2), cand("s2", 60, 1), cand("e", 100, 50, department="Eng")]
    policy = pol(200, partial=False, baselines=(Baseline("sales", D(100), department="Sales"),))
    r = greedy_allocate(cands, policy)
    # s1 60 (baseline), s2 60 = 40 baseline + 20 general; e cannot get its full 100 from the 80 left.
    assert amounts(r) == {"s1": D(60), "s2": D(60), "e": D(0)}
    assert r.sources["s2"] == {"baseline:sales": D(40), "rank": D(20)}
    assert r.summary.baselines == {"sales": D(100)}


RESERVE_CANDS = [cand("st", 150, 1, kind="stretch"), cand("pi", 100, "0.5", pilot=True),
                 cand("t1", 900, 90)]


def test_reserve_funds_only_its_kinds_and_pilots():
    r = greedy_allocate(RESERVE_CANDS, pol(1000, reserve=Reserve(share=D("0.2"))))
    assert amounts(r) == {"st": D(150), "pi": D(50), "t1": D(800)}
    assert r.fundings["st"].step == "reserve"
    assert r.fundings["st"].explanation == "funded from the reserve"
    assert r.fundings["pi"].explanation == ("partially funded (50 of 100) because the pool ran out; "
                                            "funded from the reserve")
    s = r.summary
    assert (s.reserve_amount, s.reserve_used, s.reserve_released) == (D(200), D(200), D(0))


def test_unused_reserve_is_released_to_the_ranking():
    r = greedy_allocate(RESERVE_CANDS, pol(1000, reserve=Reserve(share=D("0.5"))))
    assert amounts(r) == {"st": D(150), "pi": D(100), "t1": D(750)}
    assert (r.summary.reserve_used, r.summary.reserve_released, r.summary.leftover) == (D(250), D(250), D(0))


def test_unused_reserve_is_kept_when_not_released():
    r = greedy_allocate(RESERVE_CANDS, pol(1000, reserve=Reserve(share=D("0.5"), release_unused=False)))
    assert amounts(r) == {"st": D(150), "pi": D(100), "t1": D(500)}
    assert (r.summary.reserve_released, r.summary.leftover) == (D(0), D(250))


def test_pilots_are_excluded_when_include_pilots_is_off():
    r = greedy_allocate(RESERVE_CANDS, pol(1000, reserve=Reserve(amount=D(200), include_pilots=False,
                                                                  release_unused=False)))
    assert r.sources["pi"] == {}  # nothing from the reserve; the general 800 all went to t1
    assert amounts(r) == {"st": D(150), "pi": D(0), "t1": D(800)}
    assert r.summary.reserve_used == D(150) and r.summary.leftover == D(50)


TIED = [cand("a", 100, 10, score="0.5"), cand("c", 100, 10, score="0.9"), cand("b", 100, 10, score="0.9")]


def test_ties_break_by_score_then_id_by_default():
    r = greedy_allocate(TIED, pol(150))
    assert {k: f.rank for k, f in r.fundings.items()} == {"b": 1, "c": 2, "a": 3}
    assert amounts(r) == {"a": D(0), "b": D(100), "c": D(50)}


def test_tie_break_keys_come_from_the_policy():
    r = greedy_allocate(TIED, pol(150, tie_break=("id",)))
    assert amounts(r) == {"a": D(100), "b": D(50), "c": D(0)}
    cheap = [cand("x", 200, 20), cand("y", 100, 10)]  # same ratio: cost ascending puts y first
    assert greedy_allocate(cheap, pol(100, tie_break=("cost",))).fundings["y"].rank == 1
    assert greedy_allocate(cheap, pol(100, tie_break=("expected_value",))).fundings["x"].rank == 1


def test_per_initiative_cap():
    r = greedy_allocate([cand("a", 100, 10)], pol(500, caps=Caps(per_initiative=D(60))))
    assert amounts(r) == {"a": D(60)}
    assert r.fundings["a"].explanation == "capped by per-initiative cap (60): 60 of 100; funded by rank 1 (EV 100 per 1,000)"


def test_department_cap():
    cands = [cand("s1", 100, 10), cand("s2", 100, 9), cand("s3", 100, 8), cand("e", 100, 1, department="Eng")]
    r = greedy_allocate(cands, pol(500, caps=Caps(per_department={"Sales": D(120)})))
    assert amounts(r) == {"s1": D(100), "s2": D(20), "s3": D(0), "e": D(100)}
    assert r.fundings["s2"].explanation == ("capped by department cap Sales (120): 20 of 100; "
                                            "funded by rank 2 (EV 90 per 1,000)")
    assert r.fundings["s3"].explanation == "unfunded: department cap Sales (120) reached; a larger pool would not fund it"
    assert r.summary.by_department == {"Eng": D(100), "Sales": D(120)}


def test_a_short_cap_binds_over_a_short_pool():
    # When s2's turn comes the pool has 10 left and the Sales cap 30 (of 120): both are below s2's
    # minimum (50), but only the cap stops it however large the pool, so the cap is what is named.
    cands = [cand("s1", 90, 10), cand("o", 100, 9, department="Ops"), cand("s2", 100, 8)]
    r = greedy_allocate(cands, pol(200, caps=Caps(per_department={"Sales": D(120)}), min_viable_share=D("0.5")))
    assert amounts(r) == {"s1": D(90), "o": D(100), "s2": D(0)}
    assert r.fundings["s2"].explanation == ("unfunded: department cap Sales (120) binds: 90 used, 30 left, below "
                                            "minimum viable funding 50; a larger pool would not fund it")
    # Where only the pool is short, the pool is named (a larger pool would fund it).
    r = greedy_allocate(cands, pol(200, caps=Caps(per_department={"Sales": D(200)}), min_viable_share=D("0.5")))
    assert r.fundings["s2"].explanation == "unfunded: only 10 left in the pool, below minimum viable funding 50"


def test_kind_cap():
    cands = [cand("c1", 100, 10, kind="conference"), cand("c2", 100, 9, kind="conference")]
    r = greedy_allocate(cands, pol(500, caps=Caps(per_kind={"conference": D(150)})))
    assert amounts(r) == {"c1": D(100), "c2": D(50)}
    assert r.fundings["c2"].explanation.startswith("capped by kind cap conference (150): 50 of 100")
    assert r.summary.by_kind == {"conference": D(150)}


def test_minimum_viable_amount():
    cands = [cand("a", 100, 10), cand("b", 100, 9), cand("c", 30, 1)]
    r = greedy_allocate(cands, pol(140, min_viable=50))
    # b would get 40 < 50, so it gets nothing; c (30, asked less than 50) is funded in full.
    assert amounts(r) == {"a": D(100), "b": D(0), "c": D(30)}
    assert r.fundings["b"].explanation == "unfunded: only 40 left in the pool, below minimum viable funding 50"


def test_minimum_viable_share():
    cands = [cand("a", 100, 10), cand("b", 100, 9), cand("c", 60, 1)]
    r = greedy_allocate(cands, pol(140, min_viable_share="0.5"))
    assert amounts(r) == {"a": D(100), "b": D(0), "c": D(40)}  # b needs 50; c needs 30 and gets 40
    assert r.fundings["b"].explanation == "unfunded: only 40 left in the pool, below minimum viable funding 50"


def test_all_or_nothing_when_partial_is_off():
    cands = [cand("a", 100, 10), cand("b", 100, 9), cand("c", 50, 1)]
    r = greedy_allocate(cands, pol(150, partial=False))
    assert amounts(r) == {"a": D(100), "b": D(0), "c": D(50)}
    assert r.fundings["b"].explanation == ("unfunded: only 50 left in the pool, all-or-nothing needs 100 "
                                           "(partial funding is off)")


def test_zero_cost_candidates_rank_first_and_are_funded_at_zero():
    r = greedy_allocate([cand("a", 100, 10), cand("z", 0, 1)], pol(100))
    z = r.fundings["z"]
    assert (z.amount, z.step, z.rank, z.explanation) == (D(0), "rank", 1, "funded by rank 1 (EV free): nothing requested")
    assert r.summary.funded_count == 2


def test_summary_splits_each_funding_across_priorities_to_the_cent():
    cands = [cand("a", 100, 10, priorities=("p1", "p2", "p3")), cand("b", 50, 1, priorities=("p2",)),
             cand("c", 10, 0)]
    r = greedy_allocate(cands, pol(160))
    assert r.summary.by_priority == {"(no priority)": D(10), "p1": D("33.34"), "p2": D("83.33"), "p3": D("33.33")}
    assert sum(r.summary.by_priority.values()) == r.summary.allocated == D(160)


def test_scores_as_value_say_score_per_cost():
    r = greedy_allocate([cand("a", 100, 10)], pol(100, value="score"))
    assert r.fundings["a"].explanation == "funded by rank 1 (score 100 per 1,000)"


def test_bad_candidates_raise():
    with pytest.raises(AllocationError) as err:
        greedy_allocate([cand("a", -1, 1)], pol(100))
    assert err.value.diagnostics[0].code == "BP623"
    with pytest.raises(AllocationError) as err:
        greedy_allocate([cand("a", 1, 1), cand("a", 2, 1)], pol(100))
    assert err.value.diagnostics[0].code == "BP622"


def test_unknown_strategy_at_run_time_lists_the_registered_ones():
    with pytest.raises(AllocationError) as err:
        allocate(THREE, pol(100, strategy="gredy"))
    d = err.value.diagnostics[0]
    assert (d.code, d.location.key) == ("BP605", "allocation.strategy")
    assert "greedy" in d.hint and "optimal" in d.hint


def test_allocate_runs_the_named_strategy():
    assert allocate(THREE, pol(250)).strategy == "greedy"
    assert allocate(THREE, pol(250, strategy="optimal")).strategy == "optimal"


def test_a_baseline_funded_ahead_of_better_ranked_bets_is_named_as_the_limit():
    # e1 ranks first (0.1 per unit) but the Sales floor (150) is funded first, from s2 and s1 ranked below it:
    # the floor, not the ranking, is why e1 gets 150 of 200.
    r = greedy_allocate(BASELINE_CANDS, pol(300, baselines=(Baseline("sales-core", D(150), department="Sales"),)))
    assert r.fundings["e1"].explanation == (
        "partially funded (150 of 200) because the pool ran out after baseline sales-core (150) funded "
        "lower-ranked initiatives first; funded by rank 1 (EV 100 per 1,000)")
    # All or nothing: e needs 100 and only 80 is left after the floor took 100 for s1 and s2.
    cands = [cand("s1", 60, 2), cand("s2", 60, 1), cand("e", 100, 50, department="Eng")]
    r = greedy_allocate(cands, pol(200, partial=False, baselines=(Baseline("sales", D(100), department="Sales"),)))
    assert r.fundings["e"].explanation == (
        "unfunded: only 80 left in the pool after baseline sales (100) funded lower-ranked initiatives first, "
        "all-or-nothing needs 100 (partial funding is off)")
    # Without the floor the same bets read as before: the pool and the ranking.
    plain = greedy_allocate(cands, pol(150, partial=False))
    assert plain.fundings["s2"].explanation == ("unfunded: only 50 left in the pool, all-or-nothing needs 60 "
                                                "(partial funding is off)")


def test_a_request_of_exactly_one_unit_is_funded_by_its_baseline():
    """The baseline pass skips only requests that round to nothing; one unit is a request."""
    cands = [cand("tiny", 1, 0), cand("big", 100, 50, department="Eng")]
    r = greedy_allocate(cands, pol(100, baselines=(Baseline("sales-core", D(1), department="Sales"),)))
    assert amounts(r) == {"tiny": D(1), "big": D(99)}
    assert r.fundings["tiny"].step == "baseline:sales-core" and r.summary.baselines == {"sales-core": D(1)}


def test_a_pool_exactly_the_size_of_the_request_funds_it_whole_with_no_limit_named():
    r = greedy_allocate([cand("a", 10, 5)], pol(10))
    assert r.fundings["a"].amount == 10 and r.fundings["a"].explanation == "funded by rank 1 (EV 500 per 1,000)"
    assert r.summary.leftover == 0
