"""Frozen value objects for everything the engine reads and produces.

Built only at the edges (the policy loader, the data sources, the ledger
reader) and passed inward immutable. Money and scores are ``Decimal``.

This module is over 400 lines because it is the one vocabulary every stage shares: the policy's
values, the data's, and the decisions'. Kept together, a reader finds any value the pipeline passes
in one place, and a field added here is visible beside everything that holds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from decimal import Decimal
from typing import Any, Literal

from attrs import field, frozen

from budgetpolicy.errors import Location

Direction = Literal["higher", "lower"]
Effect = Literal["approve", "reject", "require", "flag"]
Outcome = Literal["approved", "rejected", "pending_approval", "deferred", "sunset"]

OUTCOMES: tuple[str, ...] = ("approved", "rejected", "pending_approval", "deferred", "sunset")
EFFECTS: tuple[str, ...] = ("approve", "reject", "require", "flag")
KINDS: tuple[str, ...] = (
    "training", "coaching", "workshop", "microlearning", "experiential", "mentoring",
    "certification", "stretch", "pilot", "conference",
)


class FrozenMap(Mapping[str, Any]):
    """An immutable, hashable, insertion-ordered mapping for frozen attrs classes."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    # Direct forms of Mapping's mixins (which go through __getitem__): scorers call these per initiative.
    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def items(self) -> ItemsView[str, Any]:
        return self._data.items()

    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[Any]:
        return self._data.values()

    def as_dict(self) -> dict[str, Any]:
        """A new plain dict with the same items (a C-level copy, unlike ``dict(mapping)``)."""
        return self._data.copy()

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if other.__class__ is FrozenMap:  # the common case (attrs' __eq__ of two values): no copies
            return self is other or self._data == other._data
        if isinstance(other, Mapping):
            return self._data == (other if other.__class__ is dict else dict(other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def frozen_map(value: Mapping[str, Any] | None) -> FrozenMap:
    # The exact-class test first: isinstance against an ABC subclass is slow, and this runs per trace.
    return value if value.__class__ is FrozenMap or isinstance(value, FrozenMap) else FrozenMap(value)


def milestone_map(value: Mapping[str, Mapping[str, Any]] | None) -> FrozenMap:
    """Quarter -> (priority id -> lift), frozen at both levels."""
    return FrozenMap({period: frozen_map(lifts) for period, lifts in (value or {}).items()})


# Metadata of a field added after values were hashed and recorded: canonical JSON (hashes, ledger
# payloads) leaves it out while it is empty or None, so the values written before it existed keep their hash.
ADDED_LATER: Mapping[str, Any] = {"omit_when_empty": True}


# ---------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------


@frozen
class KPI:
    """How a priority is measured: a metric in a unit, which direction is better, baseline and target."""

    metric: str
    unit: str
    direction: Direction
    baseline: Decimal
    target: Decimal

    @property
    def gap(self) -> Decimal:
        """Distance from baseline to target in the good direction (always >= 0 when valid)."""
        return (self.target - self.baseline) if self.direction == "higher" else (self.baseline - self.target)


@frozen
class Priority:
    """A performance priority of the period: its KPI, its weight in expected value, its sponsor."""

    id: str
    name: str
    kpi: KPI
    weight: Decimal
    sponsor: str | None = None
    # Money per KPI unit per year (Phillips level 5): expected value, benefit and ROI in the policy's
    # currency (evidence/value.py). ``value_unit``, when given, must name the KPI's unit (checked, BP670).
    value_per_unit: Decimal | None = field(default=None, metadata=ADDED_LATER)
    value_unit: str | None = field(default=None, metadata=ADDED_LATER)


@frozen
class Criterion:
    """One rubric line: a scorer (by name), its weight and its parameters."""

    id: str
    scorer: str
    weight: Decimal
    params: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    description: str | None = None
    # Across the portfolio: "rank" or "minmax" rescales the raw scores so the criterion's effective weight
    # matches its declared one (engine/portfolio.py); None: the raw scores as the scorer gives them.
    normalise: Literal["rank", "minmax"] | None = field(default=None, metadata=ADDED_LATER)


@frozen
class Scoring:
    """The rubric: criteria, how their weights combine, and the precision scores are rounded to."""

    criteria: tuple[Criterion, ...] = ()
    # "normalise": divide by the weight sum; "strict": weights must sum to 1 (validated).
    weights: Literal["normalise", "strict"] = "strict"
    precision: int = 6


@frozen
class Rule:
    """One approval rule: a condition (expression text) and its effect, in force between two dates."""

    id: str
    condition: str
    effect: Effect
    message: str
    role: str | None = None
    reason: str | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    location: Location = field(factory=Location, eq=False)

    def in_force(self, on: dt.date | None) -> bool:
        if on is None:
            return True
        if self.effective_from is not None and on < self.effective_from:
            return False
        return not (self.effective_until is not None and on > self.effective_until)


@frozen
class Approval:
    rules: tuple[Rule, ...] = ()


@frozen
class Baseline:
    """A floor: at least ``amount`` goes to initiatives matching ``role``/``department``/``kind``."""

    id: str
    amount: Decimal
    role: str | None = None
    department: str | None = None
    kind: str | None = None
    reason: str | None = None


@frozen
class Reserve:
    kinds: tuple[str, ...] = ("stretch", "pilot")
    share: Decimal | None = None
    amount: Decimal | None = None
    include_pilots: bool = True
    release_unused: bool = True
    reason: str | None = None


@frozen
class Caps:
    per_initiative: Decimal | None = None
    per_department: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    per_kind: FrozenMap = field(factory=FrozenMap, converter=frozen_map)


@frozen
class AllocationPolicy:
    pool: Decimal
    strategy: str = "greedy"
    value: Literal["expected_value", "score"] = "expected_value"
    unit: Decimal = Decimal("1")
    rounding: Literal["down", "half_even"] = "down"
    partial: bool = True
    min_viable: Decimal = Decimal("0")
    min_viable_share: Decimal = Decimal("0")
    tie_break: tuple[str, ...] = ("score", "id")
    baselines: tuple[Baseline, ...] = ()
    reserve: Reserve | None = None
    caps: Caps = field(factory=Caps)
    # The optimal strategy's solver limits: seconds before it returns its best allocation so far, and the
    # relative gap to the proven bound at which it may stop (None: no limit, an exact optimum).
    time_limit: Decimal | None = field(default=None, metadata=ADDED_LATER)
    mip_gap: Decimal | None = field(default=None, metadata=ADDED_LATER)


@frozen
class CalibrationPolicy:
    group_by: str = "department"
    lookback_quarters: int = 4
    shrinkage: Decimal = Decimal("0.5")
    min_factor: Decimal = Decimal("0.5")
    max_factor: Decimal = Decimal("1.5")
    normalise_ratings: Literal["none", "zscore", "percentile"] = "none"


@frozen
class ReallocationPolicy:
    release_below: Decimal = Decimal("0.5")
    release_share: Decimal = Decimal("1")
    release_finished_unspent: bool = True
    scale_above: Decimal = Decimal("1.0")
    scale_max_share: Decimal = Decimal("0.5")
    reason: str | None = None
    # The learning chain: a completion rate under it releases funds as a low realisation does (None: never).
    release_completion_below: Decimal | None = field(default=None, metadata=ADDED_LATER)


@frozen
class SunsetCriterion:
    id: str
    kind: Literal["realisation_below", "no_measurement", "horizon_passed", "completion_below", "no_behaviour_change"]
    threshold: Decimal | None = None
    quarters: int = 1
    reason: str | None = None


@frozen
class SunsetPolicy:
    criteria: tuple[SunsetCriterion, ...] = ()


@frozen
class MilestonePolicy:
    """``[milestones]``: the lift due by each quarter of a horizon, where an initiative declares none."""

    ramp: Literal["linear", "back-loaded", "none"] = "linear"
    completed_at: Decimal = Decimal("1")  # a finished bet's latest realisation at or above it: completed


@frozen
class SpendPolicy:
    """``[spend]``: how ``review --ledger`` reconciles each reading's spend with the initiative's position."""

    tolerance: Decimal = Decimal(0)  # share of the allocation that may be spent beyond it
    on_mismatch: Literal["error", "flag"] = "error"  # refuse the review, or record the reading with flags


# The candidate rubric of stretch assignments: three ratings of the person, three of the person on the assignment.
STRETCH_CRITERIA = ("learning_agility", "collaboration", "risk_tolerance", "impact", "likelihood", "support")


@frozen
class StretchPolicy:
    """``[stretch]``: how ``stretch select`` scores candidates and which capacities a selection respects
    (docs/stretch.md)."""

    weights: FrozenMap = field(converter=frozen_map)  # criterion (STRETCH_CRITERIA) -> weight >= 0
    mentors: tuple[tuple[str, int], ...]  # (mentor name, mentees at once), as listed
    seats: tuple[tuple[str, int], ...] = ()  # (assignment id, people it takes), as listed; default 1
    scale: Decimal = Decimal(5)  # ratings run 0..scale
    max_load: Decimal = Decimal(1)  # a person's time commitments together, as a share of their capacity
    max_concurrent: int = 1  # stretch assignments a person holds at once
    groups: tuple[str, ...] = ()  # candidate attributes besides department whose selection rates are shown
    min_impact_ratio: Decimal = Decimal("0.8")  # a group's rate / the highest rate below it is flagged
    strategy: Literal["optimal", "greedy"] = "optimal"

    def capacity(self, mentor: str) -> int | None:
        """Mentees ``mentor`` takes at once (the first listing), None for a mentor the policy does not list."""
        return next((c for name, c in self.mentors if name == mentor), None)

    def seats_of(self, assignment: str) -> int:
        return next((n for name, n in self.seats if name == assignment), 1)


@frozen
class SignoffPolicy:
    """``[signoff]``: what the budget year does with money awaiting a sign-off."""

    release_unsigned_at: str | None = None  # the quarter whose review releases earmarks still unsigned
    reallocate_to_unsigned: bool = False  # whether bets awaiting a sign-off receive reallocations


@frozen
class RequestsPolicy:
    """``[requests]``: new initiatives reviewed mid-year, and the reserve held back for them."""

    reserve: Decimal = Decimal(0)  # held back from the plan's pool for mid-year requests
    kinds: tuple[str, ...] = ()  # the kinds the reserve funds (released money funds any kind)


@frozen
class RolloutPolicy:
    """``[rollout]``: the stage gate a pilot passes before its rollout is funded, and a rollout's cost."""

    min_realisation: Decimal = Decimal(1)  # the pilot's latest realisation must reach it
    min_quarters: int = 2  # quarters with a realisation, up to the quarter reviewed
    min_learning_gain: Decimal | None = None  # post - pre assessment of the latest reading with both
    cost: Literal["per_head", "own"] = "per_head"  # pilot cost per head x rollout headcount, or its own


@frozen
class EvidencePolicy:
    """``[evidence]``: the defaults of the money value of outcomes (Phillips ROI, docs/evidence.md): the share
    of a realised lift attributed to the initiative, the confidence in that estimate, the cost of a participant
    hour, and how many years of benefit a programme counts."""

    attribution: Decimal = Decimal(1)  # 0..1, a reading's own ``attribution`` wins
    confidence: Decimal = Decimal(1)  # 0..1, a reading's own ``confidence`` wins
    hourly_cost: Decimal = Decimal(0)  # money per participant hour, added to the spend (fully loaded cost)
    max_benefit_years: Decimal = Decimal(1)  # years of benefit counted for a programme over 4 quarters


@frozen
class PolicyTest:
    """An expected decision kept beside the policy (``[[tests]]`` or ``*_test.toml``)."""

    name: str
    initiative: FrozenMap = field(converter=frozen_map)
    expect: FrozenMap = field(converter=frozen_map)
    location: Location = field(factory=Location, eq=False)


@frozen
class PolicySource:
    """Where a policy came from and the sha256 of its canonical content."""

    path: str
    sha256: str
    text: str = field(repr=False, eq=False)
    revision: str | None = None


@frozen
class Policy:
    """A checked policy: priorities, rubric, approval rules and who holds each approver role, allocation,
    calibration, reallocation and sunset settings, policy tests, and where it came from (its source and
    content hash)."""

    id: str
    version: str
    effective_date: dt.date
    currency: str
    priorities: tuple[Priority, ...]
    scoring: Scoring
    approval: Approval
    # Role name -> the holders who may sign off for it (a tuple of ids or names), from ``[roles]``.
    roles: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    metadata: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    effective_until: dt.date | None = None
    plugins: tuple[str, ...] = ()
    attributes: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    allocation: AllocationPolicy | None = None
    calibration: CalibrationPolicy | None = None
    reallocation: ReallocationPolicy | None = None
    sunset: SunsetPolicy | None = None
    milestones: MilestonePolicy | None = field(default=None, metadata=ADDED_LATER)  # None: the defaults
    spend: SpendPolicy | None = field(default=None, metadata=ADDED_LATER)  # None: the defaults
    signoff: SignoffPolicy | None = field(default=None, metadata=ADDED_LATER)  # None: the defaults
    requests: RequestsPolicy | None = field(default=None, metadata=ADDED_LATER)  # None: no reserve
    stretch: StretchPolicy | None = field(default=None, metadata=ADDED_LATER)  # None: no stretch selection
    rollout: RolloutPolicy | None = field(default=None, metadata=ADDED_LATER)  # None: no stage gate
    evidence: EvidencePolicy | None = field(default=None, metadata=ADDED_LATER)  # None: the defaults
    # [currency] rates: code -> policy-currency units per unit of it (initiatives are converted on load)
    currency_rates: FrozenMap = field(factory=FrozenMap, converter=frozen_map, metadata=ADDED_LATER)
    tests: tuple[PolicyTest, ...] = ()
    source: PolicySource | None = None

    def priority(self, priority_id: str) -> Priority | None:
        """The priority with id ``priority_id``, or None when the policy has none by that id."""
        for p in self.priorities:
            if p.id == priority_id:
                return p
        return None


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@frozen
class Initiative:
    """One development bet as read from the data: cost, linked priorities, forecast lift per KPI,
    probability of success, horizon, rubric ratings, evaluation plan and custom attributes."""

    id: str
    title: str
    kind: str
    department: str
    cost: Decimal
    role: str | None = None
    currency: str | None = None
    headcount: int = 1
    priorities: tuple[str, ...] = ()
    forecast: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    probability: Decimal = Decimal("0.5")
    horizon: int = 4
    objectives: tuple[str, ...] = ()
    delivery: str | None = None
    evaluation_plan: tuple[str, ...] = ()
    sponsor: str | None = None
    mentor: str | None = None
    pilot: bool = False
    ratings: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    attributes: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    start: str | None = None
    # Quarter -> priority id -> lift due by the end of that quarter (review/milestones.py).
    milestones: FrozenMap = field(factory=FrozenMap, converter=milestone_map, metadata=ADDED_LATER)
    # The pilot this initiative rolls out ([rollout] stage gate, review/rollout.py).
    rollout_of: str | None = field(default=None, metadata=ADDED_LATER)
    # Set by the data stage when the cost was converted into the policy currency: the currency,
    # amount and rate given ({"currency": "EUR", "amount": 40000, "rate": 1.08}), kept for the audit.
    conversion: FrozenMap = field(factory=FrozenMap, converter=frozen_map, metadata=ADDED_LATER)
    location: Location = field(factory=Location, eq=False)


# The learning chain's readings added to OutcomeReading later (docs/evidence.md), in record order.
LEARNING_READINGS = ("satisfaction", "relevance", "pass_rate", "hours", "participants")
# Every reading added to OutcomeReading later, in record order: the learning chain's, then the isolation of
# effects a reading may state for its initiative (Phillips: the share of the lift attributed to it, the
# confidence in that estimate; each 0..1, else the policy's [evidence] defaults).
ADDED_READINGS = (*LEARNING_READINGS, "attribution", "confidence")


@frozen
class OutcomeReading:
    """What was measured for one initiative in one quarter: KPI values, the learning chain's readings
    (reaction, learning, behaviour; training hours and participants), completion, spend."""

    initiative_id: str
    period: str
    kpis: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    pre_assessment: Decimal | None = None
    post_assessment: Decimal | None = None
    completion_rate: Decimal | None = None
    observation: Decimal | None = None
    spend_to_date: Decimal | None = None
    finished: bool = False
    location: Location = field(factory=Location, eq=False)
    # The learning chain's readings added later (docs/evidence.md): reaction ratings 0..5, the share
    # who passed 0..1, training hours and participants. Left out of records while unset, so the
    # readings recorded before them keep their bytes and hashes.
    satisfaction: Decimal | None = field(default=None, metadata=ADDED_LATER)
    relevance: Decimal | None = field(default=None, metadata=ADDED_LATER)
    pass_rate: Decimal | None = field(default=None, metadata=ADDED_LATER)
    hours: Decimal | None = field(default=None, metadata=ADDED_LATER)
    participants: int | None = field(default=None, metadata=ADDED_LATER)
    attribution: Decimal | None = field(default=None, metadata=ADDED_LATER)
    confidence: Decimal | None = field(default=None, metadata=ADDED_LATER)
    # Where a field came from when sources were merged (data/merge.py) and it was not this reading's own
    # row: field name ("spend_to_date", "kpi.<id>") -> Location. Like location, not part of the value.
    origins: FrozenMap = field(factory=FrozenMap, converter=frozen_map, eq=False)

    def origin(self, name: str) -> Location:
        """Where field ``name`` was read: its source row when merged from another source, else this
        reading's location; with the field named, for a diagnostic."""
        place: Location = self.origins.get(name, self.location)
        return place.evolve(field=name)


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------


@frozen
class ScoreLine:
    """One rubric criterion's part of a score: its raw value in 0..1, weight and weighted value."""

    criterion: str
    scorer: str
    weight: Decimal
    raw: Decimal
    weighted: Decimal
    detail: str = ""


@frozen
class RuleTrace:
    """What one approval rule did: fired, did not fire, was not reached, or not in force."""

    rule_id: str
    effect: str
    status: Literal["fired", "not_fired", "not_reached", "not_in_force"]
    message: str = ""
    role: str | None = None
    seen: FrozenMap = field(factory=FrozenMap, converter=frozen_map)


@frozen
class Reason:
    """Why a rule changed a decision: the rule id and its message (a filled reason template)."""

    code: str
    message: str


@frozen
class Funding:
    """What allocation gave an initiative: amount, request, the step that decided it and why."""

    amount: Decimal
    requested: Decimal
    step: str
    rank: int | None = None
    explanation: str = ""


@frozen
class Provenance:
    """What a decision was made under: the policy version and hash, the input hash, engine and plugin
    versions, and the evaluation time (injected, so a replay is exact)."""

    policy_id: str
    policy_version: str
    policy_sha256: str
    input_sha256: str
    engine_version: str
    plugins: tuple[tuple[str, str], ...] = ()
    evaluated_at: str = ""
    as_of: str | None = None
    conversion: FrozenMap = field(factory=FrozenMap, converter=frozen_map, metadata=ADDED_LATER)  # the input's


@frozen
class FunctionCall:
    """One call a decision's rules made to a plugin's expression function, recorded so that replay can
    reuse (hermetic) or check (live) its result: the function, the plugin that registered it, the
    arguments and the result, as expression values (Decimal, str, bool, None, tuples, maps)."""

    function: str
    plugin: str
    args: tuple[Any, ...]
    result: Any


@frozen
class Decision:
    """What the engine settled for one initiative: outcome, score, sign-offs, reasons, funding, provenance.

    Why it came out so (score lines, rule traces, narrative, counterfactuals) is an
    :class:`Explanation`, built on request by the evaluation that made the decision.

    Attributes: ``initiative_id``; ``outcome`` (approved, rejected, pending_approval, deferred, sunset);
    ``score`` (the rubric score, 0..1) and ``expected_value`` (Decimals); ``required_approvers`` (roles
    that must sign off); ``flags``; ``reasons`` (a ``Reason`` per rule that changed the decision: rule
    id and message); ``funding`` (a ``Funding``: amount, requested, the allocation step and why; None
    when no allocation ran; ``allocation`` is its amount or 0); ``provenance`` (policy id, version and
    hash, input hash, engine and plugin versions, evaluation time); ``calibration`` (the forecast
    calibration applied before scoring); ``calls`` (each plugin expression-function call its rules made, a
    ``FunctionCall``, recorded in the ledger for replay). ``Evaluation.to_records()`` flattens decisions into rows.
    """

    initiative_id: str
    outcome: str
    score: Decimal
    expected_value: Decimal
    required_approvers: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()
    funding: Funding | None = None
    provenance: Provenance | None = None
    # Forecast calibration applied before scoring: group, factor, raw and calibrated forecasts.
    calibration: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    # The plugin expression-function calls its rules made (empty unless they call a plugin's function).
    calls: tuple[FunctionCall, ...] = field(default=(), metadata=ADDED_LATER)

    @property
    def allocation(self) -> Decimal:
        """The amount allocated to the initiative (0 when unfunded or when the cycle ran no allocation)."""
        return self.funding.amount if self.funding else Decimal("0")


@frozen
class Explanation:
    """Why a decision came out as it did: expensive to build and optional, so built only when asked for
    (``Evaluation.explanation(initiative_id)``, ``CompiledPolicy.explain``)."""

    scores: tuple[ScoreLine, ...] = ()
    rules: tuple[RuleTrace, ...] = ()
    narrative: str = ""
    counterfactuals: tuple[str, ...] = ()


def explained(decision: Decision, explanation: Explanation) -> dict[str, Any]:
    """The decision's fields and its explanation's, by name: the record that the JSON output, the ledger
    and replay comparisons hold for one decision (the same keys a decision carried before they split)."""
    return {"initiative_id": decision.initiative_id, "outcome": decision.outcome, "score": decision.score,
            "expected_value": decision.expected_value, "scores": explanation.scores,
            "required_approvers": decision.required_approvers, "flags": decision.flags,
            "reasons": decision.reasons, "rules": explanation.rules, "funding": decision.funding,
            "narrative": explanation.narrative, "provenance": decision.provenance,
            "counterfactuals": explanation.counterfactuals, "calibration": decision.calibration}
