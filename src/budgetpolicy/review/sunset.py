"""Sunset: end initiatives that no longer deliver, with the numbers that triggered it.

Run by the quarterly review (``review.quarterly``) for every initiative that
is funded and still running in the quarter reviewed, before money is
released (a sunset initiative's unspent funds are released the same quarter).
``[[sunset.criteria]]`` are checked in order and the first that holds wins:

- ``realisation_below`` (threshold X, quarters N): each of the last N
  quarters (q-N+1 .. q, all on or after the initiative's start) has a reading
  and a realisation strictly below X. A quarter without a reading breaks the
  streak; that is what ``no_measurement`` is for.
- ``no_measurement`` (quarters N): none of the last N quarters (all on or
  after the start) has a reading for the initiative.
- ``completion_below`` (threshold X in 0..1, quarters N): each of the last N
  quarters (all on or after the start) has a reading with a completion rate,
  strictly below X. A quarter without a completion rate breaks the streak.
- ``no_behaviour_change`` (quarters N >= 2, threshold T >= 0, default 0): each
  of the last N quarters (all on or after the start) has a manager
  observation, and the last of them is no more than T above the first: the
  behaviour the learning should change has not moved (``review.learning``
  shows the trend quarter by quarter).
- ``horizon_passed``: never holds for a bet in flight. A bet whose horizon
  has passed is *completed* (``review.complete``: ``completed`` or
  ``completed_below_target``), not sunset; the criterion's id and reason are
  recorded with the bets that complete below target at their horizon. It
  takes no threshold (the validator warns, BP219).

Each sunset carries the criterion id, its kind, ``numbers`` (the values that
triggered it), ``detail`` (a built-in sentence with those numbers) and
``reason``: the criterion's ``reason`` with ``{name}`` placeholders replaced
by the numbers (``{threshold}``, ``{quarters}``, ``{periods}``,
``{realisations}``, ``{latest}``, ``{last_measured}``, ``{completions}``,
``{observations}``, ``{change}``, ``{initiative}``, ``{period}``);
unknown placeholders are left as written. Only plain names are substituted
(no attribute access or format specs): reason templates are untrusted text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from budgetpolicy.formatting import fill_template, plain_decimal
from budgetpolicy.model import FrozenMap, OutcomeReading, SunsetCriterion, frozen_map
from budgetpolicy.review.periods import period_name
from budgetpolicy.review.realise import Realisation

ONE = Decimal(1)
ZERO = Decimal(0)
# The criteria that judge the learning chain's readings rather than realisations.
LEARNING_KINDS = ("completion_below", "no_behaviour_change")

DEFAULT_DETAIL = {
    "realisation_below": "realisation {realisations} in {periods}: below {threshold} for {quarters} "
                         "consecutive quarters",
    "no_measurement": "no outcome reading in {periods} ({quarters} quarters); last reading {last_measured}",
    "completion_below": "completion rate {completions} in {periods}: below {threshold} for {quarters} "
                        "consecutive quarters",
    "no_behaviour_change": "manager observation {observations} in {periods}: changed by {change} over "
                           "{quarters} quarters, not more than {threshold}",
}


@frozen
class Sunset:
    initiative_id: str
    period: str
    criterion: str
    kind: str
    reason: str
    detail: str
    numbers: FrozenMap = field(factory=FrozenMap, converter=frozen_map)


def render(template: str, numbers: Mapping[str, Any]) -> str:
    # Plain names only (no dotted paths): the numbers are one flat map.
    return fill_template(template, lambda name: plain_decimal(numbers[name])
                         if name.isidentifier() and name in numbers else None)


def check_sunset(initiative_id: str, criteria: Sequence[SunsetCriterion], quarter: int, start: int,
                 horizon: int, measured: Mapping[int, Realisation],
                 readings: Mapping[int, OutcomeReading] | None = None) -> Sunset | None:
    """The first criterion that holds for one running initiative in ``quarter``, or None.

    ``measured`` maps quarter ordinals (up to ``quarter``) to the initiative's
    realisation in every quarter that has a reading; ``readings`` the readings
    themselves (the learning chain's criteria judge them).
    """
    for criterion in criteria:
        if criterion.kind in LEARNING_KINDS:
            numbers = _learning_numbers(criterion, quarter, start, readings or {})
        else:
            numbers = _numbers(criterion, quarter, start, horizon, measured)
        if numbers is None:
            continue
        numbers = {**numbers, "initiative": initiative_id, "period": period_name(quarter)}
        detail = render(DEFAULT_DETAIL[criterion.kind], numbers)
        reason = render(criterion.reason, numbers) if criterion.reason else detail
        return Sunset(initiative_id, period_name(quarter), criterion.id, criterion.kind, reason, detail, numbers)
    return None


def _numbers(criterion: SunsetCriterion, quarter: int, start: int, horizon: int,
             measured: Mapping[int, Realisation]) -> dict[str, Any] | None:
    n = criterion.quarters
    window = list(range(quarter - n + 1, quarter + 1))
    periods = f"{period_name(window[0])}..{period_name(window[-1])}" if n > 1 else period_name(quarter)
    if criterion.kind == "realisation_below":
        threshold = criterion.threshold if criterion.threshold is not None else ONE
        if window[0] < start:
            return None
        values = [measured[q].value if q in measured else None for q in window]
        if any(v is None or v >= threshold for v in values):
            return None
        return {"threshold": threshold, "quarters": n, "periods": periods, "latest": values[-1],
                "realisations": ", ".join(plain_decimal(v) for v in values)}
    if criterion.kind == "no_measurement":
        if window[0] < start or any(q in measured for q in window):
            return None
        earlier = [q for q in measured if q < window[0]]
        last = period_name(max(earlier)) if earlier else "never"
        return {"quarters": n, "periods": periods, "last_measured": last}
    return None  # horizon_passed: a bet past its horizon is completed (review.complete), never sunset


def _learning_numbers(criterion: SunsetCriterion, quarter: int, start: int,
                      readings: Mapping[int, OutcomeReading]) -> dict[str, Any] | None:
    n = criterion.quarters
    window = list(range(quarter - n + 1, quarter + 1))
    if window[0] < start:
        return None
    periods = f"{period_name(window[0])}..{period_name(window[-1])}" if n > 1 else period_name(quarter)
    if criterion.kind == "completion_below":
        threshold = criterion.threshold if criterion.threshold is not None else ONE
        rates = [readings[q].completion_rate if q in readings else None for q in window]
        if any(r is None or r >= threshold for r in rates):
            return None
        return {"threshold": threshold, "quarters": n, "periods": periods, "latest": rates[-1],
                "completions": ", ".join(plain_decimal(r) for r in rates)}
    threshold = criterion.threshold if criterion.threshold is not None else ZERO
    seen = [readings[q].observation if q in readings else None for q in window]
    if n < 2 or any(o is None for o in seen):
        return None
    change = seen[-1] - seen[0]  # type: ignore[operator]
    if change > threshold:
        return None
    return {"threshold": threshold, "quarters": n, "periods": periods, "latest": seen[-1], "change": change,
            "observations": ", ".join(plain_decimal(o) for o in seen)}
