"""The optimal strategy when groups overlap: a candidate that counts toward two baselines, or toward a
baseline and the reserve held back (docs/allocation.md: the model then decides who pays each unit).

The oracle enumerates every whole-unit allocation of up to five candidates, as in
``test_differential.py``, and decides whether the floors and the reserve can all be paid by Hall's
condition for a supply-demand split: each candidate supplies its units; each baseline demands its floor
(bounded by what its group requests) from its own members; a held reserve must pay for whatever the
general pool cannot (demand ``total - (pool - reserve)``, at most the reserve) from the candidates it may
pay. A split exists exactly when every set of demands is covered by the units of the candidates that can
serve at least one of them. Written from the rules, not from the allocator's model.
"""

from __future__ import annotations

import itertools
import random
from decimal import Decimal as D

import pytest

from alloc_helpers import cand, pol
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.errors import AllocationError
from budgetpolicy.model import Baseline, Reserve
from test_differential import bounds, oracle, value

SEEDS = range(60)


def instance(seed):
    rng = random.Random(seed)
    cands = [cand(f"c{i}", rng.randrange(1, 8), rng.randrange(0, 10), score=D(rng.randrange(0, 4)) / 4,
                  kind=rng.choice(["training", "stretch"]), department=rng.choice(["Sales", "Eng"]))
             for i in range(rng.randrange(2, 6))]
    total = sum(int(c.cost) for c in cands)
    pool = rng.randrange(2, total + 2)
    baselines = [Baseline("sales-core", D(rng.randrange(1, pool + 1)), department="Sales")]
    if rng.random() < 0.5:
        baselines.append(Baseline("stretch-floor", D(rng.randrange(1, pool + 1)), kind="stretch"))
    kw = {"partial": rng.random() < 0.7, "tie_break": ("score", "id"), "baselines": tuple(baselines)}
    if rng.random() < 0.6:
        kw["reserve"] = Reserve(amount=D(rng.randrange(1, pool + 1)), kinds=("stretch",), include_pilots=False,
                                release_unused=False)
    return cands, pol(pool, **kw)


def member(c, b):
    return c.department == b.department if b.department else c.kind == b.kind


def demands(cands, policy, x):
    """(demand, the candidates that may serve it) for every floor and for the held reserve; None when
    the reserve would have to pay more than it holds."""
    out = []
    for b in policy.baselines:
        group = [i for i, c in enumerate(cands) if member(c, b)]
        floor = min(int(b.amount), sum(bounds(cands[i], policy)[1] for i in group))
        if floor > 0:
            out.append((floor, set(group)))
    r = policy.reserve
    if r is not None:
        held = min(int(r.amount), int(policy.pool))
        need = sum(x) - (int(policy.pool) - held)
        if need > held:
            return None
        if need > 0:
            out.append((need, {i for i, c in enumerate(cands) if c.kind in r.kinds}))
    return out


def feasible(cands, policy, x):
    if sum(x) > policy.pool:
        return False
    wanted = demands(cands, policy, x)
    if wanted is None:
        return False
    for size in range(1, len(wanted) + 1):
        for subset in itertools.combinations(wanted, size):
            servers = set().union(*(s for _, s in subset))
            if sum(x[i] for i in servers) < sum(d for d, _ in subset):
                return False
    return True


def overlaps(cands, policy):
    """True when some candidate counts toward two of: the floors, the held reserve."""
    sinks = [{c.id for c in cands if member(c, b)} for b in policy.baselines]
    if policy.reserve is not None:
        sinks.append({c.id for c in cands if c.kind in policy.reserve.kinds})
    return sum(len(s) for s in sinks) != len(set().union(*sinks))


@pytest.mark.parametrize("seed", SEEDS)
def test_optimal_with_overlapping_floors_and_reserve_is_the_brute_force_optimum(seed):
    cands, policy = instance(seed)
    want = oracle(cands, policy, feasible)
    if want is None:
        with pytest.raises(AllocationError) as err:
            optimal_allocate(cands, policy)
        assert err.value.diagnostics[0].code == "BP625"
        return
    result = optimal_allocate(cands, policy)
    got = tuple(int(result.fundings[c.id].amount) for c in cands)
    assert feasible(cands, policy, got), got
    assert value(cands, got) == value(cands, want), (got, want)
    assert got == want
    # Who paid: each baseline's credited units reach its floor; the reserve pays no more than it holds.
    for b in policy.baselines:
        credited = result.summary.baselines.get(b.id, D(0))
        assert credited >= min(b.amount, sum(bounds(c, policy)[1] for c in cands if member(c, b)))
    if policy.reserve is not None:
        assert result.summary.reserve_used <= policy.reserve.amount


def test_the_generator_makes_overlapping_groups_often():
    assert sum(overlaps(*instance(seed)) for seed in SEEDS) >= len(SEEDS) // 3
