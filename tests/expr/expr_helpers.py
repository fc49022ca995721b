"""Shared symbol table, environment and helpers for the expression-language tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from budgetpolicy.builtins.functions import builtin_functions
from budgetpolicy.errors import Diagnostic, ExpressionError, Location
from budgetpolicy.expr import (ANY, BOOL, NUMBER, STRING, CompiledExpression, compile_expression, list_of, map_of,
                               optional, record)

WHERE = Location(file="policy.toml", key="approval.rules[3].condition", line=40)

SYMBOLS = {
    "cost": NUMBER,
    "headcount": NUMBER,
    "probability": NUMBER,
    "kind": STRING,
    "title": STRING,
    "pilot": BOOL,
    "mentor": optional(STRING),
    "budget": optional(NUMBER),
    "priorities": list_of(STRING),
    "lifts": list_of(NUMBER),
    "attributes": map_of(ANY),
    "forecast": map_of(NUMBER),
    "scores": record({"impact": NUMBER, "feasibility": NUMBER, "note": optional(STRING)}),
    "extra": ANY,
}

FUNCTIONS = builtin_functions()


def make_env(**overrides: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "cost": Decimal("30000"),
        "headcount": Decimal("12"),
        "probability": Decimal("0.6"),
        "kind": "stretch",
        "title": "Negotiation coaching",
        "pilot": False,
        "mentor": None,
        "budget": Decimal("100"),
        "priorities": ("win-rate", "retention"),
        "lifts": (Decimal("0.1"), Decimal("0.15")),
        "attributes": {"team_size": 5, "region": "EMEA", "flags": ["a", "b"]},
        "forecast": {"win-rate": Decimal("0.04"), "retention": Decimal("0.02")},
        "scores": {"impact": Decimal("0.25"), "feasibility": Decimal("0.8"), "note": None},
        "extra": None,
    }
    env.update(overrides)
    return env


def compile_(source: str, **kwargs: Any) -> CompiledExpression:
    return compile_expression(source, kwargs.pop("symbols", SYMBOLS), kwargs.pop("functions", FUNCTIONS),
                              where=kwargs.pop("where", WHERE))


def run(source: str, **env: Any) -> Any:
    return compile_(source)(make_env(**env))


def compile_error(source: str, **kwargs: Any) -> Diagnostic:
    with pytest.raises(ExpressionError) as info:
        compile_(source, **kwargs)
    assert len(info.value.diagnostics) == 1
    return info.value.diagnostics[0]


def run_error(source: str, **env: Any) -> Diagnostic:
    compiled = compile_(source)
    with pytest.raises(ExpressionError) as info:
        compiled(make_env(**env))
    return info.value.diagnostics[0]


__all__ = ["ANY", "BOOL", "NUMBER", "STRING", "Decimal", "WHERE"]
