"""Invariants of both strategies on random small instances (hypothesis, <= 100 examples each)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alloc_helpers import total_value
from budgetpolicy.errors import AllocationError
from budgetpolicy.model import AllocationPolicy, Baseline, Caps, Reserve
from budgetpolicy.allocation.problem import Candidate, prepare
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate

DEPTS = ("Sales", "Eng", "Ops")
KINDS = ("training", "stretch", "pilot")
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIMAL = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cents = st.integers(0, 30000).map(lambda n: D(n) / 100)


@st.composite
def candidates(draw, max_size=8):
    n = draw(st.integers(0, max_size))
    return [Candidate(id=f"c{i}", cost=draw(cents), value=D(draw(st.integers(0, 50))),
                      score=D(draw(st.integers(0, 10))) / 10, kind=draw(st.sampled_from(KINDS)),
                      department=draw(st.sampled_from(DEPTS)), role=None, pilot=draw(st.booleans()),
                      priorities=tuple(draw(st.lists(st.sampled_from(("p1", "p2", "p3")), max_size=3))))
            for i in range(n)]


@st.composite
def policies(draw, caps=True, hard=True):
    pool = D(draw(st.integers(1, 100000))) / 100
    unit = draw(st.sampled_from((D(1), D("0.01"), D(5))))
    reserve = None
    if draw(st.booleans()):
        reserve = Reserve(share=D(draw(st.integers(0, 50))) / 100, release_unused=draw(st.booleans()),
                          include_pilots=draw(st.booleans()))
    room = pool * (1 - (reserve.share if reserve else 0))
    baselines = []
    for i, dept in enumerate(draw(st.lists(st.sampled_from(DEPTS), unique=True, max_size=2))):
        amount = (room * D(draw(st.integers(1, 45))) / 100).quantize(D("0.01"))
        if amount > 0:
            baselines.append(Baseline(f"b{i}", amount, department=dept))
    cap = st.none() | st.integers(0, 1000).map(D)
    per_dept = {d: v for d in DEPTS if (v := draw(cap)) is not None} if caps else {}
    per_kind = {k: v for k in KINDS if (v := draw(cap)) is not None} if caps else {}
    per_init = draw(cap) if caps else None
    return AllocationPolicy(
        pool=pool, unit=unit, rounding=draw(st.sampled_from(("down", "half_even"))),
        partial=draw(st.booleans()) if hard else True,
        min_viable=D(draw(st.integers(0, 100))) if hard else D(0),
        min_viable_share=D(draw(st.integers(0, 10))) / 10 if hard else D(0),
        tie_break=draw(st.sampled_from((("score", "id"), ("id",), ("cost", "score")))),
        baselines=tuple(baselines), reserve=reserve,
        caps=Caps(per_initiative=per_init, per_department=per_dept, per_kind=per_kind))


def check_invariants(cands, policy, result):
    s = result.summary
    amounts = {k: f.amount for k, f in result.fundings.items()}
    assert set(amounts) == {c.id for c in cands}
    assert sum(amounts.values()) == s.allocated <= policy.pool
    assert s.allocated + s.leftover == policy.pool  # to the cent
    assert sum(s.by_department.values()) == sum(s.by_kind.values()) == sum(s.by_priority.values()) == s.allocated
    problem = prepare(cands, policy)
    items = {it.id: it for it in problem.ranked}
    for c in cands:
        a, it = amounts[c.id], items[c.id]
        assert a % policy.unit == 0 and a >= 0
        assert a <= it.target * policy.unit
        if policy.caps.per_initiative is not None:
            assert a <= policy.caps.per_initiative
        # minimum viable: nothing, or at least the minimum (full funding is always viable)
        assert a == 0 or a >= it.minimum * policy.unit
        funding = result.fundings[c.id]
        assert (funding.step == "unfunded") == (a == 0 and it.target > 0)
        assert funding.explanation
        reserve_part = result.sources[c.id].get("reserve", D(0))
        assert reserve_part == 0 or it.reserve_ok  # the reserve only funds its kinds (and pilots)
        assert sum(result.sources[c.id].values(), D(0)) == a
    for name, cap in policy.caps.per_department.items():
        assert s.by_department.get(name, D(0)) <= cap
    for name, cap in policy.caps.per_kind.items():
        assert s.by_kind.get(name, D(0)) <= cap
    assert s.reserve_used <= s.reserve_amount
    assert s.reserve_used == sum((result.sources[c.id].get("reserve", D(0)) for c in cands), D(0))


def group_floor(cands, policy, baseline):
    problem = prepare(cands, policy)
    group = sum(it.target for it in problem.ranked if it.department == baseline.department)
    return min(baseline.amount // policy.unit, group) * policy.unit


@FAST
@given(candidates(), policies())
def test_greedy_invariants(cands, policy):
    check_invariants(cands, policy, greedy_allocate(cands, policy))


@FAST
@given(candidates(), policies(caps=False, hard=False))
def test_greedy_meets_baselines_when_nothing_stands_in_the_way(cands, policy):
    r = greedy_allocate(cands, policy)
    for b in policy.baselines:
        assert r.summary.baselines[b.id] == group_floor(cands, policy, b)


@FAST
@given(candidates(), policies(), st.randoms(use_true_random=False))
def test_greedy_is_deterministic_under_reordering(cands, policy, rnd):
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    a, b = greedy_allocate(cands, policy), greedy_allocate(shuffled, policy)
    assert dict(a.fundings) == dict(b.fundings)
    assert a.summary == b.summary and dict(a.sources) == dict(b.sources)


@OPTIMAL
@given(candidates(max_size=6), policies())
def test_optimal_invariants_and_never_worse_than_greedy(cands, policy):
    greedy = greedy_allocate(cands, policy)
    floors = {b.id: group_floor(cands, policy, b) for b in policy.baselines}
    greedy_meets = all(greedy.summary.baselines[k] >= v for k, v in floors.items())
    try:
        best = optimal_allocate(cands, policy)
    except AllocationError as err:
        # Only baselines can be infeasible, and then greedy cannot have met them either.
        assert err.diagnostics[0].code == "BP625"
        assert not greedy_meets
        return
    check_invariants(cands, policy, best)
    for k, v in floors.items():
        assert best.summary.baselines[k] >= v  # baselines honoured when feasible
    if greedy_meets:
        # Greedy's answer is feasible for the solver, so the optimum is at least as good; the
        # tolerance covers only the solver's floating-point objective (values here are < 1e3).
        assert total_value(best, cands) >= total_value(greedy, cands) - D("1e-6")
