"""Greedy and optimal against a brute-force oracle on random small instances (issue #17, item 6).

Every whole-unit allocation of up to five candidates is enumerated; the oracle keeps the feasible
ones (pool, department and kind caps, the baseline floor, the reserve held back, minimum viable
funding, all-or-nothing) and picks the most valuable, ties going to better-ranked candidates, as the
documented ``tie_break`` reads. The optimal strategy must return exactly that allocation; the greedy
one a feasible allocation worth no more. The oracle is written from the rules in docs/allocation.md,
not from the allocator's code. pabutools' ILP method is compared on large instances in
``benchmarks/bench_allocation.py`` (it is a ``bench`` extra, not a test dependency).
"""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal as D
from fractions import Fraction

import pytest

from alloc_helpers import cand, pol
from budgetpolicy.errors import AllocationError
from budgetpolicy.model import Baseline, Caps, Reserve
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate

SEEDS = range(90)


def instance(seed):
    rng = random.Random(seed)
    n = rng.randrange(1, 6)
    cands = []
    for i in range(n):
        department = rng.choice(["Sales", "Eng"])
        # Stretch bets only in Eng, the floor only in Sales: no candidate counts toward both.
        kind = rng.choice(["training", "coaching"] + (["stretch"] if department == "Eng" else []))
        cands.append(cand(f"c{i}", rng.randrange(1, 9), rng.randrange(0, 10), score=D(rng.randrange(0, 4)) / 4,
                          kind=kind, department=department))
    total = sum(int(c.cost) for c in cands)
    kw = {"partial": rng.random() < 0.6, "tie_break": ("score", "id")}
    if rng.random() < 0.5:
        kw["min_viable_share"] = rng.choice(["0.25", "0.5", "0.75"])
    if rng.random() < 0.4:
        kw["caps"] = Caps(per_initiative=D(rng.randrange(2, 9)) if rng.random() < 0.5 else None,
                          per_department={"Eng": D(rng.randrange(1, 12))},
                          per_kind={"coaching": D(rng.randrange(1, 9))} if rng.random() < 0.5 else {})
    pool = rng.randrange(1, total + 2)
    if rng.random() < 0.3:
        kw["baselines"] = (Baseline("sales-core", D(rng.randrange(1, pool + 1)), department="Sales"),)
    if rng.random() < 0.3:
        kw["reserve"] = Reserve(amount=D(rng.randrange(0, pool + 1)), kinds=("stretch",), include_pilots=False,
                                release_unused=rng.random() < 0.5)
    return cands, pol(pool, **kw)


def bounds(c, policy):
    """(least, most) whole units for a candidate (least = most when all-or-nothing)."""
    most = int(c.cost)
    if policy.caps.per_initiative is not None:
        most = min(most, int(policy.caps.per_initiative))
    if not policy.partial:
        return most, most
    least = max(math.ceil(max(policy.min_viable, policy.min_viable_share * c.cost)), 1)
    return min(least, most), most


def feasible(cands, policy, x):
    if sum(x) > policy.pool:
        return False
    for attr, caps in (("department", policy.caps.per_department), ("kind", policy.caps.per_kind)):
        for name, cap in caps.items():
            if sum(v for c, v in zip(cands, x) if getattr(c, attr) == name) > cap:
                return False
    for b in policy.baselines:
        group = [i for i, c in enumerate(cands) if c.department == b.department]
        floor = min(int(b.amount), sum(bounds(cands[i], policy)[1] for i in group))
        if sum(x[i] for i in group) < floor:
            return False
    r = policy.reserve
    if r is not None and not r.release_unused:
        outside = sum(v for c, v in zip(cands, x) if c.kind not in r.kinds)
        if outside > policy.pool - min(r.amount, policy.pool):
            return False
    return True


def value(cands, x):
    return sum((Fraction(int(c.value), int(c.cost)) * v for c, v in zip(cands, x)), Fraction(0))


def weights(cands):
    """The tie-break's weight per unit of each candidate: n - k for the candidate ranked k (from 0), ranked
    by value per cost, then score, then id (the ``tie_break`` these instances use)."""
    ranked = sorted(range(len(cands)), key=lambda i: (-Fraction(int(cands[i].value), int(cands[i].cost)),
                                                       -cands[i].score, cands[i].id))
    return {i: len(cands) - r for r, i in enumerate(ranked)}


def oracle(cands, policy, feasible=feasible):
    """The best allocation by brute force, ties to better-ranked candidates; None when none is feasible.
    ``feasible(cands, policy, x)`` decides which allocations count (test_differential_overlap passes its own)."""
    weight = weights(cands)
    choices = []
    for c in cands:
        least, most = bounds(c, policy)
        choices.append([0] + list(range(max(least, 1), most + 1)))
    best = None
    for x in itertools.product(*choices):
        if feasible(cands, policy, x):
            key = (value(cands, x), sum(weight[i] * v for i, v in enumerate(x)))
            if best is None or key > best[0]:
                best = (key, x)
    return None if best is None else best[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_optimal_is_the_brute_force_optimum_and_greedy_is_feasible_and_no_better(seed):
    cands, policy = instance(seed)
    want = oracle(cands, policy)
    if want is None:
        with pytest.raises(AllocationError) as err:
            optimal_allocate(cands, policy)
        assert err.value.diagnostics[0].code == "BP625"
        return
    best = optimal_allocate(cands, policy)
    got = tuple(int(best.fundings[c.id].amount) for c in cands)
    assert feasible(cands, policy, got)
    assert value(cands, got) == value(cands, want), (got, want)
    assert got == want  # the same allocation: the tie-break picks the better-ranked among equal optima
    assert best.summary.solver == {"status": "optimal", "gap": D(0)}
    greedy = greedy_allocate(cands, policy)
    mine = tuple(int(greedy.fundings[c.id].amount) for c in cands)
    assert sum(mine) <= policy.pool and value(cands, mine) <= value(cands, want)
