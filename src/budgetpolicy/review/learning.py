"""The learning chain: per initiative and quarter, the four levels of evidence from reaction to results.

Run by the quarterly review (``review.quarterly``) over every reading up to the quarter reviewed; the
result carries one :class:`LearningChain` per reading (``ReviewResult.learning``), which the review
output shows and the report renders. The levels (Kirkpatrick), all straight from the readings:

- **reaction**: ``satisfaction`` and ``relevance``, the participants' mean ratings 0..5;
- **learning**: ``pre_assessment`` and ``post_assessment`` (0..100) and their ``gain`` (post - pre, in
  points; None unless both are read), ``pass_rate`` (0..1), ``completion_rate`` (0..1);
- **behaviour**: ``observation``, the managers' rating 0..5, and its ``change`` since the initiative's
  latest earlier observation, as a ``trend``: ``rising`` (change > 0), ``flat`` (0), ``falling`` (< 0),
  ``first`` (no earlier observation) or ``""`` (not observed this quarter);
- **results**: ``realisation``, the KPI realisation against the lift due by the quarter
  (``review.realise``; None when the reading has no KPI the initiative forecasts);
- and the effort: ``hours`` (training hours) and ``participants``.

Nothing is estimated: a level without a reading stays None. The sunset criteria ``completion_below``
and ``no_behaviour_change`` (``review.sunset``) judge the same readings.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from attrs import frozen

from budgetpolicy.model import OutcomeReading
from budgetpolicy.review.periods import period_name
from budgetpolicy.review.realise import Realisation

TRENDS = ("rising", "flat", "falling", "first", "")


@frozen
class LearningChain:
    """One initiative's learning chain in one quarter: reaction, learning, behaviour, results, effort."""

    initiative_id: str
    period: str
    satisfaction: Decimal | None = None
    relevance: Decimal | None = None
    pre_assessment: Decimal | None = None
    post_assessment: Decimal | None = None
    gain: Decimal | None = None
    pass_rate: Decimal | None = None
    completion_rate: Decimal | None = None
    observation: Decimal | None = None
    change: Decimal | None = None  # observation minus the latest earlier one
    trend: str = ""  # one of TRENDS
    realisation: Decimal | None = None
    hours: Decimal | None = None
    participants: int | None = None


def learning_chains(readings: Mapping[tuple[str, int], OutcomeReading],
                    measured: Mapping[str, Mapping[int, Realisation]], until: int) -> tuple[LearningChain, ...]:
    """The chain of every reading of a quarter up to ``until``, by initiative then quarter.

    ``readings`` maps (initiative id, quarter ordinal) to the reading; ``measured`` each initiative's
    realisation per quarter (as the review computed it).
    """
    out: list[LearningChain] = []
    last_seen: dict[str, Decimal] = {}
    for iid, q in sorted(k for k in readings if k[1] <= until):
        r = readings[(iid, q)]
        change, trend = _behaviour(r.observation, last_seen.get(iid))
        if r.observation is not None:
            last_seen[iid] = r.observation
        gain = r.post_assessment - r.pre_assessment \
            if r.pre_assessment is not None and r.post_assessment is not None else None
        realised = measured.get(iid, {}).get(q)
        out.append(LearningChain(iid, period_name(q), r.satisfaction, r.relevance, r.pre_assessment,
                                 r.post_assessment, gain, r.pass_rate, r.completion_rate, r.observation, change,
                                 trend, realised.value if realised is not None else None, r.hours, r.participants))
    return tuple(out)


def _behaviour(observation: Decimal | None, earlier: Decimal | None) -> tuple[Decimal | None, str]:
    if observation is None:
        return None, ""
    if earlier is None:
        return None, "first"
    change = observation - earlier
    return change, "rising" if change > 0 else "falling" if change < 0 else "flat"
