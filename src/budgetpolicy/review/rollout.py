"""Pilots and their rollouts: the ``[rollout]`` stage gate, applied by the quarterly review.

A pilot (an initiative with ``pilot = true``) **passes** the gate by quarter q when, counting only its
readings up to q:

- it has a realisation (``review.realise``) in at least ``min_quarters`` quarters; fewer: **unmeasured**;
- its latest realisation is at least ``min_realisation``; below: **failed**;
- with ``min_learning_gain``: the learning gain of its latest reading that gives both assessments
  (``post_assessment - pre_assessment``) is at least ``min_learning_gain``; below: **failed**; no reading
  with both: **unmeasured**.

A rollout (an initiative whose ``rollout_of`` names the pilot) costs, under ``cost = "per_head"`` (the
default), the pilot's cost per participant times the rollout's headcount (``pilot.cost / pilot.headcount x
rollout.headcount``, to the cent, half up); under ``cost = "own"``, its own cost. The year layer
(:mod:`budgetpolicy.year.view`) gives a mid-year rollout request the scaled cost *before* the policy decides
it, so the approval rules see the amount that will be spent (a rollout that scales past 25,000 needs the VP).

Each quarter the review (``review.quarterly``) calls :func:`gate_quarter` after its realisations: every
pilot that passed is listed as eligible, with the numbers; a rollout requested this quarter whose pilot has
not passed is refused with the reason and given nothing; a rollout the plan left unfunded waits (the
review does not fund it as next-ranked) until its pilot passes, and is then ranked at its scaled cost.
Pure, like the rest of the review: no I/O, no clock. Without a ``[rollout]`` section the default gate
applies to rollouts, and no pilot is listed unless a rollout names it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from attrs import evolve, frozen

from budgetpolicy.formatting import money
from budgetpolicy.model import Initiative, OutcomeReading, RolloutPolicy
from budgetpolicy.review.periods import period_name
from budgetpolicy.review.realise import Realisation
from budgetpolicy.review.reallocate import Position, Release

CENT = Decimal("0.01")
DEFAULT_GATE = RolloutPolicy()


@frozen
class PilotGate:
    """A pilot against the stage gate by ``period``: ``passed``, ``failed`` or ``unmeasured``, with its numbers
    (``realisation``: the latest; ``learning_gain``: None when not measured or not part of the gate)."""

    pilot_id: str
    period: str
    status: str
    quarters_measured: int
    realisation: Decimal | None
    learning_gain: Decimal | None
    cost_per_head: Decimal
    reason: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@frozen
class RolloutOutcome:
    """A rollout the review looked at in ``period``: ``eligible`` (its pilot passed: it is funded as a request
    or ranked, at ``cost``), ``refused`` (a request whose pilot failed or is unmeasured: given nothing) or
    ``waiting`` (the plan's rollout, unfunded until its pilot passes)."""

    initiative_id: str
    pilot_id: str
    period: str
    verdict: str
    cost: Decimal
    reason: str


def scaled_cost(rollout: Initiative, pilot: Initiative, settings: RolloutPolicy | None) -> Decimal:
    """What ``rollout`` costs under the gate's ``cost`` rule (see the module docstring)."""
    if (settings or DEFAULT_GATE).cost == "own":
        return rollout.cost
    return (pilot.cost / pilot.headcount * rollout.headcount).quantize(CENT, rounding=ROUND_HALF_UP)


def with_scaled_cost(rollout: Initiative, pilots: Mapping[str, Initiative],
                     settings: RolloutPolicy | None) -> Initiative:
    """``rollout`` with its cost scaled from its pilot (unchanged when it is no rollout or its pilot is unknown)."""
    pilot = pilots.get(rollout.rollout_of) if rollout.rollout_of is not None else None
    if pilot is None:
        return rollout
    cost = scaled_cost(rollout, pilot, settings)
    return rollout if cost == rollout.cost else evolve(rollout, cost=cost)


def judge_pilot(pilot: Initiative, measured: Mapping[int, Realisation], readings: Mapping[int, OutcomeReading],
                settings: RolloutPolicy | None, quarter: int) -> PilotGate:
    """``pilot`` against the gate, from its realisations and readings up to ``quarter`` (keys are quarters)."""
    gate = settings or DEFAULT_GATE
    values = [(q, r.value) for q, r in sorted(measured.items()) if q <= quarter and r.value is not None]
    latest = values[-1][1] if values else None
    gain = _learning_gain(readings, quarter) if gate.min_learning_gain is not None else None
    per_head = (pilot.cost / pilot.headcount).quantize(CENT, rounding=ROUND_HALF_UP)
    counted = f"measured in {len(values)} quarter(s), the gate needs {gate.min_quarters}"
    if len(values) < gate.min_quarters:
        status, why = "unmeasured", counted
    elif gate.min_learning_gain is not None and gain is None:
        status, why = "unmeasured", "no reading gives both pre_assessment and post_assessment for its learning gain"
    elif latest is not None and latest < gate.min_realisation:
        status, why = "failed", f"latest realisation {latest} is below min_realisation {gate.min_realisation}"
    elif gain is not None and gate.min_learning_gain is not None and gain < gate.min_learning_gain:
        status, why = "failed", f"learning gain {gain} is below min_learning_gain {gate.min_learning_gain}"
    else:
        status = "passed"
        why = f"latest realisation {latest} >= {gate.min_realisation}, {counted}" + (
            f", learning gain {gain} >= {gate.min_learning_gain}" if gain is not None else "")
    return PilotGate(pilot.id, period_name(quarter), status, len(values), latest, gain, per_head, why)


def _learning_gain(readings: Mapping[int, OutcomeReading], quarter: int) -> Decimal | None:
    for q in sorted((q for q in readings if q <= quarter), reverse=True):
        reading = readings[q]
        if reading.pre_assessment is not None and reading.post_assessment is not None:
            return reading.post_assessment - reading.pre_assessment
    return None


@frozen
class RolloutStep:
    """One quarter's gate: the pilots listed, the rollouts looked at, and the requests it refused."""

    pilots: tuple[PilotGate, ...]
    rollouts: tuple[RolloutOutcome, ...]
    refused: frozenset[str]
    releases: tuple[Release, ...] = ()


def gate_quarter(settings: RolloutPolicy | None, book: Mapping[str, Position],
                 measured: Mapping[str, Mapping[int, Realisation]],
                 readings: Mapping[tuple[str, int], OutcomeReading], arrived: Collection[str],
                 quarter: int) -> RolloutStep:
    """Judge the pilots by ``quarter``; refuse the rollouts among ``arrived`` (this quarter's requests) whose
    pilot has not passed; release what the plan gave a rollout whose pilot has not passed yet (cause
    ``rollout_gate``); hold the plan's unfunded rollouts (status ``awaiting_pilot``) until the pilot passes,
    then rank them at their scaled cost. Updates ``book`` (its positions are the review's, mutable)."""
    name = period_name(quarter)
    # Only rollouts deciding now: this quarter's requests, the plan's unfunded ones, and the plan's funded
    # ones whose pilot never passed (a later quarter's request is in the book already, as ineligible, and
    # must not change the quarters before it).
    rollouts = [pos for iid, pos in sorted(book.items()) if pos.initiative.rollout_of in book
                and (iid in arrived or pos.status in ("unfunded", "awaiting_pilot")
                     or (pos.status == "active" and pos.received == 0 and pos.initiative.rollout_of is not None
                         and not _passed_before(book[pos.initiative.rollout_of].initiative, measured, readings,
                                                settings, quarter)))]
    named = {pos.initiative.rollout_of for pos in rollouts}
    gates: dict[str, PilotGate] = {}
    for iid, pos in sorted(book.items()):
        if pos.initiative.pilot and (settings is not None or iid in named):
            by_quarter = {q: r for (i, q), r in readings.items() if i == iid}
            gates[iid] = judge_pilot(pos.initiative, measured.get(iid, {}), by_quarter, settings, quarter)
    outcomes: list[RolloutOutcome] = []
    releases: list[Release] = []
    for pos in rollouts:
        pilot_id = pos.initiative.rollout_of
        assert pilot_id is not None
        outcome, release = _decide(pos, gates[pilot_id], book[pilot_id].initiative, settings,
                                   pos.initiative.id in arrived, name)
        outcomes.append(outcome)
        if release is not None and release.amount > 0:
            releases.append(release)
    refused = frozenset(o.initiative_id for o in outcomes if o.verdict == "refused" and o.initiative_id in arrived)
    listed = tuple(g for g in gates.values() if g.passed or g.pilot_id in named)
    return RolloutStep(listed, tuple(outcomes), refused, tuple(releases))


def _decide(pos: Position, gate: PilotGate, pilot: Initiative, settings: RolloutPolicy | None, arrived: bool,
            name: str) -> tuple[RolloutOutcome, Release | None]:
    """One rollout in one quarter (see :func:`gate_quarter`); updates ``pos``."""
    rollout, pilot_id = pos.initiative, pilot.id
    cost = scaled_cost(rollout, pilot, settings)
    basis = _basis(rollout, pilot, settings, cost)
    passed = f"pilot {pilot_id} passed the gate ({gate.reason})"
    not_passed = f"pilot {pilot_id} {gate.status} ({gate.reason})"
    if arrived:
        if gate.passed:
            return RolloutOutcome(rollout.id, pilot_id, name, "eligible", cost,
                                  f"{passed}; {basis}; decided as a new request at that cost"), None
        return RolloutOutcome(rollout.id, pilot_id, name, "refused", cost, f"refused: {not_passed}; not funded"), None
    if pos.status == "active" and not gate.passed:
        # The plan funded it before its pilot was measured: its money goes back until the pilot passes.
        amount = pos.unspent.quantize(CENT, rounding=ROUND_DOWN)
        pos.allocation -= amount
        pos.released += amount
        pos.status = "awaiting_pilot"
        why = f"refused: {not_passed}; the plan's funding is released"
        return (RolloutOutcome(rollout.id, pilot_id, name, "refused", cost, why),
                Release(rollout.id, name, "rollout_gate", None, amount, Decimal(1), amount, why))
    if pos.status == "active":
        return RolloutOutcome(rollout.id, pilot_id, name, "eligible", pos.allocation,
                              f"{passed}; keeps the plan's funding of {money(pos.allocation)}"), None
    if gate.passed:
        pos.status = "unfunded"  # ranked with the next-ranked unfunded, at its scaled cost
        pos.initiative = evolve(rollout, cost=cost) if cost != rollout.cost else rollout
        return RolloutOutcome(rollout.id, pilot_id, name, "eligible", cost,
                              f"{passed}; {basis}; ranked with the unfunded initiatives"), None
    pos.status = "awaiting_pilot"
    return RolloutOutcome(rollout.id, pilot_id, name, "waiting", cost, f"waits: {not_passed}"), None


def _passed_before(pilot: Initiative, measured: Mapping[str, Mapping[int, Realisation]],
                   readings: Mapping[tuple[str, int], OutcomeReading], settings: RolloutPolicy | None,
                   quarter: int) -> bool:
    """Whether ``pilot`` passed the gate in a quarter before ``quarter`` (a rollout funded then keeps it)."""
    mine = measured.get(pilot.id, {})
    by_quarter = {q: r for (i, q), r in readings.items() if i == pilot.id}
    return any(judge_pilot(pilot, mine, by_quarter, settings, q).passed for q in mine if q < quarter)


def _basis(rollout: Initiative, pilot: Initiative, settings: RolloutPolicy | None, cost: Decimal) -> str:
    if (settings or DEFAULT_GATE).cost == "own":
        return f"its own cost {money(cost)} ([rollout] cost = \"own\")"
    return (f"cost {money(cost)} = {money(pilot.cost)} / {pilot.headcount} participants of {pilot.id} x "
            f"{rollout.headcount}")
