"""Completion: how a bet ends when it is over, judged against its target rather than sunset.

Run by the quarterly review (``review.quarterly``) in every quarter, before the
sunset criteria: a funded, running bet *completes* in quarter q when

- a reading of q says ``finished = true`` (cause ``finished``), or
- its horizon has passed: q is its last quarter, ``start + horizon - 1``, or
  later (cause ``horizon``).

Its status is ``completed`` when its latest realisation (the latest defined
one up to q; see ``review.realise`` and ``review.milestones``: a reading
that says ``finished``, or one in the horizon's last quarter, is compared
with everything due) is at or above ``[milestones] completed_at`` (default
1: the lift due was reached), and ``completed_below_target`` otherwise, or
when it was never measured. A completed bet is not a sunset: the sunset
criteria judge only bets still in flight, so a ``horizon_passed`` criterion
never sunsets a bet any more. When the policy lists one, a bet that completes
below target at its horizon carries that criterion's id, and its ``reason``
template (with the same ``{name}`` placeholders as a sunset's) becomes the
completion's reason.

Each completion carries ``numbers`` (``latest``, ``target``, ``horizon``,
``start``, ``end``, ``initiative``, ``period``) and ``detail``, a built-in
sentence with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from budgetpolicy.model import FrozenMap, MilestonePolicy, SunsetCriterion, frozen_map
from budgetpolicy.review.milestones import DEFAULT
from budgetpolicy.review.periods import period_name
from budgetpolicy.review.realise import Realisation
from budgetpolicy.review.sunset import render

STATUSES = ("completed", "completed_below_target")

DETAIL = {
    "finished": "reported finished in {period}: the latest realisation {latest} is {verdict} the target {target}",
    "horizon": "horizon of {horizon} quarters ({start}..{end}) is over: the latest realisation {latest} is "
               "{verdict} the target {target}",
}


@frozen
class Completion:
    initiative_id: str
    period: str
    status: str  # completed | completed_below_target
    cause: str  # finished | horizon
    latest: Decimal | None  # the latest defined realisation up to the quarter (None: never measured)
    target: Decimal  # [milestones] completed_at
    reason: str
    detail: str
    criterion: str = ""  # the horizon_passed criterion whose reason this is, when one applied
    numbers: FrozenMap = field(factory=FrozenMap, converter=frozen_map)


def check_completion(initiative_id: str, quarter: int, start: int, horizon: int,
                     measured: Mapping[int, Realisation], finished: bool, settings: MilestonePolicy | None,
                     criteria: Sequence[SunsetCriterion] = ()) -> Completion | None:
    """How one running bet ends in ``quarter``, or None while it is still in flight.

    ``measured`` maps quarter ordinals (up to ``quarter``) to the bet's realisation in every quarter
    that has a reading; ``criteria`` are the policy's sunset criteria (for a horizon_passed reason).
    """
    end = start + horizon - 1
    if not finished and quarter < end:
        return None
    cause = "finished" if finished else "horizon"
    target = (settings or DEFAULT).completed_at
    values = [measured[q].value for q in sorted(measured) if q <= quarter and measured[q].value is not None]
    latest = values[-1] if values else None
    status = STATUSES[0] if latest is not None and latest >= target else STATUSES[1]
    numbers: dict[str, Any] = {
        "latest": latest if latest is not None else "none (never measured)", "target": target,
        "verdict": "at or above" if status == STATUSES[0] else "below", "horizon": horizon,
        "start": period_name(start), "end": period_name(end), "initiative": initiative_id,
        "period": period_name(quarter)}
    detail = render(DETAIL[cause], numbers)
    reason, criterion = detail, ""
    horizon_rule = next((c for c in criteria if c.kind == "horizon_passed"), None)
    if cause == "horizon" and status == STATUSES[1] and horizon_rule is not None:
        criterion = horizon_rule.id
        reason = render(horizon_rule.reason, numbers) if horizon_rule.reason else detail
    return Completion(initiative_id, period_name(quarter), status, cause, latest, target, reason, detail,
                      criterion, numbers)
