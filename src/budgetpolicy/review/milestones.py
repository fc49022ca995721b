"""Milestones: the lift an initiative is expected to have delivered by a given quarter.

Realisation (``review.realise``) compares a reading with what was *due by its
quarter*, not with the whole-horizon forecast. For initiative i, priority p
and quarter q (``k = q - start + 1``, the quarter's index in the horizon of H
quarters counted from the initiative's start quarter; a quarter before the
start counts as k = 1):

- a **declared milestone** wins: the latest ``milestones[period][p]`` with
  ``period <= q`` (``milestone.2026-Q2.win-rate`` in CSV). A priority with
  declared milestones has nothing due before its first one (the realisation
  of that KPI is then undefined, like a zero forecast);
- otherwise the policy's ``[milestones] ramp`` applies to the forecast f:
  ``linear`` f x k/H, ``back-loaded`` f x (k/H)^2, ``none`` f (today's
  whole-horizon comparison); from k = H on, f whatever the ramp;
- a reading that says ``finished`` is judged as at the end of the horizon:
  everything forecast (the milestone due by the last quarter) is due;
- a partly funded bet is expected to deliver in proportion: the due lift is
  multiplied by its funded share, ``min(allocation / cost, 1)`` with the
  funding cycle's allocation (the plan's ``funding.amount``). A bet the plan
  funded nothing (one funded later by a reallocation included) or that costs
  nothing is judged on the full lift; releases and scale-ups during the year
  do not move what is due.

All of it is Decimal arithmetic with one division, rounded half-even to 12
decimal places (the precision data values may have) and then stripped of
trailing zeros; a due lift that needs no arithmetic (ramp 1, fully funded) is
the forecast or milestone exactly as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.model import Initiative, MilestonePolicy
from budgetpolicy.review.periods import parse_period, period_name

ONE = Decimal(1)
PLACES = Decimal("1e-12")
DEFAULT = MilestonePolicy()


@frozen
class Due:
    """The lift due by a quarter for one priority, and where that expectation comes from."""

    expected: Decimal | None  # None: nothing due yet (no declared milestone up to the quarter)
    basis: str  # "milestone 2026-Q2", "linear 1/3", "back-loaded (1/3)^2", "forecast"; "x 0.6 funded"


def ramp_share(ramp: str, k: int, horizon: int) -> tuple[int, int]:
    """The ramp's share of the forecast due in quarter k of the horizon, as a fraction (numerator,
    denominator): linear k/H, back-loaded (k/H)^2, none 1; 1 from the horizon's last quarter on."""
    k = max(k, 1)
    if ramp == "none" or k >= horizon:
        return 1, 1
    if ramp == "linear":
        return k, horizon
    return k * k, horizon * horizon


def funded_share(allocation: Decimal, cost: Decimal) -> tuple[Decimal, Decimal]:
    """``min(allocation / cost, 1)`` as a fraction; 1 when nothing is allocated or the bet costs nothing."""
    if allocation <= 0 or cost <= 0 or allocation >= cost:
        return ONE, ONE
    return allocation, cost


def due_lifts(initiative: Initiative, quarter: int, start: int, allocation: Decimal,
              settings: MilestonePolicy | None, *, finished: bool = False) -> dict[str, Due]:
    """Per forecast priority, the lift due by ``quarter`` (see the module docstring)."""
    ramp = (settings or DEFAULT).ramp
    horizon = initiative.horizon
    k = horizon if finished else quarter - start + 1
    by = max(quarter, start + horizon - 1) if finished else quarter
    share, cost = funded_share(allocation, initiative.cost)
    declared = _declared(initiative.milestones)
    out: dict[str, Due] = {}
    for priority, forecast in initiative.forecast.items():
        if priority in declared:
            due = [(q, lift) for q, lift in declared[priority] if q <= by]
            if not due:
                out[priority] = Due(None, f"no milestone due by {period_name(quarter)}")
                continue
            q, lift = due[-1]
            base, num, den, basis = _dec(lift), 1, 1, f"milestone {period_name(q)}"
        else:
            num, den = ramp_share(ramp, k, horizon)
            base = _dec(forecast)
            basis = "forecast" if num == den else (
                f"linear {num}/{den}" if ramp == "linear" else f"back-loaded ({k}/{horizon})^2")
        if share != cost:
            basis += f" x {_text(share / cost)} funded"
        out[priority] = Due(_scaled(base, num * share, den * cost), basis)
    return out


def _declared(milestones: Mapping[str, Mapping[str, object]]) -> dict[str, list[tuple[int, object]]]:
    """Priority -> [(quarter ordinal, lift)] in quarter order."""
    out: dict[str, list[tuple[int, object]]] = {}
    for period in sorted(milestones, key=parse_period):
        for priority, lift in milestones[period].items():
            out.setdefault(priority, []).append((parse_period(period), lift))
    return out


def _scaled(value: Decimal, numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    if numerator == denominator:
        return value
    return _text_exact((value * numerator / denominator).quantize(PLACES, rounding=ROUND_HALF_EVEN))


def _text_exact(value: Decimal) -> Decimal:
    """Trailing zeros stripped, never in exponent form (1.5000 -> 1.5, 12.000 -> 12)."""
    stripped = value.normalize()
    return stripped.quantize(ONE) if stripped.as_tuple().exponent > 0 else stripped  # type: ignore[operator]


def _text(value: Decimal) -> str:
    return format(_text_exact(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)), "f")


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
