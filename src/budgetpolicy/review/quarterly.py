"""The quarterly review: compare outcomes with forecasts, calibrate, reallocate, sunset.

``review(policy, initiatives, plan, outcomes, period) -> ReviewResult`` is a
pure function (no I/O, no clock): the same inputs give the same result.

``plan`` is the funding cycle's decisions (``CompiledPolicy.evaluate``): an
initiative is *funded* when its decision is approved or pending approval with
a positive ``funding.amount``, *unfunded* when approved, pending or deferred
with nothing allocated, and otherwise ineligible. The review then walks every
quarter from the first one with a reading up to ``period`` (readings after
``period`` are ignored), and in each quarter q:

1. updates spend to date and computes realisations (``review.realise``)
   against the lift due by q (``review.milestones``: declared milestones or
   the policy's ``[milestones]`` ramp, scaled by the funded share);
2. computes calibration factors over the lookback window ending at q
   (``review.calibrate``; skipped without ``[calibration]``);
3. completes the funded bets that are over (a reading with ``finished =
   true``, or the horizon passed): ``completed`` or ``completed_below_target``
   (``review.complete``), and checks the ``[sunset]`` criteria for every
   other funded, started bet still in flight (``review.sunset``). Both come
   before releases so that an ended bet's unspent money is released in the
   same quarter;
4. releases money and redistributes it, the rest returning to the pool
   (``review.reallocate``; without ``[reallocation]`` only sunsets release,
   and everything released returns to the pool).

The result presents quarter ``period`` (realisations, calibrations,
completions, sunsets, releases, reallocations, scale-up recommendations,
money summary), the calibrated forecasts the factors imply for the next
cycle, every initiative's position, and the history of the earlier quarters.

Bad input raises :class:`ReviewError` (BP7xx) with every problem at once;
see :mod:`budgetpolicy.review.inputs`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from attrs import field, frozen

from budgetpolicy.errors import Location, ReviewError
from budgetpolicy.model import Decision, FrozenMap, Initiative, OutcomeReading, Policy, frozen_map
from budgetpolicy.review.periods import parse_period, period_name
from budgetpolicy.review.inputs import CheckedInputs, check_inputs
from budgetpolicy.review.calibrate import GroupCalibration, NormalisedRating, calibrate, group_of, \
    normalise_ratings
from budgetpolicy.review.complete import Completion, check_completion
from budgetpolicy.review.milestones import due_lifts
from budgetpolicy.review.reallocate import Position, Reallocation, Release, ScaleUp, redistribute, \
    release_funds
from budgetpolicy.review.realise import Realisation, realise
from budgetpolicy.review.sunset import Sunset, check_sunset

ZERO = Decimal(0)
FUNDABLE = ("approved", "pending_approval")
WAITING = ("approved", "pending_approval", "deferred")


@frozen
class MoneySummary:
    released: Decimal
    redistributed: Decimal
    returned_to_pool: Decimal


@frozen
class QuarterReview:
    period: str
    realisations: tuple[Realisation, ...]
    calibrations: tuple[GroupCalibration, ...]
    sunsets: tuple[Sunset, ...]
    releases: tuple[Release, ...]
    reallocations: tuple[Reallocation, ...]
    scale_ups: tuple[ScaleUp, ...]
    summary: MoneySummary
    completions: tuple[Completion, ...] = ()


@frozen
class Holding:
    """Where one initiative stands after the review."""

    initiative_id: str
    status: str  # active | unfunded | ineligible | completed | completed_below_target | sunset
    planned: Decimal
    allocation: Decimal
    spent: Decimal
    released: Decimal
    received: Decimal


@frozen
class CalibratedForecast:
    initiative_id: str
    group: str
    factor: Decimal
    raw: FrozenMap = field(converter=frozen_map)
    calibrated: FrozenMap = field(converter=frozen_map)


@frozen
class ReviewResult:
    """A quarterly review of ``period``: that quarter's realisations, calibration, sunsets, releases,
    reallocations and scale-ups, the money they moved, every initiative's position after it, and one
    line per earlier quarter reviewed on the way (``history``)."""

    period: str
    first_period: str
    realisations: tuple[Realisation, ...]
    calibrations: tuple[GroupCalibration, ...]
    forecasts: tuple[CalibratedForecast, ...]
    ratings: tuple[NormalisedRating, ...]
    sunsets: tuple[Sunset, ...]
    releases: tuple[Release, ...]
    reallocations: tuple[Reallocation, ...]
    scale_ups: tuple[ScaleUp, ...]
    summary: MoneySummary
    totals: MoneySummary  # every quarter reviewed, ``period`` included
    positions: tuple[Holding, ...]
    history: tuple[QuarterReview, ...]  # the quarters before ``period``, oldest first
    completions: tuple[Completion, ...] = ()

    @property
    def factors(self) -> dict[str, Decimal]:
        """``{group: factor}`` for ``EvaluationContext(calibration=...)`` of the next cycle."""
        return {c.group: c.factor for c in self.calibrations}


def review(policy: Policy, initiatives: Sequence[Initiative], plan: Sequence[Decision],
           outcomes: Sequence[OutcomeReading], period: str) -> ReviewResult:
    """Review every quarter up to ``period`` from ``plan`` and ``outcomes``; see the module docstring."""
    target = parse_period(period, Location(key="period"))
    checked = check_inputs(policy, initiatives, plan, outcomes)
    quarters = sorted({q for (_, q) in checked.readings if q <= target})
    if not quarters:
        raise ReviewError(f"no outcome reading at or before {period}", Location(key="period"),
                          hint="choose a later --period or add readings for it", code="BP705")
    first = quarters[0]
    by_id = {i.id: i for i in initiatives}
    book = _open_book(initiatives, checked.decisions, checked.starts, first)
    measured: dict[str, dict[int, Realisation]] = defaultdict(dict)
    every: list[Realisation] = []
    reviews: list[QuarterReview] = []
    for q in range(first, target + 1):
        reviews.append(_quarter(policy, by_id, book, checked, measured, every, q))
    last = reviews[-1]
    calibrations = last.calibrations
    return ReviewResult(
        period=period_name(target), first_period=period_name(first), realisations=last.realisations,
        calibrations=calibrations, forecasts=_forecasts(policy, initiatives, calibrations),
        ratings=normalise_ratings(initiatives, policy.calibration.group_by, policy.calibration.normalise_ratings)
        if policy.calibration is not None else (),
        sunsets=last.sunsets, releases=last.releases, reallocations=last.reallocations,
        scale_ups=last.scale_ups, summary=last.summary,
        totals=MoneySummary(*(sum((getattr(r.summary, name) for r in reviews), ZERO)
                              for name in ("released", "redistributed", "returned_to_pool"))),
        positions=tuple(Holding(p.initiative.id, p.status, _plan_amount(checked.decisions.get(p.initiative.id)),
                                p.allocation, p.spent, p.released, p.received)
                        for p in sorted(book.values(), key=lambda p: p.initiative.id)),
        history=tuple(reviews[:-1]), completions=last.completions,
    )


def _quarter(policy: Policy, by_id: dict[str, Initiative], book: dict[str, Position], checked: CheckedInputs,
             measured: dict[str, dict[int, Realisation]], every: list[Realisation], q: int) -> QuarterReview:
    name = period_name(q)
    realisations, finished = _realise(policy, by_id, book, checked, measured, q)
    every.extend(realisations[i] for i in sorted(realisations))
    calibrations = calibrate(every, by_id, policy.calibration, name) if policy.calibration is not None else ()
    completions, sunsets = _ends(policy, book, measured, finished, q)
    sunset_ids = {s.initiative_id for s in sunsets}
    for s in sunsets:
        book[s.initiative_id].status = "sunset"
    for c in completions:
        book[c.initiative_id].status = c.status
    positions = [book[i] for i in sorted(book)]
    releases = release_funds(positions, realisations, sunset_ids, {c.initiative_id: c.status for c in completions},
                             policy.reallocation, name)
    released = sum((r.amount for r in releases), ZERO)
    moves, scale_ups, returned = redistribute(released, positions, realisations, policy.reallocation,
                                              policy.allocation, q, name)
    summary = MoneySummary(released, released - returned, returned)
    return QuarterReview(name, tuple(realisations[i] for i in sorted(realisations)), calibrations,
                         tuple(sunsets), tuple(releases), tuple(moves), tuple(scale_ups), summary, tuple(completions))


def _realise(policy: Policy, by_id: dict[str, Initiative], book: dict[str, Position], checked: CheckedInputs,
             measured: dict[str, dict[int, Realisation]], q: int) -> tuple[dict[str, Realisation], set[str]]:
    """Quarter q's realisations, each against the lift due by q; updates spend; the bets that report finished."""
    realisations: dict[str, Realisation] = {}
    finished: set[str] = set()
    for iid in sorted(i for (i, quarter) in checked.readings if quarter == q):
        reading = checked.readings[(iid, q)]
        pos = book[iid]
        due = due_lifts(by_id[iid], q, pos.start, _plan_amount(checked.decisions.get(iid)), policy.milestones,
                        finished=reading.finished and pos.status == "active")
        realisation = realise(by_id[iid], reading, checked.lifts[(iid, q)], due)
        realisations[iid] = realisation
        measured[iid][q] = realisation
        if reading.spend_to_date is not None:
            pos.spent = reading.spend_to_date
        if reading.finished and pos.status == "active":
            finished.add(iid)
    return realisations, finished


def _ends(policy: Policy, book: dict[str, Position], measured: dict[str, dict[int, Realisation]],
          finished: set[str], q: int) -> tuple[list[Completion], list[Sunset]]:
    """The running bets that end in quarter q: completed (finished, or horizon passed), else sunset."""
    completions: list[Completion] = []
    sunsets: list[Sunset] = []
    criteria = policy.sunset.criteria if policy.sunset is not None else ()
    for iid in sorted(book):
        pos = book[iid]
        if pos.status != "active" or (pos.start > q and iid not in finished):
            continue
        completion = check_completion(iid, q, pos.start, pos.initiative.horizon, measured[iid], iid in finished,
                                      policy.milestones, criteria)
        if completion is not None:
            completions.append(completion)
            continue
        sunset = check_sunset(iid, criteria, q, pos.start, pos.initiative.horizon, measured[iid]) \
            if criteria else None
        if sunset is not None:
            sunsets.append(sunset)
    return completions, sunsets


def _plan_amount(decision: Decision | None) -> Decimal:
    if decision is None or decision.outcome not in FUNDABLE or decision.funding is None:
        return ZERO
    return max(decision.funding.amount, ZERO)


def _open_book(initiatives: Sequence[Initiative], decisions: dict[str, Decision], starts: dict[str, int | None],
               first: int) -> dict[str, Position]:
    book: dict[str, Position] = {}
    for initiative in initiatives:
        decision = decisions.get(initiative.id)
        amount = _plan_amount(decision)
        if amount > 0:
            status = "active"
        elif decision is not None and decision.outcome in WAITING:
            status = "unfunded"
        elif decision is not None and decision.outcome == "sunset":
            status = "sunset"
        else:
            status = "ineligible"
        start = starts.get(initiative.id)
        book[initiative.id] = Position(initiative, status, amount, amount, first if start is None else start,
                                       decision.expected_value if decision is not None else None,
                                       decision.score if decision is not None else ZERO)
    return book


def _forecasts(policy: Policy, initiatives: Sequence[Initiative],
               calibrations: Sequence[GroupCalibration]) -> tuple[CalibratedForecast, ...]:
    """What the factors do to each initiative's forecast in the next cycle (as the engine applies them)."""
    if policy.calibration is None:
        return ()
    factors = {c.group: c.factor for c in calibrations}
    out = []
    for initiative in sorted(initiatives, key=lambda i: i.id):
        group = group_of(initiative, policy.calibration.group_by)
        factor = factors.get(group) if group is not None else None
        if factor is None or factor == 1 or not initiative.forecast:
            continue
        raw = {k: Decimal(str(v)) for k, v in initiative.forecast.items()}
        out.append(CalibratedForecast(initiative.id, group, factor, raw,  # type: ignore[arg-type]
                                      {k: v * factor for k, v in raw.items()}))
    return tuple(out)
