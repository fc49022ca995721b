"""Dual values of the pool and of every cap, and what the next amounts would buy (docs/evidence.md,
"Dual values and the next dollar").

A dual value is what one more currency unit of a limit is worth, in the allocation's value (expected value
or score, per ``allocation.value``) and, when the policy prices its KPIs, in money benefit a year:

- greedy (and any strategy without a solver): from the cut-off bet. The pool's dual is the value per
  currency unit (value / request) of the best-ranked bet the pool left out or cut short; a cap's dual is
  that of the best bet the cap stopped, less the pool's (more room under the cap moves money from the
  pool's marginal bet to it), and 0 when it stopped nobody.
- optimal: the LP relaxation's shadow prices (``optimal_allocate(..., with_duals=True)``), solved again with
  each bet's funded value replaced by its money benefit for the money figures. The per-initiative cap is a
  bound there, not a row: its dual is from its cut-off bet, as for greedy.

:func:`next_amounts` evaluates the cycle again with the pool raised by each amount (``explain.whatif``) and
lists the bets it would fund, with their value and money benefit: ``evaluate --marginal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import evolve, frozen

from budgetpolicy.allocation.candidates import allocation_candidates, allocation_settings
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.evidence.exact import CENT, ZERO, rounded
from budgetpolicy.evidence.value import ForecastReturn
from budgetpolicy.explain.whatif import what_if_pool
from budgetpolicy.model import Decision, Initiative

VALUE = Decimal("1e-12")  # a value per currency unit is small: 0.40 of expected value over 48,000
BENEFIT = Decimal("0.0001")  # money benefit per currency unit: 2.5 means 2.50 a year per 1 spent


@frozen
class Dual:
    """What one more currency unit of ``limit`` is worth: ``value`` (the allocation's value per unit) and
    ``benefit`` (money a year per unit; None when the policy prices no KPI); ``bet``: the cut-off bet it
    comes from (None from a solver or when the limit stopped nobody); ``basis``: "cut-off bet" or "LP"."""

    limit: str
    amount: Decimal | None
    value: Decimal
    benefit: Decimal | None
    bet: str | None
    basis: str


@frozen
class Bought:
    """One bet the next amount would fund more: its funding before and after, the value and money it adds."""

    initiative_id: str
    before: Decimal
    after: Decimal
    value: Decimal
    benefit: Decimal | None


@frozen
class NextAmount:
    """What ``amount`` more in the pool would buy: the bets, the value and money benefit they add."""

    amount: Decimal
    bought: tuple[Bought, ...]
    value: Decimal
    benefit: Decimal | None
    spent: Decimal


def dual_values(evaluation: Any, returns: Mapping[str, ForecastReturn]) -> tuple[Dual, ...]:
    """The pool's dual and every cap's, for an evaluation with an allocation (``()`` without one)."""
    policy = evaluation.policy
    settings = allocation_settings(policy, evaluation.context.pool_delta)
    if settings is None or evaluation.allocation is None:
        return ()
    cut = _cut_off(evaluation, settings)
    if settings.strategy == "optimal":
        return _solver_duals(evaluation, settings, returns, cut)
    pool_bet = cut.get("pool")
    pool_value, pool_benefit = _ratios(evaluation, returns, pool_bet)
    duals = [Dual("pool", settings.pool, pool_value, pool_benefit, pool_bet, "cut-off bet")]
    for limit, amount in _caps(settings):
        bet = cut.get(limit)
        value, benefit = _ratios(evaluation, returns, bet)
        value = max(value - pool_value, ZERO) if bet else ZERO
        benefit = None if benefit is None else max(benefit - (pool_benefit or ZERO), ZERO) if bet else ZERO
        duals.append(Dual(limit, amount, value, benefit, bet, "cut-off bet"))
    return tuple(duals)


def _caps(settings: Any) -> list[tuple[str, Decimal]]:
    caps = settings.caps
    out = [("per_initiative", caps.per_initiative)] if caps.per_initiative is not None else []
    out += [(f"department:{name}", amount) for name, amount in caps.per_department.items()]
    out += [(f"kind:{name}", amount) for name, amount in caps.per_kind.items()]
    return out


def _cut_off(evaluation: Any, settings: Any) -> dict[str, str]:
    """Limit -> the best-ranked bet it stopped short of its request (the cut-off bet)."""
    by_id = {i.id: i for i in evaluation.initiatives}
    caps = settings.caps
    unit = settings.unit
    dept: dict[str, Decimal] = {}
    kind: dict[str, Decimal] = {}
    for d in evaluation.decisions:
        i = by_id.get(d.initiative_id)
        if i is not None and d.funding is not None:
            dept[i.department] = dept.get(i.department, ZERO) + d.funding.amount
            kind[i.kind] = kind.get(i.kind, ZERO) + d.funding.amount
    stopped: dict[str, tuple[Any, str]] = {}
    for d in evaluation.decisions:
        f, i = d.funding, by_id.get(d.initiative_id)
        if f is None or i is None or f.amount >= f.requested:
            continue
        limit = "pool"
        if i.department in caps.per_department and caps.per_department[i.department] - dept[i.department] < unit:
            limit = f"department:{i.department}"
        elif i.kind in caps.per_kind and caps.per_kind[i.kind] - kind[i.kind] < unit:
            limit = f"kind:{i.kind}"
        elif caps.per_initiative is not None and f.amount + unit > caps.per_initiative:
            limit = "per_initiative"
        key = (-_per_cost(d, f.requested, settings.value), d.initiative_id)
        if limit not in stopped or key < stopped[limit][0]:
            stopped[limit] = (key, d.initiative_id)
    return {limit: bet for limit, (_, bet) in stopped.items()}


def _per_cost(decision: Decision, requested: Decimal, value: str) -> Fraction:
    worth = decision.score if value == "score" else decision.expected_value
    return Fraction(worth) / Fraction(requested) if requested > 0 else Fraction(0)


def _ratios(evaluation: Any, returns: Mapping[str, ForecastReturn], bet: str | None) -> tuple[Decimal, Decimal | None]:
    """The bet's value and money benefit per currency unit of its request (0 without a bet)."""
    money = bool(returns)
    if bet is None:
        return ZERO, ZERO if money else None
    decision = evaluation.decision(bet)
    requested = decision.funding.requested if decision.funding is not None else ZERO
    value = rounded(_per_cost(decision, requested, evaluation.policy.allocation.value), VALUE)
    r = returns.get(bet)
    if r is None or requested <= 0:
        return value, ZERO if money else None
    return value, rounded(Fraction(r.benefit) / Fraction(requested), BENEFIT)


def _solver_duals(evaluation: Any, settings: Any, returns: Mapping[str, ForecastReturn],
                  cut: Mapping[str, str]) -> tuple[Dual, ...]:
    candidates = allocation_candidates(evaluation.initiatives, evaluation.decisions, settings)
    value_duals = evaluation.allocation.duals or optimal_allocate(candidates, settings, with_duals=True).duals
    money_duals: Mapping[str, Any] = {}
    if returns:
        priced = [evolve(c, value=returns[c.id].benefit if c.id in returns else ZERO) for c in candidates]
        money_duals = optimal_allocate(priced, settings, with_duals=True).duals
    out = []
    limits = [("pool", settings.pool), *_caps(settings)]
    for limit, amount in limits:
        if limit == "per_initiative":  # a bound of every variable, not a row: no shadow price
            bet = cut.get(limit)
            value, benefit = _ratios(evaluation, returns, bet)
            out.append(Dual(limit, amount, value if bet else ZERO, benefit, bet, "cut-off bet"))
            continue
        value = rounded(Decimal(value_duals.get(limit, ZERO)), VALUE)
        benefit = rounded(Decimal(money_duals.get(limit, ZERO)), BENEFIT) if returns else None
        out.append(Dual(limit, amount, value, benefit, None, "LP relaxation"))
    return tuple(out)


def next_amounts(evaluation: Any, initiatives: Sequence[Initiative], returns: Mapping[str, ForecastReturn],
                 amounts: Sequence[Decimal]) -> tuple[NextAmount, ...]:
    """What each of ``amounts`` more in the pool would buy (the cycle evaluated again for each)."""
    out = []
    money = bool(returns)
    for amount in amounts:
        what = what_if_pool(evaluation.compiled, initiatives, evaluation, amount)
        bought = []
        for change in what.changes:
            r = returns.get(change.initiative_id)
            benefit = None
            if money:
                benefit = ZERO if r is None or change.requested <= 0 else rounded(
                    Fraction(r.benefit) * Fraction(change.after - change.before) / Fraction(change.requested), CENT)
            bought.append(Bought(change.initiative_id, change.before, change.after, change.value_change, benefit))
        total = sum((b.benefit for b in bought if b.benefit is not None), ZERO) if money else None
        out.append(NextAmount(amount, tuple(bought), what.value_change, total, what.spent_change))
    return tuple(out)
