"""budgetpolicy plugin: a stretch-assignment readiness rubric scorer.

A stretch assignment pays off when the person is ready for it and someone
is there to catch them: this scorer rates learning agility, collaboration
and risk tolerance (0..scale ratings read from ``initiative.ratings``, then
``initiative.attributes``) and mentor availability (a named mentor and the
monthly hours they committed, ``attributes.mentor_hours``), and combines them
with weights into one 0..1 value. Installed, it registers the scorer
``readiness`` through the ``register_scorers`` hook::

    plugins = ["readiness"]

    [[scoring.criteria]]
    id = "readiness"
    scorer = "readiness"
    weight = 0.2
    params = { scale = 5, mentor_hours = 4, weights = { learning_agility = 2, mentor = 1 } }

Parameters are checked once, when the policy is compiled: a ``ValueError``
here becomes a validation error at the criterion's ``params`` key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from budgetpolicy import hookimpl
from budgetpolicy.model import Initiative, Policy

__all__ = ["DEFAULT_WEIGHTS", "FACTORS", "readiness_scorer", "register_scorers"]

ZERO, ONE = Decimal(0), Decimal(1)
FACTORS: tuple[str, ...] = ("learning_agility", "collaboration", "risk_tolerance", "mentor")
RATED: tuple[str, ...] = FACTORS[:3]
# Agility predicts who learns on the job; a mentor is the safety net; risk
# tolerance matters least because the mentor mitigates it.
DEFAULT_WEIGHTS: Mapping[str, Decimal] = {
    "learning_agility": Decimal("0.35"), "collaboration": Decimal("0.25"),
    "risk_tolerance": Decimal("0.15"), "mentor": Decimal("0.25"),
}
PARAMS = {"weights", "scale", "mentor_hours", "unknown_mentor", "kinds", "not_applicable", "missing"}
Score = Callable[[Initiative], tuple[Decimal, str]]


@hookimpl
def register_scorers(register: Callable[..., None]) -> None:
    register("readiness", readiness_scorer,
             description="stretch-assignment readiness: learning agility, collaboration, risk tolerance, "
                         "mentor availability")


def readiness_scorer(params: Mapping[str, Any], policy: Policy) -> Score:
    """Validate ``params`` and return ``score(initiative) -> (Decimal in 0..1, detail)``.

    ``weights``: relative weight per factor (missing factors weigh 0 when the
    table is given; normalised by their sum). ``scale``: the ratings' maximum
    (default 5). ``mentor_hours``: monthly mentor hours that count as fully
    available (default 4). ``unknown_mentor``: availability when a mentor is
    named without hours (default 0.5). ``kinds``: initiative kinds the rubric
    applies to (default ``["stretch"]``); others score ``not_applicable``
    (default 0.5, neutral). ``missing``: ``"zero"`` (default) scores a
    missing rating 0, ``"error"`` fails the run naming the initiative.
    """
    unknown = sorted(set(params) - PARAMS - {"criterion"})
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(PARAMS))}")
    weights = _weights(params.get("weights"))
    scale = _number(params, "scale", Decimal(5))
    if scale <= 0:
        raise ValueError(f"parameter 'scale' must be > 0, got {scale}")
    full_hours = _number(params, "mentor_hours", Decimal(4))
    if full_hours <= 0:
        raise ValueError(f"parameter 'mentor_hours' must be > 0, got {full_hours}")
    unknown_mentor = _share(params, "unknown_mentor", Decimal("0.5"))
    not_applicable = _share(params, "not_applicable", Decimal("0.5"))
    kinds = params.get("kinds", ("stretch",))
    if isinstance(kinds, str) or not all(isinstance(k, str) for k in kinds):
        raise ValueError(f"parameter 'kinds' must be a list of initiative kinds, got {kinds!r}")
    kinds = frozenset(kinds)
    missing = params.get("missing", "zero")
    if missing not in ("zero", "error"):
        raise ValueError(f"parameter 'missing' must be \"zero\" or \"error\", got {missing!r}")
    total_weight = sum(weights.values(), ZERO)

    def score(initiative: Initiative) -> tuple[Decimal, str]:
        if initiative.kind not in kinds:
            return not_applicable, f"not rated: kind '{initiative.kind}' is not one of {', '.join(sorted(kinds))}"
        values: dict[str, Decimal] = {}
        parts: list[str] = []
        for factor in RATED:
            if not weights.get(factor):
                continue
            raw = _rating(initiative, factor)
            if raw is None:
                if missing == "error":
                    raise ValueError(f"initiative has no '{factor}' rating (ratings or attributes)")
                values[factor] = ZERO
                parts.append(f"{factor} missing")
                continue
            if raw < 0 or raw > scale:
                raise ValueError(f"rating '{factor}' = {raw} is outside 0..{scale}")
            values[factor] = raw / scale
            parts.append(f"{factor} {raw}/{scale}")
        if weights.get("mentor"):
            values["mentor"], text = _mentor(initiative, full_hours, unknown_mentor)
            parts.append(text)
        value = sum((weights[f] * v for f, v in values.items()), ZERO) / total_weight
        return min(ONE, max(ZERO, value)), ", ".join(parts)

    return score


def _mentor(initiative: Initiative, full_hours: Decimal, unknown: Decimal) -> tuple[Decimal, str]:
    if not initiative.mentor:
        return ZERO, "no mentor"
    hours = initiative.attributes.get("mentor_hours")
    if hours is None:
        return unknown, f"mentor {initiative.mentor}, hours unknown"
    hours = _to_decimal(hours, "attributes.mentor_hours")
    if hours < 0:
        raise ValueError(f"attributes.mentor_hours = {hours} is negative")
    return min(ONE, hours / full_hours), f"mentor {initiative.mentor} {hours}h/{full_hours}h a month"


def _rating(initiative: Initiative, factor: str) -> Decimal | None:
    raw = initiative.ratings.get(factor)
    if raw is None:
        raw = initiative.attributes.get(factor)
    return None if raw is None else _to_decimal(raw, factor)


def _to_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"'{what}' must be a number, got {value!r}")
    try:
        number = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"'{what}' must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"'{what}' must be a finite number, got {value!r}")
    return number


def _number(params: Mapping[str, Any], key: str, default: Decimal) -> Decimal:
    return _to_decimal(params[key], f"parameter {key}") if key in params else default


def _share(params: Mapping[str, Any], key: str, default: Decimal) -> Decimal:
    value = _number(params, key, default)
    if not ZERO <= value <= ONE:
        raise ValueError(f"parameter '{key}' must be in 0..1, got {value}")
    return value


def _weights(raw: Any) -> dict[str, Decimal]:
    if raw is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(raw, Mapping):
        raise ValueError(f"parameter 'weights' must be a table of factor = weight, got {raw!r}")
    unknown = sorted(set(raw) - set(FACTORS))
    if unknown:
        raise ValueError(f"parameter 'weights': unknown factor(s) {', '.join(unknown)}; "
                         f"factors: {', '.join(FACTORS)}")
    weights = {f: _to_decimal(raw.get(f, 0), f"weights.{f}") for f in FACTORS}
    if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
        raise ValueError("parameter 'weights' must be >= 0 with at least one factor > 0")
    return weights
