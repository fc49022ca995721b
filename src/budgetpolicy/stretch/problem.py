"""The selection as an assignment problem: scored options and the capacity left for them; greedy.

Each candidate row that is not ongoing is an **option** (a person on an assignment) with its score and
its time commitment. Ongoing rows take their share of every capacity first: the assignment's seats,
the mentor's mentees, the person's load and concurrent assignments. Whatever is left is what a
selection may use. Quantities are whole numbers (scores in ten-thousandths, time in ten-thousandths of
a person's time), so the greedy and optimal strategies and the checks compare exactly.

A score is the weighted mean of a candidate's ratings divided by the scale: 0..1, rounded half-even
to 4 places. Greedy takes options best score first (ties: assignment id, then person) while every
capacity still fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.model import StretchPolicy
from budgetpolicy.stretch.candidates import COMMITMENT_PLACES, Candidate

SCORE_PLACES = 4
UNIT = 10 ** SCORE_PLACES  # a score of 1 is UNIT score units
LOAD_UNIT = 10 ** COMMITMENT_PLACES
SEATS, MENTOR, LOAD, CONCURRENT = "seats", "mentor", "load", "concurrent"


def candidate_score(candidate: Candidate, stretch: StretchPolicy) -> Decimal:
    """The weighted mean of the ratings over the scale, 0..1, rounded half-even to 4 places."""
    total = sum(stretch.weights.values(), Decimal(0))
    raw = sum((w * candidate.ratings.get(c, Decimal(0)) for c, w in stretch.weights.items()), Decimal(0))
    return (raw / (total * stretch.scale)).quantize(Decimal(1).scaleb(-SCORE_PLACES), ROUND_HALF_EVEN)


@frozen
class Option:
    """One person on one assignment that may be selected."""

    index: int
    candidate: Candidate
    score: Decimal
    units: int  # score in score units
    load: int  # time commitment in load units


@frozen
class Problem:
    """The options and, per assignment, mentor and person, the capacity ongoing rows leave."""

    options: tuple[Option, ...]
    seats: dict[str, int]
    mentors: dict[str, int]
    load: dict[str, int]  # person -> load units left (never below 0)
    concurrent: dict[str, int]  # person -> assignments left (never below 0)
    ongoing: tuple[Candidate, ...]


def build_problem(candidates: Sequence[Candidate], stretch: StretchPolicy, assignments: Sequence[str]) -> Problem:
    """The problem of ``candidates`` under ``stretch``; ``assignments``: every assignment with candidates."""
    ongoing = tuple(c for c in candidates if c.ongoing)
    seats = {a: stretch.seats_of(a) for a in assignments}
    mentors = {m: capacity for m, capacity in reversed(stretch.mentors)}  # the first listing wins
    max_load = int(stretch.max_load * LOAD_UNIT)
    people = {c.person for c in candidates}
    load = {p: max_load for p in people}
    concurrent = {p: stretch.max_concurrent for p in people}
    for c in ongoing:
        seats[c.assignment] = seats.get(c.assignment, stretch.seats_of(c.assignment)) - 1
        mentors[c.mentor] -= 1
        load[c.person] -= int(c.time_commitment * LOAD_UNIT)
        concurrent[c.person] -= 1
    options: list[Option] = []
    for c in candidates:
        if not c.ongoing:
            score = candidate_score(c, stretch)
            options.append(Option(len(options), c, score, int(score * UNIT), int(c.time_commitment * LOAD_UNIT)))
    return Problem(tuple(options), {a: max(0, n) for a, n in seats.items()}, {m: max(0, n) for m, n in mentors.items()},
                   {p: max(0, n) for p, n in load.items()}, {p: max(0, n) for p, n in concurrent.items()}, ongoing)


def blockers(problem: Problem, chosen: Sequence[int], k: int) -> tuple[str, ...]:
    """The capacities that taking option ``k`` beside ``chosen`` would exceed (empty: it fits)."""
    option = problem.options[k]
    c = option.candidate
    picked = [problem.options[i] for i in chosen if i != k]
    found = []
    if sum(1 for o in picked if o.candidate.assignment == c.assignment) + 1 > problem.seats[c.assignment]:
        found.append(SEATS)
    if sum(1 for o in picked if o.candidate.mentor == c.mentor) + 1 > problem.mentors[c.mentor]:
        found.append(MENTOR)
    mine = [o for o in picked if o.candidate.person == c.person]
    if sum(o.load for o in mine) + option.load > problem.load[c.person]:
        found.append(LOAD)
    if len(mine) + 1 > problem.concurrent[c.person]:
        found.append(CONCURRENT)
    return tuple(found)


def order(problem: Problem) -> list[Option]:
    """Options best first: score, then assignment id, then person (a stable, documented tie-break)."""
    return sorted(problem.options, key=lambda o: (-o.units, o.candidate.assignment, o.candidate.person))


def greedy(problem: Problem) -> tuple[int, ...]:
    """Best score first while every capacity fits (the documented fallback)."""
    chosen: list[int] = []
    for option in order(problem):
        if not blockers(problem, chosen, option.index):
            chosen.append(option.index)
    return tuple(sorted(chosen))


def total_units(problem: Problem, chosen: Sequence[int]) -> int:
    return sum(problem.options[i].units for i in chosen)


def feasible(problem: Problem, chosen: Sequence[int]) -> bool:
    """Whether ``chosen`` is within every capacity (each option checked against the others)."""
    return len(set(chosen)) == len(chosen) and all(not blockers(problem, chosen, k) for k in chosen)
