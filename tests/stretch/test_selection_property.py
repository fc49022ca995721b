"""Selections never exceed a capacity; optimal's total is >= greedy's and equals a brute force on tiny instances."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetpolicy.model import STRETCH_CRITERIA, StretchPolicy
from budgetpolicy.stretch.candidates import Candidate
from budgetpolicy.stretch.optimal import optimal
from budgetpolicy.stretch.problem import build_problem, feasible, greedy, total_units
from budgetpolicy.stretch.select import Assignment, select

PEOPLE, ASSIGNMENTS, MENTORS = ("p1", "p2", "p3", "p4"), ("A1", "A2", "A3"), ("m1", "m2")


@st.composite
def instances(draw, max_rows=8):
    stretch = StretchPolicy(
        weights={c: Decimal(draw(st.integers(0, 3))) + (1 if c == "impact" else 0) for c in STRETCH_CRITERIA},
        mentors=tuple((m, draw(st.integers(0, 2))) for m in MENTORS),
        seats=tuple((a, draw(st.integers(1, 2))) for a in ASSIGNMENTS),
        max_load=Decimal(draw(st.sampled_from(["0.3", "0.5", "1"]))), max_concurrent=draw(st.integers(1, 2)))
    pairs = draw(st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(ASSIGNMENTS)), max_size=max_rows,
                          unique=True))
    rows = [Candidate(person, assignment, "D" + person[-1:], draw(st.sampled_from(MENTORS)),
                      Decimal(draw(st.sampled_from(["0.1", "0.2", "0.25", "0.3", "0.5"]))),
                      {c: Decimal(draw(st.integers(0, 5))) for c in STRETCH_CRITERIA})
            for person, assignment in pairs]
    return stretch, rows


def _brute_force(problem):
    n = len(problem.options)
    return max(total_units(problem, chosen) for size in range(n + 1)
               for chosen in itertools.combinations(range(n), size) if feasible(problem, chosen))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_capacities_hold_and_optimal_beats_greedy(instance):
    stretch, rows = instance
    problem = build_problem(rows, stretch, ASSIGNMENTS)
    best, quick = optimal(problem), greedy(problem)
    assert feasible(problem, best) and feasible(problem, quick)
    assert total_units(problem, best) >= total_units(problem, quick)
    assert total_units(problem, best) == _brute_force(problem)
    selection = select(stretch, [Assignment(a, a, stretch.seats_of(a), None, ()) for a in ASSIGNMENTS], rows)
    for a in ASSIGNMENTS:
        assert sum(1 for c in selection.picks if c.assignment == a) <= stretch.seats_of(a)
    for m in MENTORS:
        assert sum(1 for c in selection.picks if c.mentor == m) <= stretch.capacity(m)
    for p in PEOPLE:
        mine = [c for c in selection.picks if c.person == p]
        assert len(mine) <= stretch.max_concurrent
        assert sum((c.time_commitment for c in mine), Decimal(0)) <= stretch.max_load
    assert all(c.reasons for c in selection.non_picks)  # every non-pick says why
