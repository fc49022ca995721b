"""Calibration: each forecaster group's track record, as a factor for its next forecasts.

Run by the quarterly review (``review.quarterly``) after realisation. For the
review quarter q and ``[calibration]`` settings (N = ``lookback_quarters``,
w = ``shrinkage``):

1. The window is the N quarters q-N+1 .. q. Every realisation in the window
   of an initiative in group g (``group_by``: an initiative field such as
   ``department``, or a custom attribute) that has at least one KPI with a
   forecast and a reading is one observation.
2. ``raw = sum(weighted) / sum(weight)`` over the group's observations: the
   forecast-weighted mean realisation (see ``review.realise``), i.e.
   realised lift / forecast lift pooled over initiatives, KPIs and quarters.
3. ``shrunk = w * 1 + (1 - w) * raw``: w = 1 ignores history, w = 0 trusts it
   fully, so one bad quarter of a small group does not dominate.
4. ``factor = min(max(shrunk, min_factor), max_factor)``.

raw and shrunk are rounded half-even to 4 decimal places. Groups without an
observation in the window get no entry (the engine then uses factor 1).
The factors feed the next funding cycle:
``EvaluationContext(calibration={group: factor})`` multiplies the group's
forecasts before scoring, and the decision shows raw and calibrated values.

Rating normalisation (``normalise_ratings``) rescales rubric ratings so a
generous group does not dominate: ``zscore`` maps a rating r of group g to
``mu + sigma * (r - mu_g) / sigma_g`` (population mean and standard deviation
over all initiatives, and over the group; ``sigma_g = 0`` maps to ``mu``);
``percentile`` maps r to its mid-rank percentile within the group,
``(below + equal / 2) / n``, in 0..1. Both are rounded to 4 places.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.model import CalibrationPolicy, Initiative
from budgetpolicy.review.periods import parse_period, period_name
from budgetpolicy.review.realise import RATIO, ZERO, Realisation, ratio

ONE = Decimal(1)


@frozen
class GroupCalibration:
    group: str
    window: tuple[str, str]
    observations: int
    realised: Decimal  # sum of |forecast| x realisation (exact)
    forecast: Decimal  # sum of |forecast| (exact)
    raw: Decimal
    shrunk: Decimal
    factor: Decimal
    bounded: str = ""  # "min" or "max" when a bound applied


@frozen
class NormalisedRating:
    initiative_id: str
    group: str
    criterion: str
    raw: Decimal
    normalised: Decimal


def group_of(initiative: Initiative, group_by: str) -> str | None:
    """The forecaster group, by field name first, then custom attribute (as the engine does)."""
    value = getattr(initiative, group_by, None) if group_by not in ("attributes", "location") else None
    if value is None:
        value = initiative.attributes.get(group_by)
    return None if value is None else str(value)


def calibrate(realisations: Iterable[Realisation], initiatives: Mapping[str, Initiative],
              settings: CalibrationPolicy, period: str) -> tuple[GroupCalibration, ...]:
    """Factors per group for the review of ``period``, sorted by group."""
    last = parse_period(period)
    first = last - settings.lookback_quarters + 1
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    counts: dict[str, int] = defaultdict(int)
    for r in realisations:
        if not r.weight or not first <= parse_period(r.period) <= last:
            continue
        group = group_of(initiatives[r.initiative_id], settings.group_by)
        if group is None:
            continue
        sums[group][0] += r.weighted
        sums[group][1] += r.weight
        counts[group] += 1
    w = settings.shrinkage
    out = []
    for group in sorted(sums):
        realised, forecast = sums[group]
        raw = ratio(realised, forecast)
        shrunk = (w * ONE + (ONE - w) * raw).quantize(RATIO, ROUND_HALF_EVEN)
        factor, bounded = shrunk, ""
        if shrunk < settings.min_factor:
            factor, bounded = settings.min_factor, "min"
        elif shrunk > settings.max_factor:
            factor, bounded = settings.max_factor, "max"
        out.append(GroupCalibration(group, (period_name(first), period), counts[group], realised, forecast,
                                    raw, shrunk, factor, bounded))
    return tuple(out)


def normalise_ratings(initiatives: Sequence[Initiative], group_by: str,
                      method: str) -> tuple[NormalisedRating, ...]:
    """Ratings rescaled across groups (``zscore`` or ``percentile``); empty for ``none``."""
    if method == "none":
        return ()
    cells: dict[str, list[tuple[Initiative, str, Decimal]]] = defaultdict(list)
    for initiative in initiatives:
        group = group_of(initiative, group_by)
        if group is None:
            continue
        for criterion, value in initiative.ratings.items():
            if value is None or isinstance(value, bool):
                continue
            cells[criterion].append((initiative, group, Decimal(str(value))))
    out: list[NormalisedRating] = []
    for criterion in sorted(cells):
        rows = cells[criterion]
        by_group: dict[str, list[Decimal]] = defaultdict(list)
        for _, group, value in rows:
            by_group[group].append(value)
        mu, sigma = _mean_sd([v for _, _, v in rows])
        for initiative, group, value in rows:
            peers = by_group[group]
            if method == "zscore":
                mu_g, sigma_g = _mean_sd(peers)
                normalised = mu if sigma_g == 0 else mu + sigma * (value - mu_g) / sigma_g
            else:
                below = sum(1 for v in peers if v < value)
                equal = sum(1 for v in peers if v == value)
                normalised = (Decimal(below) + Decimal(equal) / 2) / Decimal(len(peers))
            out.append(NormalisedRating(initiative.id, group, criterion, value,
                                        normalised.quantize(RATIO, ROUND_HALF_EVEN)))
    return tuple(sorted(out, key=lambda n: (n.initiative_id, n.criterion)))


def _mean_sd(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    n = Decimal(len(values))
    mean = sum(values, ZERO) / n
    variance = sum(((v - mean) ** 2 for v in values), ZERO) / n
    return mean, variance.sqrt()
