"""Built-in rubric scorers: ``expected_value``, ``rubric`` and ``field``.

Registered through ``register_scorers`` exactly like a third-party plugin.
Each factory validates its parameters once, at compile time, and returns a
closure ``score(initiative) -> (Decimal in 0..1, detail)``; the detail text of the
per-initiative scorers is made lazily, only when a decision's explanation is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.model import Initiative, Policy

ZERO, ONE = Decimal(0), Decimal(1)
# A detail is text, or a function making it when the explanation is first read (most never are).
Detail = str | Callable[[], str]
Score = Callable[[Initiative], tuple[Decimal, Detail]]


@hookimpl
def register_scorers(register: Callable[..., None]) -> None:
    register("expected_value", expected_value,
             description="probability x impact (share of each linked KPI's gap closed, capped at 1) x priority weight;"
                         " diminishing_returns = true counts a lift only up to the gap still open, in rank order")
    register("rubric", rubric, description="a 0..scale rating from the initiative's ratings, normalised to 0..1")
    register("field", field_scorer, description="a numeric initiative field scaled linearly between min and max")


def _decimal_param(params: Mapping[str, Any], key: str, default: Decimal | None = None) -> Decimal | None:
    value = params.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"parameter '{key}' must be a number, got {value!r}")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"parameter '{key}' must be a number, got {value!r}") from None


def _check_known(params: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed - {"criterion"})
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed)) or 'none'}")


def clamp01(value: Decimal) -> Decimal:
    return ZERO if value < ZERO else ONE if value > ONE else value


def expected_value(params: Mapping[str, Any], policy: Policy) -> Score:
    """probability x sum over linked priorities of weight x min(1, forecast lift / KPI gap).

    The KPI gap is |target - baseline|; a forecast lift is the improvement in
    the KPI's good direction, so both directions score alike. Priority weights
    sum to 1, so the result is already in 0..1. With ``diminishing_returns = true``
    an evaluation binds the scorer to its portfolio (:meth:`ExpectedValue.for_portfolio`):
    a lift then counts only up to the gap still open after the better-ranked bets' lifts.
    """
    _check_known(params, {"diminishing_returns"})
    diminishing = params.get("diminishing_returns", False)
    if not isinstance(diminishing, bool):
        raise ValueError("parameter 'diminishing_returns' must be true or false")
    # Per priority: its weight and its KPI's gap, computed once.
    known = {p.id: (p.weight, p.kpi.gap) for p in policy.priorities}
    return DiminishingExpectedValue(known) if diminishing else ExpectedValue(known)


class ExpectedValue:
    """The ``expected_value`` scorer, a callable; bound to a portfolio when returns diminish.

    ``open_gaps`` (initiative id -> priority id -> the gap still open when its turn comes) is empty unless
    :meth:`DiminishingExpectedValue.for_portfolio` bound the scorer to the initiatives of one evaluation;
    without it every lift counts up to the whole gap (what a single initiative scored alone sees).
    """

    __slots__ = ("known", "open_gaps", "unbound")

    def __init__(self, known: Mapping[str, tuple[Decimal, Decimal]],
                 open_gaps: Mapping[str, Mapping[str, Decimal]] | None = None,
                 unbound: "ExpectedValue | None" = None) -> None:
        # ``unbound``: the scorer this one was bound from, which binding another portfolio starts from.
        self.known, self.open_gaps, self.unbound = known, open_gaps or {}, unbound

    def __call__(self, initiative: Initiative) -> tuple[Decimal, Detail]:
        total = ZERO
        forecast = initiative.forecast
        linked = False
        open_gaps = self.open_gaps.get(initiative.id) if self.open_gaps else None
        for pid in initiative.priorities:
            entry = self.known.get(pid)
            if entry is None:
                continue
            linked = True
            weight, gap = entry
            if gap > 0:
                lift = forecast.get(pid, ZERO)
                if open_gaps is not None:
                    lift = min(lift, open_gaps.get(pid, gap))
                impact = lift / gap
                total += weight * (ZERO if impact < ZERO else ONE if impact > ONE else impact)
        value = clamp01(initiative.probability * total)
        if not linked:
            return value, "no linked priority"
        return value, lambda: _ev_detail(initiative, self.known, open_gaps)


class DiminishingExpectedValue(ExpectedValue):
    """``expected_value`` with ``diminishing_returns = true``: the engine binds it to each evaluation's
    portfolio (engine/portfolio.py) before it scores; alone it scores as the plain scorer does."""

    __slots__ = ()

    def for_portfolio(self, initiatives: Sequence[Initiative]) -> Score:
        """This scorer bound to the initiatives of one evaluation.

        Rank order is the allocation's: the undiminished expected value per currency unit, highest first,
        then the id. Each initiative's positive forecast lift then claims the gap still open, so a later
        bet on a KPI whose gap the earlier ones already close counts no lift there (docs/evidence.md).
        """
        def per_cost(i: Initiative) -> Decimal:
            value = self(i)[0]
            return value / i.cost if i.cost > 0 else Decimal("Infinity") if value > 0 else ZERO
        ranked = sorted(initiatives, key=lambda i: (-per_cost(i), i.id))
        left = {pid: gap for pid, (_, gap) in self.known.items()}
        open_gaps: dict[str, dict[str, Decimal]] = {}
        for i in ranked:
            mine = open_gaps.setdefault(i.id, {})
            for pid in i.priorities:
                if pid in left:
                    mine[pid] = left[pid]
                    left[pid] = max(ZERO, left[pid] - max(ZERO, i.forecast.get(pid, ZERO)))
        return ExpectedValue(self.known, open_gaps, self)


def _ev_detail(initiative: Initiative, known: Mapping[str, tuple[Decimal, Decimal]],
               open_gaps: Mapping[str, Decimal] | None = None) -> str:
    def still_open(pid: str) -> str:
        if open_gaps is None or open_gaps.get(pid, known[pid][1]) >= known[pid][1]:
            return ""
        return f" (open {open_gaps[pid]})"
    parts = [f"{pid}: lift {initiative.forecast.get(pid, ZERO)} of gap {known[pid][1]}{still_open(pid)} "
             f"x weight {known[pid][0]}" for pid in initiative.priorities if pid in known]
    return f"p={initiative.probability} x [" + "; ".join(parts) + "]"


def rubric(params: Mapping[str, Any], policy: Policy) -> Score:
    """A rating (default key: the criterion id) on 0..scale, normalised; ``invert`` for risk-like ratings."""
    _check_known(params, {"rating", "scale", "invert", "missing"})
    rating = params.get("rating", params.get("criterion"))
    if not isinstance(rating, str) or not rating:
        raise ValueError("parameter 'rating' must name a rating, e.g. rating = \"feasibility\"")
    scale = _decimal_param(params, "scale", Decimal(5))
    assert scale is not None
    if scale <= 0:
        raise ValueError("parameter 'scale' must be > 0")
    invert = params.get("invert", False)
    if not isinstance(invert, bool):
        raise ValueError("parameter 'invert' must be true or false")
    missing = params.get("missing", "zero")
    if missing not in ("zero", "midpoint"):
        raise ValueError("parameter 'missing' must be \"zero\" or \"midpoint\"")

    missing_value = ZERO if missing == "zero" else Decimal("0.5")
    missing_text = f"no '{rating}' rating (missing = {missing})"
    suffix = " inverted" if invert else ""

    # A rating's score, remembered: ratings take a handful of values, and a Decimal division costs more
    # than the rest of a decision's rule. Only Decimals are looked up (True == 1 must not hit); bounded.
    known: dict[Decimal, Decimal] = {}

    def score(initiative: Initiative) -> tuple[Decimal, Detail]:
        raw = initiative.ratings.get(rating)
        if raw is None:
            return missing_value, missing_text
        value = known.get(raw) if raw.__class__ is Decimal else None
        if value is None:
            value = (raw if raw.__class__ is Decimal else Decimal(raw)) / scale
            value = ZERO if value < ZERO else ONE if value > ONE else value
            value = ONE - value if invert else value
            if raw.__class__ is Decimal and raw.is_finite() and raw and len(known) < 1024:  # not 0: -0 == 0
                known[raw] = value
        return value, lambda: f"{rating} {raw}/{scale}{suffix}"

    # Its answer depends on this one rating alone: the engine's scoring program may remember its entries
    # by the rating and skip the call (engine/score.py, ScoreProgram and RATING_ONLY).
    score.rating_only = rating  # type: ignore[attr-defined]
    return score


_NUMERIC_FIELDS = {"cost", "headcount", "probability", "horizon"}


def field_scorer(params: Mapping[str, Any], policy: Policy) -> Score:
    """A numeric field (``cost``, ``headcount``, ``probability``, ``horizon`` or ``attributes.NAME``) scaled to 0..1."""
    _check_known(params, {"field", "min", "max", "invert"})
    name = params.get("field")
    if not isinstance(name, str) or not (name in _NUMERIC_FIELDS or name.startswith("attributes.")):
        raise ValueError(f"parameter 'field' must be one of {', '.join(sorted(_NUMERIC_FIELDS))} or attributes.NAME")
    low = _decimal_param(params, "min", ZERO)
    high = _decimal_param(params, "max")
    if high is None or low is None or high <= low:
        raise ValueError("parameters 'min' and 'max' are required with min < max")
    invert = bool(params.get("invert", False))
    attr = name.split(".", 1)[1] if name.startswith("attributes.") else None

    def score(initiative: Initiative) -> tuple[Decimal, str]:
        raw = initiative.attributes.get(attr) if attr else getattr(initiative, name)
        if raw is None or isinstance(raw, bool):
            return ZERO, f"{name} missing"
        value = clamp01((Decimal(raw) - low) / (high - low))
        if invert:
            value = ONE - value
        return value, f"{name} {raw} on [{low}, {high}]" + (" inverted" if invert else "")

    return score
