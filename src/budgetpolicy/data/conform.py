"""Data stage, policy step: a typed record against the policy it is evaluated under.

The schema step knows what any row may hold; this step knows what *this* policy declares, so a
misspelt column cannot quietly change decisions. Every map key of a row must name something the
policy declares: ``forecast.<priority>`` and ``milestone.<YYYY-Qn>.<priority>`` a declared priority,
``attr.<name>`` a declared ``[attributes]`` name, an outcome's ``kpi.<key>`` a priority id or a KPI
metric; every id in ``priorities`` must be declared; the currency must be the policy's, or one the
policy's ``[currency] rates`` converts (exactly, in Decimal; the given currency, amount and rate are
kept in :attr:`Initiative.conversion`, which the decision's provenance repeats).

Codes: BP430 a key the policy does not declare, BP431 an undeclared priority id, BP432 a foreign
currency without a rate, BP433 a converted amount out of range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Any

from attrs import frozen

from budgetpolicy.data.records import row_diagnostics
from budgetpolicy.errors import Diagnostic, Diagnostics, did_you_mean
from budgetpolicy.model import FrozenMap, Initiative, Policy

ColumnNames = Mapping[tuple[str, str], str]
_MAX = Decimal(10) ** 15      # the documented bound on amounts (docs/data-formats.md)
_MAX_PLACES = 12


@frozen
class RowRules:
    """What a policy declares that rows may name: priorities, KPI metrics, attributes, currencies."""

    priorities: tuple[str, ...]
    metrics: tuple[str, ...]
    attributes: tuple[str, ...]
    currency: str
    rates: FrozenMap

    @classmethod
    def of(cls, policy: Policy) -> "RowRules":
        return cls(tuple(p.id for p in policy.priorities), tuple(p.kpi.metric for p in policy.priorities),
                   tuple(policy.attributes), policy.currency, policy.currency_rates)


def _choices(name: str, known: tuple[str, ...], what: str) -> str:
    close = did_you_mean(name, known)
    listed = f"declared {what}: {', '.join(known)}" if known else f"the policy declares no {what}"
    return f"{close} {listed}" if close else listed


def conform(record: dict[str, Any], kind: str, names: ColumnNames, problems: Diagnostics[str | None],
            rules: RowRules) -> None:
    """Report what ``record`` (typed, schema-checked) names that the policy does not declare; convert
    a foreign currency the policy has a rate for, in place."""
    if "conversion" in record:
        problems.add("BP412", "conversion", "unknown field 'conversion' (budgetpolicy sets it when it converts "
                     "a currency)", "give the cost and its currency; the policy's [currency] rates convert it")
    if kind == "outcomes":
        _keys(record, "kpis", names, problems, rules.priorities + rules.metrics, "priorities or KPI metrics")
        return
    _keys(record, "forecast", names, problems, rules.priorities, "priorities")
    _keys(record, "attributes", names, problems, rules.attributes, "[attributes]")
    for period, lifts in record.get("milestones", {}).items():
        for priority in lifts:
            if priority not in rules.priorities:
                shown = names.get(("milestones", f"{period}.{priority}"), f"milestones.{period}.{priority}")
                problems.add("BP430", shown, f"'{priority}' in '{shown}' is not a priority of the policy",
                             _choices(priority, rules.priorities, "priorities"))
    for priority in record.get("priorities", ()):
        if isinstance(priority, str) and priority not in rules.priorities:
            problems.add("BP431", "priorities", f"'{priority}' is not a priority of the policy",
                         _choices(priority, rules.priorities, "priorities"))
    _currency(record, problems, rules)


def _keys(record: Mapping[str, Any], field: str, names: ColumnNames, problems: Diagnostics[str | None],
          known: tuple[str, ...], what: str) -> None:
    for key in record.get(field, {}):
        if key not in known:
            shown = names.get((field, key), f"{field}.{key}")
            problems.add("BP430", shown, f"unknown column '{shown}': '{key}' is not one of the policy's {what}",
                         _choices(key, known, what))


def _currency(record: dict[str, Any], problems: Diagnostics[str | None], rules: RowRules) -> None:
    currency = record.get("currency")
    if not isinstance(currency, str) or currency == rules.currency:
        return
    rate = rules.rates.get(currency)
    if rate is None:
        problems.add("BP432", "currency", f"the cost is in {currency}, the policy's amounts in {rules.currency}",
                     f"give the cost in {rules.currency}, or declare the rate under [currency] rates "
                     f"({currency} = \"...\") in the policy")
        return
    cost = record.get("cost")
    if not isinstance(cost, Decimal):
        return  # reported by the earlier steps
    with localcontext(prec=64):  # exact: a bounded cost (27 digits) times a bounded rate (18)
        converted = cost * rate
    exponent = converted.normalize().as_tuple().exponent
    if converted >= _MAX or (isinstance(exponent, int) and exponent < -_MAX_PLACES):
        problems.add("BP433", "cost", f"{currency} {cost} at {rate} is {converted} {rules.currency}, out of range",
                     f"amounts are below 10^15 with at most {_MAX_PLACES} decimal places: round the cost or the rate")
        return
    record["conversion"] = {"currency": currency, "amount": cost, "rate": rate}
    record["cost"], record["currency"] = converted, rules.currency


def unchecked_rows(initiatives: Iterable[Initiative], rules: RowRules) -> list[Diagnostic]:
    """What :func:`conform` would report for initiatives already read without the policy (a notebook's,
    or a plugin's): each named by its row and the key path (``forecast.win-rat``). A foreign currency
    is reported, with or without a rate: only reading with the policy converts it."""
    found: list[Diagnostic] = []
    for initiative in initiatives:
        problems = row_diagnostics(initiative.location)
        currency = initiative.currency
        if currency is not None and currency in rules.rates:
            problems.add("BP432", "currency", f"the cost is in {currency}, not converted to {rules.currency}",
                         "read the rows with read_initiatives(..., policy=policy), which converts at the policy's rate")
            currency = None
        record: dict[str, Any] = {
            "forecast": dict(initiative.forecast), "attributes": dict(initiative.attributes),
            "milestones": {q: dict(lifts) for q, lifts in initiative.milestones.items()},
            "priorities": list(initiative.priorities), "currency": currency, "cost": initiative.cost}
        conform(record, "initiatives", {}, problems, rules)
        found.extend(problems)
    return found
