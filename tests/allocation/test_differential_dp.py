"""The optimal strategy against a dynamic-programming oracle on random instances of 8-30 candidates.

``test_differential.py`` enumerates every allocation of up to five candidates; that is too few for the
solver's shortcuts to matter (rounding the LP answer and topping it up, reduced-cost fixing, fixing by
exchange within a group of candidates in the same rows). Here the instances are large enough that
those steps run and decide most candidates, and small enough for an exact oracle: a knapsack dynamic
program over whole units of the pool, with exact fractions, keeping per capacity the best pair
(value, rank weight) compared in that order, which is the documented rule: the most value, and among
equal optima the most of sum (n - k) x_k over the candidates in rank order k (value per cost, then
the ``tie_break``, then id). Each
candidate is funded nothing, or between its least viable amount and its cap (its whole request when
all-or-nothing). Written from docs/allocation.md, not from the allocator's code.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal as D
from fractions import Fraction

import pytest

from alloc_helpers import cand, pol
from test_differential import weights
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.model import Caps

SEEDS = range(40)


def instance(seed):
    rng = random.Random(seed)
    n = rng.randrange(8, 31)
    # Few distinct ratios, so many candidates tie on value per cost and the tie-break decides.
    ratios = [rng.randrange(1, 6) for _ in range(rng.randrange(2, 6))]
    cands = []
    for i in range(n):
        cost = rng.randrange(1, 13)
        cands.append(cand(f"c{i:02d}", cost, cost * rng.choice(ratios) + rng.choice([0, 0, 0, 1]),
                          score=D(rng.randrange(0, 5)) / 4))
    kw = {"partial": rng.random() < 0.6, "tie_break": ("score", "id")}
    if kw["partial"] and rng.random() < 0.6:
        kw["min_viable_share"] = rng.choice(["0.25", "0.5", "0.75"])
    if rng.random() < 0.4:
        kw["caps"] = Caps(per_initiative=D(rng.randrange(3, 10)))
    total = sum(int(c.cost) for c in cands)
    return cands, pol(rng.randrange(total // 4, total * 3 // 4 + 1), **kw)


def choices(c, policy):
    """The whole-unit amounts a candidate may get: 0, or least..most (only most when all-or-nothing)."""
    most = int(c.cost)
    if policy.caps.per_initiative is not None:
        most = min(most, int(policy.caps.per_initiative))
    if not policy.partial:
        return [0, most]
    least = max(math.ceil(policy.min_viable_share * c.cost), 1)
    return [0] + list(range(min(least, most), most + 1))


def worth(cands, x):
    """(value, rank weight) of an allocation: what the optimum maximises, in that order."""
    weight = weights(cands)
    return (sum((Fraction(int(c.value), int(c.cost)) * v for c, v in zip(cands, x)), Fraction(0)),
            sum(weight[i] * v for i, v in enumerate(x)))


def oracle(cands, policy):
    """Units per candidate of the best allocation: most value, then most rank weight."""
    weight = weights(cands)
    pool = int(policy.pool)
    # best[u] = ((value, weight), units) over the candidates seen so far, using at most u units of pool
    best = [((Fraction(0), 0), ())] * (pool + 1)
    for i, c in enumerate(cands):
        ratio = Fraction(int(c.value), int(c.cost))
        nxt = []
        for u in range(pool + 1):
            options = []
            for v in choices(c, policy):
                if v <= u:
                    (val, w), units = best[u - v]
                    options.append(((val + ratio * v, w + weight[i] * v), units + (v,)))
            nxt.append(max(options, key=lambda o: o[0]))
        best = nxt
    return best[pool][1]


@pytest.mark.parametrize("seed", SEEDS)
def test_optimal_equals_the_dynamic_programming_optimum_on_larger_instances(seed):
    cands, policy = instance(seed)
    want = oracle(cands, policy)
    result = optimal_allocate(cands, policy)
    got = tuple(int(result.fundings[c.id].amount) for c in cands)
    # The same value and, among equal optima, the same rank weight (docs/allocation.md: the tie-break
    # maximises the sum of (n - k) x_k); when two optima tie on that too, either may be returned.
    assert worth(cands, got) == worth(cands, want), [(c.id, g, w) for c, g, w in zip(cands, got, want) if g != w]
    assert all(v in choices(c, policy) for c, v in zip(cands, got))
    assert result.summary.solver == {"status": "optimal", "gap": D(0)}
    assert sum(got) <= policy.pool


def test_the_instances_are_large_enough_for_the_solver_shortcuts():
    """A guard on the generator: most instances have more than a dozen candidates and a pool that
    funds some of them only, so the LP answer must be rounded and fixed, not simply taken."""
    sizes = [len(instance(seed)[0]) for seed in SEEDS]
    assert sum(s > 12 for s in sizes) >= len(SEEDS) // 2
    for seed in SEEDS:
        cands, policy = instance(seed)
        assert sum(int(c.cost) for c in cands) > policy.pool
