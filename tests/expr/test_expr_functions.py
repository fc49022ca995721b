"""Built-in functions (registered through the register_functions hook) and FunctionSpec signatures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgetpolicy.expr import FunctionSpec, function_specs, list_of, NUMBER, optional, STRING
from budgetpolicy.plugins import get_plugin_manager
from budgetpolicy.registry import Registry
from expr_helpers import FUNCTIONS, run, run_error

D = Decimal


@pytest.mark.parametrize("source, expected", [
    ("len(title)", D(20)),
    ("len(priorities)", D(2)),
    ("len(attributes)", D(3)),
    ("min(lifts)", D("0.1")),
    ("min(3, cost, 2.5)", D("2.5")),
    ("max(lifts)", D("0.15")),
    ("max(1, 2)", D(2)),
    ("abs(-2.50)", D("2.50")),
    ("round(2.5)", D(2)),
    ("round(3.5)", D(4)),
    ("round(0.125, 2)", D("0.12")),
    ("round(0.135, 2)", D("0.14")),
    ("round(1250, -2)", D(1200)),
    ("round(1350, -2)", D(1400)),
    ("floor(-1.5)", D(-2)),
    ("ceil(1.2)", D(2)),
    ("clamp(1.5, 0, 1)", D(1)),
    ("clamp(-1, 0, 1)", D(0)),
    ("sum(lifts)", D("0.25")),
    ("sum([])", D(0)),
    ("avg(lifts)", D("0.125")),
    ("any([0, 0, 2])", True),
    ("any(['', ''])", False),
    ("any(attributes.flags)", True),
    ("any([])", False),
    ("all([1, 0.5])", True),
    ("all([mentor, 'x'])", False),
    ("all([1, 0])", False),
    ("all([])", True),
    ("count(['a', 'b', 'a'], 'a')", D(2)),
    ("lower('MiXed')", "mixed"),
    ("upper(kind)", "STRETCH"),
    ("startswith(title, 'Nego')", True),
    ("endswith(title, 'x')", False),
    ("contains(priorities, 'retention')", True),
    ("contains(title, 'coach')", True),
    ("contains(lifts, 0.1)", True),
    ("coalesce(mentor, 'nobody')", "nobody"),
    ("coalesce(null, null, 3)", D(3)),
    ("coalesce(mentor)", None),
])
def test_builtin_results(source: str, expected: object) -> None:
    result = run(source)
    assert result == expected and type(result) is type(expected)
    if isinstance(expected, Decimal):
        assert str(result) == str(expected)


@pytest.mark.parametrize("source, fragment", [
    ("avg([])", "avg() of an empty list"),
    ("max(extra)", "needs a list of numbers or several numbers, got null"),
    ("round(cost, probability)", "places must be a whole number"),  # round(cost, 0.5): refused when compiled
    ("clamp(1, 2, 0)", "low 2 is greater than high 0"),
    ("sum(extra)", "argument 1 of sum() must be list<number>, got string"),
    ("contains(extra, 1)", "looks for a substring"),
])
def test_builtin_runtime_errors(source: str, fragment: str) -> None:
    diag = run_error(source, extra="text" if "extra, 1" in source or "sum" in source else None)
    assert diag.code == "BP350"
    assert fragment in diag.message


def test_every_builtin_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "expressions.md").read_text()
    for name, spec in FUNCTIONS.items():
        assert spec.description
        assert f"`{name}(" in doc, name


def test_builtins_come_through_the_plugin_hook() -> None:
    registry = Registry.build(get_plugin_manager(entry_points=False))
    specs = function_specs(registry)
    assert set(FUNCTIONS) <= set(specs)
    assert registry.functions["round"].plugin == "budgetpolicy.builtins.functions"
    assert specs["round"].signature == "round(number, number) -> number"
    assert specs["round"].arity == (1, 2)
    assert specs["max"].arity == (1, None)


def test_function_spec_parses_types_and_variadic() -> None:
    spec = FunctionSpec("f", lambda *a: None, ("string?", "list<number>", "..."), "bool", "demo")
    assert spec.param_types == (optional(STRING), list_of(NUMBER))
    assert spec.variadic and spec.arity == (2, None)
    assert spec.param_for(5) == list_of(NUMBER)
    assert FunctionSpec("g", len, ("...",), "number").arity == (1, None)  # bare "...": any arguments
    with pytest.raises(ValueError):
        FunctionSpec("h", len, ("...", "number"), "number")
