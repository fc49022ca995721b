"""Effectiveness by format: which kinds and delivery methods turn money into learning and results.

Input is one :class:`BetEvidence` per bet the plan funded (or a review funded later), gathered once from
a quarterly review and its readings by :func:`bets_from_review`: the money (planned, allocated, spent),
the latest reading at or before the period reviewed, the latest defined realisation, and what the review
decided (sunset, completed, scale-up). :func:`by_format` groups them by ``kind`` and by ``delivery``
(an initiative without one is ``unspecified``), independent of how ``[calibration]`` groups forecasters:

- count, planned and spent (sums, exact);
- participants: the latest readings' ``participants`` where read, else the initiative's ``headcount``;
  hours: the latest readings' ``hours`` (shown only when some reading has them);
- completion: mean of the latest readings' ``completion_rate``; learning gain: mean of the latest
  ``post_assessment - pre_assessment`` (readings with both); realisation: mean of the latest defined
  realisations; each over the bets that have one (``n`` of them), 4 places half-even;
- spend per participant = spent / participants;
- benefit per currency unit = the realised benefit of the bets that have one (:mod:`.roi`: a priced KPI
  read) / their fully loaded cost, to the cent (shown only when some bet has a realised benefit).

A column with no data in any group is left out by the renderers (never an invented zero). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.evidence.exact import CENT, quotient
from budgetpolicy.model import Initiative, OutcomeReading
from budgetpolicy.review.periods import parse_period
from budgetpolicy.review.learning import LearningChain
from budgetpolicy.review.quarterly import QuarterReview, ReviewResult
from budgetpolicy.review.realise import Realisation

ZERO = Decimal(0)
PLACES = Decimal("0.0001")
UNSPECIFIED = "unspecified"


@frozen
class BetEvidence:
    """One funded bet with what the review knows of it."""

    initiative: Initiative
    status: str  # the review's: active, completed, completed_below_target, sunset, ...
    planned: Decimal
    allocation: Decimal
    spent: Decimal
    reading: OutcomeReading | None  # the latest at or before the period reviewed
    realisation: Realisation | None  # the latest with a defined value
    quarters_measured: int
    decision: str  # what the review decided, in words ("" when it left the bet as it was)
    chain: LearningChain | None = None  # the review's learning chain of ``reading``: behaviour's trend
    # The realised return (evidence.roi) when the policy prices a KPI this bet read: benefit and fully loaded cost.
    benefit: Decimal | None = None
    loaded_cost: Decimal | None = None

    @property
    def gain(self) -> Decimal | None:
        r = self.reading
        if r is None or r.pre_assessment is None or r.post_assessment is None:
            return None
        return r.post_assessment - r.pre_assessment

    @property
    def participants(self) -> Decimal:
        read = self.reading.participants if self.reading is not None else None
        return Decimal(read) if read is not None else Decimal(self.initiative.headcount)

    @property
    def hours(self) -> Decimal | None:
        return self.reading.hours if self.reading is not None else None


@frozen
class FormatRow:
    """One kind or delivery method."""

    group: str
    count: int
    planned: Decimal
    spent: Decimal
    participants: Decimal
    hours: Decimal | None
    completion: Decimal | None
    completion_n: int
    gain: Decimal | None
    gain_n: int
    realisation: Decimal | None
    realisation_n: int
    benefit: Decimal | None = None  # realised benefit of the bets that have one (evidence.roi)
    benefit_n: int = 0
    benefit_cost: Decimal = ZERO  # their fully loaded cost

    @property
    def benefit_per_unit(self) -> Decimal | None:
        """Realised benefit per currency unit of fully loaded cost, over the bets with a benefit."""
        return quotient(self.benefit, self.benefit_cost, CENT) if self.benefit is not None else None

    @property
    def spend_per_participant(self) -> Decimal | None:
        return (self.spent / self.participants).quantize(Decimal("0.01"), ROUND_HALF_EVEN) \
            if self.participants else None


def mean(values: Sequence[Decimal]) -> Decimal | None:
    return (sum(values, ZERO) / len(values)).quantize(PLACES, ROUND_HALF_EVEN) if values else None


def by_format(bets: Sequence[BetEvidence], by: str) -> tuple[FormatRow, ...]:
    """Rows per ``by`` (``kind`` or ``delivery``), most spent first, then by name."""
    groups: dict[str, list[BetEvidence]] = {}
    for bet in bets:
        key = (bet.initiative.kind if by == "kind" else bet.initiative.delivery) or UNSPECIFIED
        groups.setdefault(key, []).append(bet)
    rows = [_row(name, members) for name, members in groups.items()]
    return tuple(sorted(rows, key=lambda r: (-r.spent, r.group)))


def _row(name: str, bets: Sequence[BetEvidence]) -> FormatRow:
    completion = [b.reading.completion_rate for b in bets if b.reading and b.reading.completion_rate is not None]
    gains = [g for g in (b.gain for b in bets) if g is not None]
    realised = [b.realisation.value for b in bets if b.realisation and b.realisation.value is not None]
    hours = [h for h in (b.hours for b in bets) if h is not None]
    valued = [b for b in bets if b.benefit is not None and b.loaded_cost is not None]
    return FormatRow(name, len(bets), sum((b.planned for b in bets), ZERO), sum((b.spent for b in bets), ZERO),
                     sum((b.participants for b in bets), ZERO), sum(hours, ZERO) if hours else None,
                     mean(completion), len(completion), mean(gains), len(gains), mean(realised), len(realised),
                     sum((b.benefit or ZERO for b in valued), ZERO) if valued else None, len(valued),
                     sum((b.loaded_cost or ZERO for b in valued), ZERO))


def bets_from_review(initiatives: Iterable[Initiative], review: ReviewResult,
                     outcomes: Iterable[OutcomeReading]) -> tuple[BetEvidence, ...]:
    """Every bet the review holds money for (planned, allocated, spent or received), in id order."""
    until = parse_period(review.period)
    latest: dict[str, OutcomeReading] = {}
    for o in outcomes:
        q = parse_period(o.period)
        if q <= until and (o.initiative_id not in latest or parse_period(latest[o.initiative_id].period) <= q):
            latest[o.initiative_id] = o
    realised: dict[str, Realisation] = {}
    measured: dict[str, set[str]] = {}
    for quarter in quarters(review):
        for r in quarter.realisations:
            measured.setdefault(r.initiative_id, set()).add(r.period)
            if r.value is not None:
                realised[r.initiative_id] = r
    words = decisions(review)
    chains = {(c.initiative_id, c.period): c for c in review.learning}
    by_id = {i.id: i for i in initiatives}

    def chain(iid: str) -> LearningChain | None:
        reading = latest.get(iid)
        return chains.get((iid, reading.period)) if reading is not None else None

    return tuple(BetEvidence(by_id[h.initiative_id], h.status, h.planned, h.allocation, h.spent,
                             latest.get(h.initiative_id), realised.get(h.initiative_id),
                             len(measured.get(h.initiative_id, ())), words.get(h.initiative_id, ""),
                             chain(h.initiative_id))
                 for h in review.positions
                 if h.initiative_id in by_id and (h.planned > 0 or h.allocation > 0 or h.spent > 0 or h.received > 0))


def quarters(review: ReviewResult) -> list[QuarterReview | ReviewResult]:
    """Every quarter the review walked, oldest first (the reviewed one is the result itself)."""
    return [*review.history, review]


def decisions(review: ReviewResult) -> dict[str, str]:
    """What the review decided for each bet, latest quarter last (so it wins): sunset, completion,
    scale-up recommendation."""
    out: dict[str, str] = {}
    for quarter in quarters(review):
        for s in quarter.sunsets:
            out[s.initiative_id] = f"sunset in {s.period}: {s.reason}"
        for c in quarter.completions:
            out[c.initiative_id] = f"{c.status.replace('_', ' ')} in {c.period}: {c.reason}"
        for u in quarter.scale_ups:
            out[u.initiative_id] = f"scale up (proven in {u.period}): {u.reason}"
    return out
