"""Stretch selection: rank each assignment's candidates, choose within every capacity, say why.

``select(stretch, assignments, candidates, strategy)`` builds the problem
(:mod:`budgetpolicy.stretch.problem`), solves it (``optimal``: HiGHS, :mod:`budgetpolicy.stretch.optimal`;
``greedy``: best score first) and explains the result: each pick with its rank and score, each
non-pick with every capacity that stops it (seats taken by higher or chosen candidates: by how much
its score is lower; mentor full; overloaded; concurrent limit). Selection rates by department and
each declared group come from :mod:`budgetpolicy.stretch.rates`. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from budgetpolicy.errors import UsageError
from budgetpolicy.formatting import trimmed_number
from budgetpolicy.model import Initiative, StretchPolicy
from budgetpolicy.review.periods import parse_period, period_range
from budgetpolicy.stretch.candidates import Candidate
from budgetpolicy.stretch.optimal import optimal
from budgetpolicy.stretch.problem import (CONCURRENT, LOAD, LOAD_UNIT, MENTOR, SEATS, Option, Problem, blockers,
                                          build_problem, greedy, order)
from budgetpolicy.stretch.rates import Rate, selection_rates

STRATEGIES = ("optimal", "greedy")


@frozen
class Assignment:
    """A stretch initiative as the selection records it: seats, and its milestones (quarters of its
    horizon from its start, with the lift due by each where the initiative declares it)."""

    id: str
    title: str
    seats: int
    start: str | None
    milestones: tuple[tuple[str, Mapping[str, Decimal]], ...]

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "seats": self.seats, "start": self.start,
                "milestones": [{"quarter": q, "lift": dict(lift)} for q, lift in self.milestones]}


@frozen
class Choice:
    """One candidate's outcome: picked or not, rank within the assignment, score, and why."""

    assignment: str
    person: str
    department: str
    mentor: str
    score: Decimal
    rank: int
    time_commitment: Decimal
    picked: bool
    reasons: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"assignment": self.assignment, "person": self.person, "mentor": self.mentor,
                               "score": self.score, "rank": self.rank, "time_commitment": self.time_commitment}
        if not self.picked:
            out["reasons"] = list(self.reasons)
        return out


@frozen
class Selection:
    """A selection: its strategy, the assignments, every candidate's choice (by assignment, then rank),
    the ongoing rows it respected, the total score of the picks and the selection rates."""

    strategy: str
    assignments: tuple[Assignment, ...]
    choices: tuple[Choice, ...]
    ongoing: tuple[Candidate, ...]
    total_score: Decimal
    rates: tuple[Rate, ...]

    @property
    def picks(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.picked)

    @property
    def non_picks(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.picked)


def assignments_of(initiatives: Sequence[Initiative], stretch: StretchPolicy, ids: Sequence[str]) -> tuple[Assignment, ...]:
    """The assignments ``ids`` (stretch initiatives) with their seats and milestones."""
    by_id = {i.id: i for i in initiatives}
    return tuple(_assignment(by_id[a], stretch) for a in sorted(set(ids)))


def _assignment(initiative: Initiative, stretch: StretchPolicy) -> Assignment:
    quarters: list[str] = []
    if initiative.start is not None:
        first = parse_period(initiative.start)
        quarters = period_range(first, first + initiative.horizon - 1)
    declared = initiative.milestones
    milestones = tuple((q, declared.get(q, {})) for q in sorted({*quarters, *declared}))
    return Assignment(initiative.id, initiative.title, stretch.seats_of(initiative.id), initiative.start, milestones)


def select(stretch: StretchPolicy, assignments: Sequence[Assignment], candidates: Sequence[Candidate],
           strategy: str | None = None) -> Selection:
    """Choose within every capacity with ``strategy`` (default: the policy's) and explain every choice."""
    strategy = strategy or stretch.strategy
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown stretch strategy '{strategy}'", hint=f"use one of: {', '.join(STRATEGIES)}")
    problem = build_problem(candidates, stretch, [a.id for a in assignments])
    chosen = optimal(problem) if strategy == "optimal" else greedy(problem)
    ranks = _ranks(problem)
    choices = [_choice(problem, chosen, o, ranks[o.index], stretch) for o in problem.options]
    choices.sort(key=lambda c: (c.assignment, c.rank, c.person))
    total = sum((problem.options[k].score for k in chosen), Decimal(0))
    picked = [problem.options[k].candidate for k in chosen]
    rates = selection_rates(stretch, [o.candidate for o in problem.options], picked)
    return Selection(strategy, tuple(assignments), tuple(choices), problem.ongoing, total, rates)


def _ranks(problem: Problem) -> dict[int, int]:
    """Each option's rank within its assignment (1 = best score; ties by person)."""
    ranks: dict[int, int] = {}
    seen: dict[str, int] = {}
    for option in order(problem):
        assignment = option.candidate.assignment
        seen[assignment] = seen.get(assignment, 0) + 1
        ranks[option.index] = seen[assignment]
    return ranks


def _choice(problem: Problem, chosen: Sequence[int], option: Option, rank: int, stretch: StretchPolicy) -> Choice:
    c = option.candidate
    picked = option.index in chosen
    reasons = () if picked else _reasons(problem, chosen, option, stretch)
    return Choice(c.assignment, c.person, c.department, c.mentor, option.score, rank, c.time_commitment, picked,
                  reasons)


def _reasons(problem: Problem, chosen: Sequence[int], option: Option, stretch: StretchPolicy) -> tuple[str, ...]:
    """Why ``option`` was not picked: every capacity that taking it would exceed, in words."""
    c = option.candidate
    picks = [problem.options[k] for k in chosen]
    found = []
    for blocker in blockers(problem, chosen, option.index):
        if blocker == SEATS:
            found.append(_seats_reason(problem, picks, option))
        elif blocker == MENTOR:
            names = sorted([o.candidate.person for o in picks if o.candidate.mentor == c.mentor]
                           + [o.person for o in problem.ongoing if o.mentor == c.mentor])
            found.append(f"mentor full: {c.mentor} takes {stretch.capacity(c.mentor)} mentee(s) at once "
                         f"({', '.join(names)})")
        elif blocker == LOAD:
            held = [o for o in picks if o.candidate.person == c.person]
            used = Decimal(stretch.max_load * LOAD_UNIT - problem.load[c.person]
                           + sum(o.load for o in held)) / LOAD_UNIT
            found.append(f"overloaded: {trimmed_number(used)} of the person's time is taken, "
                         f"{trimmed_number(c.time_commitment)} more would pass the maximum load "
                         f"{trimmed_number(stretch.max_load)}")
        elif blocker == CONCURRENT:
            held_ids = sorted([o.candidate.assignment for o in picks if o.candidate.person == c.person]
                              + [o.assignment for o in problem.ongoing if o.person == c.person])
            found.append(f"concurrent limit: already holds {', '.join(held_ids)} "
                         f"(at most {stretch.max_concurrent} at once)")
    return tuple(found) or (f"not needed: a score of {option.score} adds nothing",)


def _seats_reason(problem: Problem, picks: Sequence[Option], option: Option) -> str:
    c = option.candidate
    holders = [o for o in picks if o.candidate.assignment == c.assignment]
    if not holders:
        held = sorted(o.person for o in problem.ongoing if o.assignment == c.assignment)
        return f"no free seat on {c.assignment}: held by {', '.join(held)} (ongoing)"
    lowest = min(holders, key=lambda o: (o.units, o.candidate.person))
    gap = lowest.score - option.score
    if gap >= 0:
        return (f"lower score than the pick {lowest.candidate.person}: {trimmed_number(option.score)} vs "
                f"{trimmed_number(lowest.score)} (by {trimmed_number(gap)})")
    return (f"assignment full: {', '.join(sorted(o.candidate.person for o in holders))} chosen for the best "
            f"total across assignments (this score is higher than {lowest.candidate.person}'s by "
            f"{trimmed_number(-gap)})")
