"""The ranking, exactly as docs/allocation.md states it, where a shortcut could get it wrong.

Candidates are sorted on the float of their value per cost and each run of equal floats is sorted
again on the exact ratio; the tie-break keys apply in order; a pool or amounts past 63 bits switch
the columns from machine integers to Python ints. Each test fails if one of those steps is skipped.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from alloc_helpers import amounts, cand, pol
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.problem import prepare, rank_key
from budgetpolicy.errors import AllocationError

THIRD = D(1) / D(3)  # 0.3333333333333333333333333333 (28 digits)


def ranked_ids(cands, policy):
    return [it.id for it in prepare(cands, policy).ranked]


@pytest.mark.parametrize("many", [2, 3])
def test_ratios_equal_as_floats_but_not_exactly_are_ordered_exactly(many):
    """float(1/3) == float(1/3 + 1e-27), yet the second is worth more per unit: it ranks first,
    in a run of two equal floats and in a run of three."""
    cands = [cand("a-third", 3, 1), cand("b-more", 1, THIRD + D("1e-27"))][:2]
    if many == 3:
        cands.append(cand("c-less", 1, THIRD - D("1e-27")))
    assert float(cands[0].value / cands[0].cost) == float(cands[1].value / cands[1].cost)
    want = ["b-more", "a-third"] + (["c-less"] if many == 3 else [])
    assert ranked_ids(cands, pol(10)) == want
    items = prepare(cands, pol(10)).ranked
    assert sorted(items, key=rank_key(pol(10))) == list(items)


@pytest.mark.parametrize("keys, want", [
    (("score", "id"), ["hi-score", "cheap", "hi-value"]),
    (("expected_value", "id"), ["hi-value", "hi-score", "cheap"]),
    (("value", "id"), ["hi-value", "hi-score", "cheap"]),
    (("cost", "id"), ["cheap", "hi-score", "hi-value"]),
    (("id",), ["cheap", "hi-score", "hi-value"]),
    ((), ["cheap", "hi-score", "hi-value"]),
])
def test_each_tie_break_key_orders_equal_ratios(keys, want):
    """Three requests worth 2 per unit each; the keys decide, id last whether listed or not."""
    cands = [cand("hi-score", 20, 40, score="0.9"), cand("hi-value", 30, 60, score="0.1"),
             cand("cheap", 10, 20, score="0.5")]
    policy = pol(100, tie_break=keys)
    assert ranked_ids(cands, policy) == want
    items = prepare(cands, policy).ranked
    assert [it.id for it in sorted(reversed(items), key=rank_key(policy))] == want


def test_a_free_request_ranks_first_whatever_the_others_are_worth():
    cands = [cand("rich", 10, 1000), cand("free", 0, 0), cand("poor", 10, 1)]
    assert ranked_ids(cands, pol(10)) == ["free", "rich", "poor"]


def test_amounts_past_63_bits_are_allocated_exactly():
    """A pool of 10**20 units needs Python ints, not machine integers: every amount stays exact."""
    big = 10 ** 20
    cands = [cand("a", big // 2 + 7, 3), cand("b", big // 2, 2), cand("c", big, 1)]
    result = greedy_allocate(cands, pol(big))
    assert amounts(result) == {"a": D(big // 2 + 7), "b": D(big // 2 - 7), "c": D(0)}
    assert result.summary.allocated == D(big) and result.summary.leftover == 0
    assert prepare(cands, pol(big)).wide


def test_amounts_within_63_bits_use_machine_integers():
    assert not prepare([cand("a", 10, 1)], pol(100)).wide


def test_an_unknown_id_is_not_found_and_a_known_one_is():
    problem = prepare([cand("b", 1, 1), cand("a", 2, 1), cand("c", 3, 1)], pol(10))
    assert [problem.index_of(i) for i in ("a", "b", "c", "zz", "", 7)] == [1, 0, 2, -1, -1, -1]
    # Each ranked item knows its place in the input (best first: a, b, c by value per cost here).
    assert [(it.id, it.index) for it in problem.ranked] == [("b", 0), ("a", 1), ("c", 2)]


@pytest.mark.parametrize("pool, unit, key", [(0, 1, "allocation.pool"), (10, 0, "allocation.unit"),
                                             (-5, 1, "allocation.pool")])
def test_a_pool_or_unit_that_is_not_positive_is_refused_whole(pool, unit, key):
    with pytest.raises(AllocationError) as err:
        prepare([cand("a", 1, 1)], pol(pool, unit=unit))
    (d,) = err.value.diagnostics
    assert (d.code, d.location.key, d.message, d.hint) == (
        "BP621", key, f"allocation needs pool > 0 and unit > 0 (pool {pool}, unit {unit})",
        "validate the policy first (budgetpolicy validate)")
