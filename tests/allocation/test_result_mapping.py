"""An allocation result's per-candidate maps (``fundings``, ``sources``) behave as read-only mappings.

They are built lazily from columns, so membership, iteration, equality and hashing are each written
by hand; a plugin or a report that treats them as a dict must get a dict's answers.
"""

from __future__ import annotations

from decimal import Decimal as D

from alloc_helpers import cand, pol, texts
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.model import Baseline, FrozenMap, Reserve

CANDS = [cand("b-second", 100, 4), cand("a-first", 100, 5), cand("c-unfunded", 100, 1)]


def result():
    return greedy_allocate(CANDS, pol(200))


def test_membership_holds_for_every_candidate_the_best_ranked_included():
    f = result().fundings
    assert [k in f for k in ("a-first", "b-second", "c-unfunded", "zz", "")] == [True, True, True, False, False]
    assert len(f) == 3


def test_iteration_follows_the_input_order_and_values_match_keys():
    f = result().fundings
    assert list(f) == list(f.keys()) == ["b-second", "a-first", "c-unfunded"]
    assert [v.amount for v in f.values()] == [D(100), D(100), D(0)]
    assert [(k, v.amount) for k, v in f.items()] == list(zip(f.keys(), [D(100), D(100), D(0)]))


def test_equality_and_hash_are_a_dicts_and_a_frozen_maps():
    f = result().fundings
    same = {k: v for k, v in f.items()}
    assert f == same and not (f != same)
    changed = dict(same, **{"c-unfunded": same["a-first"]})
    assert f != changed and not (f == changed)
    assert f == result().fundings
    assert hash(f) == hash(FrozenMap(same)) == hash(result().fundings)


def test_a_baseline_whose_id_holds_a_colon_is_named_whole():
    r = greedy_allocate([cand("a", 100, 5), cand("b", 100, 4, department="HR")],
                        pol(300, baselines=(Baseline("hr:core", D(50), department="HR"),)))
    assert texts(r) == {"a": "funded by rank 1 (EV 50 per 1,000)", "b": "funded in baseline hr:core"}
    assert r.fundings["b"].step == "baseline:hr:core"


def test_a_candidate_paid_only_by_the_reserve_counts_as_funded():
    cands = [cand("s1", 100, 50, kind="stretch", department="Eng"), cand("t", 100, 1)]
    r = greedy_allocate(cands, pol(100, reserve=Reserve(amount=D(100), kinds=("stretch",), include_pilots=False,
                                                         release_unused=False)))
    assert texts(r)["s1"] == "funded from the reserve"
    assert (r.summary.funded_count, r.summary.unfunded_count) == (1, 1)
    assert r.sources["s1"] == {"reserve": D(100)} and r.sources["t"] == {}
