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
   then the ``[rollout]`` stage gate (``review.rollout``): pilots judged, rollouts of pilots that have
   not passed refused or held, those of passed pilots ranked at their scaled cost;
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
from collections.abc import Mapping, Sequence
from decimal import Decimal

from attrs import field, frozen

from budgetpolicy.errors import Location, ReviewError
from budgetpolicy.model import ADDED_LATER, Decision, FrozenMap, Initiative, OutcomeReading, Policy, frozen_map
from budgetpolicy.review.periods import parse_period, period_name
from budgetpolicy.review.inputs import CheckedInputs, check_inputs
from budgetpolicy.review.calibrate import GroupCalibration, NormalisedRating, calibrate, group_of, \
    normalise_ratings
from budgetpolicy.review.complete import Completion, check_completion
from budgetpolicy.review.learning import LearningChain, learning_chains
from budgetpolicy.review.milestones import due_lifts
from budgetpolicy.review.reallocate import Gate, Position, Purse, Reallocation, Release, ScaleUp, redistribute, \
    release_funds, release_unsigned
from budgetpolicy.review.realise import Realisation, realise
from budgetpolicy.review.rollout import PilotGate, RolloutOutcome, gate_quarter
from budgetpolicy.review.signoffs import SignState, YearView
from budgetpolicy.review.sunset import Sunset, check_sunset

ZERO = Decimal(0)
FUNDABLE = ("approved", "pending_approval")
WAITING = ("approved", "pending_approval", "deferred")


@frozen
class MoneySummary:
    released: Decimal
    redistributed: Decimal
    returned_to_pool: Decimal
    # What the [requests] reserve gave new requests (budget year; None when none was given).
    reserve_used: Decimal | None = field(default=None, metadata=ADDED_LATER)


@frozen
class RequestOutcome:
    """A new request reviewed with a quarter: what the policy decided and what it was given."""

    initiative_id: str
    period: str
    outcome: str
    score: Decimal
    expected_value: Decimal
    required_approvers: tuple[str, ...]
    funded: Decimal
    reason: str


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
    requests: tuple[RequestOutcome, ...] = field(default=(), metadata=ADDED_LATER)
    # The [rollout] stage gate (review.rollout): pilots that passed (or that a rollout names), and rollouts.
    pilots: tuple[PilotGate, ...] = field(default=(), metadata=ADDED_LATER)
    rollouts: tuple[RolloutOutcome, ...] = field(default=(), metadata=ADDED_LATER)


@frozen
class Holding:
    """Where one initiative stands after the review."""

    initiative_id: str
    # active | unfunded | ineligible | completed | completed_below_target | sunset; from the ledger also
    # refused | lapsed (released unsigned) | requested (a new request not funded); with rollouts also
    # awaiting_pilot (a rollout waiting for its pilot to pass the [rollout] gate)
    status: str
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
    requests: tuple[RequestOutcome, ...] = field(default=(), metadata=ADDED_LATER)
    # The [rollout] stage gate (review.rollout): pilots that passed (or that a rollout names), and rollouts.
    pilots: tuple[PilotGate, ...] = field(default=(), metadata=ADDED_LATER)
    rollouts: tuple[RolloutOutcome, ...] = field(default=(), metadata=ADDED_LATER)
    # The learning chain of every reading up to ``period``, by initiative then quarter (review.learning).
    learning: tuple[LearningChain, ...] = field(default=(), metadata=ADDED_LATER)

    @property
    def factors(self) -> dict[str, Decimal]:
        """``{group: factor}`` for ``EvaluationContext(calibration=...)`` of the next cycle."""
        return {c.group: c.factor for c in self.calibrations}


def review(policy: Policy, initiatives: Sequence[Initiative], plan: Sequence[Decision],
           outcomes: Sequence[OutcomeReading], period: str, year: YearView | None = None) -> ReviewResult:
    """Review every quarter up to ``period`` from ``plan`` and ``outcomes``; see the module docstring.
    ``year`` (from the ledger: :mod:`budgetpolicy.review.signoffs`) brings sign-offs and new requests;
    ``initiatives`` then include the requests' initiatives."""
    target = parse_period(period, Location(key="period"))
    checked = check_inputs(policy, initiatives, plan, outcomes)
    quarters = sorted({q for (_, q) in checked.readings if q <= target})
    if not quarters:
        raise ReviewError(f"no outcome reading at or before {period}", Location(key="period"),
                          hint="choose a later --period or add readings for it", code="BP705")
    first = quarters[0]
    by_id = {i.id: i for i in initiatives}
    book = _open_book(initiatives, checked.decisions, checked.starts, first, year is not None)
    measured: dict[str, dict[int, Realisation]] = defaultdict(dict)
    every: list[Realisation] = []
    reviews: list[QuarterReview] = []
    purse = Purse(ZERO, policy.requests.reserve, policy.requests.kinds) if policy.requests is not None else Purse(ZERO)
    for q in range(first, target + 1):
        reviews.append(_quarter(policy, by_id, book, checked, measured, every, q, year, purse))
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
        history=tuple(reviews[:-1]), completions=last.completions, requests=last.requests,
        pilots=last.pilots, rollouts=last.rollouts, learning=learning_chains(checked.readings, measured, target),
    )


def _quarter(policy: Policy, by_id: dict[str, Initiative], book: dict[str, Position], checked: CheckedInputs,
             measured: dict[str, dict[int, Realisation]], every: list[Realisation], q: int,
             year: YearView | None, purse: Purse) -> QuarterReview:
    name = period_name(q)
    state = year.at(q) if year is not None else SignState()
    arrived = _arrivals(book, year, q, checked.starts)
    if year is not None:
        _apply_signatures(book, state)
    realisations, finished = _realise(policy, by_id, book, checked, measured, q)
    gated = gate_quarter(policy.rollout, book, measured, checked.readings, {i.id for i, _ in arrived}, q)
    every.extend(realisations[i] for i in sorted(realisations))
    calibrations = calibrate(every, by_id, policy.calibration, name) if policy.calibration is not None else ()
    completions, sunsets = _ends(policy, book, measured, finished, q, checked.by_initiative)
    sunset_ids = {s.initiative_id for s in sunsets}
    for s in sunsets:
        book[s.initiative_id].status = "sunset"
    for c in completions:
        book[c.initiative_id].status = c.status
    positions = [book[i] for i in sorted(book)]
    completion = {iid: r.completion_rate for (iid, at), r in checked.readings.items()
                  if at == q and r.completion_rate is not None}
    releases = release_funds(positions, realisations, sunset_ids, {c.initiative_id: c.status for c in completions},
                             policy.reallocation, name, completion) + list(gated.releases)
    if policy.signoff is not None and policy.signoff.release_unsigned_at == name:
        releases += release_unsigned(positions, name)
    released = sum((r.amount for r in releases), ZERO)
    purse.left = released
    used_before = purse.reserve_used
    gate = Gate(year, state, policy.signoff is not None and policy.signoff.reallocate_to_unsigned)
    fundable = [book[d.initiative_id] for _, d in arrived
                if d.outcome in FUNDABLE and d.initiative_id not in gated.refused]
    moves, scale_ups, returned = redistribute(released, positions, realisations, policy.reallocation,
                                              policy.allocation, q, name, gate, fundable, purse)
    used = purse.reserve_used - used_before
    summary = MoneySummary(released, released - returned, returned, used if arrived else None)
    return QuarterReview(name, tuple(realisations[i] for i in sorted(realisations)), calibrations,
                         tuple(sunsets), tuple(releases), tuple(moves), tuple(scale_ups), summary, tuple(completions),
                         _request_outcomes(arrived, moves, name, {r.initiative_id: r.reason for r in gated.rollouts
                                                                  if r.verdict == "refused"}),
                         gated.pilots, gated.rollouts)


def _arrivals(book: dict[str, Position], year: YearView | None, q: int,
              starts: dict[str, int | None]) -> list[tuple[Initiative, Decision]]:
    """Quarter q's new requests join the book: not running before the quarter after the review at the
    earliest, with the decision the policy gave them."""
    arrived = list(year.requests.get(q, ())) if year is not None else []
    for initiative, decision in arrived:
        start = max(starts.get(initiative.id) or q + 1, q + 1)
        required = decision.required_approvers if decision.outcome == "pending_approval" else ()
        book[initiative.id] = Position(initiative, "requested", ZERO, ZERO, start, decision.expected_value,
                                       decision.score, required=required)
    return arrived


def _apply_signatures(book: dict[str, Position], state: SignState) -> None:
    """The sign-offs and refusals recorded before the quarter's review: a refused plan decision gives up its
    money (the refusal returned it to the pool), a reallocation is cleared once every role it awaits has
    signed and withdrawn when one refuses; money still awaiting a role is held."""
    for iid in sorted(book):
        pos = book[iid]
        signed, refused = state.signed_roles(iid), state.refused_roles(iid)
        if pos.required and pos.status in ("active", "unfunded"):
            if any(role in refused for role in pos.required):
                pos.status, pos.allocation, pos.plan_held = "refused", ZERO, False
                for move in pos.pending:
                    move.withdrawn = True
                continue
            pos.plan_held = pos.status == "active" and any(role not in signed for role in pos.required)
        for move in pos.pending:
            if not move.held:
                continue
            if any(role in refused for role in move.awaiting):
                move.withdrawn = True
                pos.allocation -= min(move.amount, pos.allocation)
            elif all(role in signed for role in move.awaiting):
                move.cleared = True


def _request_outcomes(arrived: Sequence[tuple[Initiative, Decision]], moves: Sequence[Reallocation],
                      period: str, refused: Mapping[str, str]) -> tuple[RequestOutcome, ...]:
    given = {m.initiative_id: m.amount for m in moves if m.kind == "request"}
    out = []
    for initiative, decision in sorted(arrived, key=lambda pair: pair[0].id):
        funded = given.get(initiative.id, ZERO)
        if decision.outcome not in FUNDABLE:
            why = f"{decision.outcome} by the policy: " + "; ".join(r.message for r in decision.reasons[:3])
        elif initiative.id in refused:  # a rollout whose pilot has not passed the [rollout] gate
            why = refused[initiative.id]
        elif funded > 0:
            why = f"funded {funded} of {initiative.cost}"
        else:
            why = "not funded: no released money or reserve left for at least its minimum viable funding"
        out.append(RequestOutcome(initiative.id, period, decision.outcome, decision.score, decision.expected_value,
                                  decision.required_approvers, funded, why))
    return tuple(out)


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
          finished: set[str], q: int, readings: Mapping[str, Mapping[int, OutcomeReading]]
          ) -> tuple[list[Completion], list[Sunset]]:
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
        sunset = check_sunset(iid, criteria, q, pos.start, pos.initiative.horizon, measured[iid],
                              readings.get(iid)) if criteria else None
        if sunset is not None:
            sunsets.append(sunset)
    return completions, sunsets


def _plan_amount(decision: Decision | None) -> Decimal:
    if decision is None or decision.outcome not in FUNDABLE or decision.funding is None:
        return ZERO
    return max(decision.funding.amount, ZERO)


def _open_book(initiatives: Sequence[Initiative], decisions: dict[str, Decision], starts: dict[str, int | None],
               first: int, signing: bool = False) -> dict[str, Position]:
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
        required = decision.required_approvers if signing and decision is not None \
            and decision.outcome == "pending_approval" else ()
        book[initiative.id] = Position(initiative, status, amount, amount, first if start is None else start,
                                       decision.expected_value if decision is not None else None,
                                       decision.score if decision is not None else ZERO, required=required)
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
