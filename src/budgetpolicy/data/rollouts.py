"""Rollouts checked where initiatives come in: each ``rollout_of`` names a pilot the data (or the plan,
for mid-year requests) holds (docs/data-formats.md, BP460 and BP461; the stage gate itself is the
review's, ``review/rollout.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from budgetpolicy.errors import DataError, Diagnostics, did_you_mean
from budgetpolicy.model import Initiative


def check_rollouts(initiatives: Iterable[Initiative], known: Iterable[Initiative] = ()) -> None:
    """Each ``rollout_of`` must name a pilot among ``initiatives`` or ``known`` (the plan's, for mid-year
    requests): BP460 an unknown id, BP461 an initiative that is not a pilot; every problem at once, each
    at the rollout's file, row and field."""
    items = list(initiatives)
    by_id = {i.id: i for i in (*known, *items)}
    problems = Diagnostics()
    for initiative in items:
        pilot_id = initiative.rollout_of
        if pilot_id is None:
            continue
        where = initiative.location.evolve(field="rollout_of")
        pilot = by_id.get(pilot_id)
        if pilot is None:
            problems.add("BP460", where, f"{initiative.id} is a rollout of '{pilot_id}', which is not an initiative",
                         did_you_mean(pilot_id, [i for i, v in by_id.items() if v.pilot])
                         or "name the pilot's id (an initiative with pilot = true), or leave rollout_of empty")
        elif not pilot.pilot or pilot_id == initiative.id:
            problems.add("BP461", where, f"{initiative.id} is a rollout of {pilot_id}, which is not a pilot",
                         f"set pilot = true on {pilot_id} if it is one, or name the pilot this rolls out")
    problems.raise_if_errors(DataError)
