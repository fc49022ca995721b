"""Compiled closures: decimal exactness, truthiness, null rules, access, runtime errors with columns."""

from __future__ import annotations

from decimal import Decimal, getcontext, localcontext

import pytest

from budgetpolicy.errors import ExpressionError
from budgetpolicy.expr import ANY, NUMBER, compile_expression, map_of
from expr_helpers import FUNCTIONS, compile_, make_env, run, run_error

D = Decimal


@pytest.mark.parametrize("source, expected", [
    ("0.1 + 0.15 == 0.25", True),
    ("0.1 + 0.2", D("0.3")),
    ("scores.impact == 0.25", True),
    ("scores.impact == 0.250", True),
    ("1.10 + 1", D("2.10")),
    ("7 / 2", D("3.5")),
    ("1 / 3", D("0.3333333333333333333333333333")),
    ("-7 % 2", D("-1")),
    ("7 % -2", D("1")),
    ("2 ** 10", D("1024")),
    ("2 ** -2", D("0.25")),
    ("-2 ** 2", D("-4")),
    ("(-2) ** 2", D("4")),
    ("10 - 2 - 3", D("5")),
    ("2 * 3 + 4 * 5", D("26")),
    ("cost * 0.15", D("4500.00")),
    ("-cost", D("-30000")),
    ("+probability", D("0.6")),
    ("25_000.50", D("25000.50")),
])
def test_decimal_arithmetic_is_exact(source: str, expected: object) -> None:
    result = run(source)
    assert result == expected and type(result) is type(expected)
    if isinstance(expected, Decimal):
        assert str(result) == str(expected)


def test_results_do_not_depend_on_the_callers_decimal_context() -> None:
    compiled = compile_("1 / 3")
    with localcontext() as ctx:
        ctx.prec = 5
        assert compiled(make_env()) == D("0.3333333333333333333333333333")
    assert getcontext().prec == 28


@pytest.mark.parametrize("value, truthy", [
    (None, False), ("", False), (D(0), False), ((), False), ({}, False), (False, False),
    ("x", True), (D("0.01"), True), (("a",), True), ({"k": 1}, True), (True, True),
])
def test_truthiness(value: object, truthy: bool) -> None:
    assert run("not extra", extra=value) is (not truthy)
    assert run("extra and true", extra=value) is truthy
    assert run("extra or false", extra=value) is truthy
    assert run("1 if extra else 2", extra=value) == (D(1) if truthy else D(2))


def test_not_mentor_covers_null_and_empty() -> None:
    assert run("not mentor", mentor=None) is True
    assert run("not mentor", mentor="") is True
    assert run("not mentor", mentor="Ana") is False


def test_and_or_short_circuit_and_return_booleans() -> None:
    # The right side would divide by zero: it must not run.
    assert run("pilot and cost / (headcount - headcount) > 1") is False
    assert run("not pilot or cost / (headcount - headcount) > 1") is True
    assert run("cost and title") is True
    assert run("mentor or title") is True
    assert run("mentor or extra or pilot") is False
    assert run("title and cost and headcount") is True


@pytest.mark.parametrize("source, expected", [
    ("null == null", True),
    ("mentor == null", True),
    ("mentor != null", False),
    ("budget > 1", False),
    ("budget < 1", False),
    ("budget <= 1", False),
    ("extra == 0", False),
    ("extra == false", False),
    ("extra == ''", False),
])
def test_null_rules(source: str, expected: bool) -> None:
    assert run(source, budget=None) is expected


def test_bool_is_not_a_number() -> None:
    assert run("extra == 1", extra=True) is False
    assert run("extra in [1, 2]", extra=True) is False
    assert run("count(extra, 1)", extra=[True, 1, D("1.0")]) == D(2)
    diag = run_error("extra + 1", extra=True)
    assert diag.code == "BP350" and "cannot apply '+' to bool and number" in diag.message


@pytest.mark.parametrize("source, expected", [
    ("kind in ['stretch', 'pilot']", True),
    ("kind not in ['stretch', 'pilot']", False),
    ("'win-rate' in priorities", True),
    ("'Negotiation' in title", True),
    ("'region' in attributes", True),
    ("'missing' not in attributes", True),
    ("0.15 in lifts", True),
    ("0.150 in lifts", True),
    ("extra in ['a']", False),
    ("'x' in extra", False),
    ("null in [1, null]", True),
])
def test_membership(source: str, expected: bool) -> None:
    assert run(source) is expected


def test_field_and_key_access() -> None:
    assert run("attributes.team_size + 1") == D(6)  # ints in data become Decimal
    assert run('forecast["win-rate"] * 100') == D("4.00")
    assert run("attributes.flags[1]") == "b"
    assert run("priorities[-1]") == "retention"
    assert run("attributes.nothing") is None  # map<any>: a missing key is null
    assert run("scores.note") is None
    assert run("1 < 2 <= 2 < 3") is True
    assert run("3 > 2 > 2") is False


def test_comparisons() -> None:
    assert run("cost > 25000") is True
    assert run("25000 < cost") is True
    assert run("cost >= 30000 and cost <= 30000") is True
    assert run("kind < 'zzz'") is True
    assert run("cost > 25000", cost=25001) is True  # int data is accepted and converted
    assert run("headcount != 12") is False


@pytest.mark.parametrize("source, env, column, fragment", [
    ("cost / (headcount - 12)", {}, 6, "division by zero"),
    ("cost % (headcount - headcount)", {}, 6, "division by zero"),
    ("0 ** (headcount - 13)", {}, 3, "division by zero"),
    ("budget + 1", {"budget": None}, 8, "cannot apply '+' to null and number"),
    ("priorities[5]", {}, 11, "index 5 is out of range for a list of 2 items"),
    ("forecast.quality > 0", {}, 10, "'quality' is missing"),
    ("cost > 1", {"cost": 1.5}, 1, "got the float 1.5"),
    ("kind == 'x'", {"kind": 3}, 1, "expected string, got number"),
    ("extra.name", {"extra": "text"}, 7, "cannot read field 'name' of a string"),
    ("extra < 1", {"extra": "a"}, 7, "cannot order string and number"),
    ("extra == extra", {"extra": {"a": 0.0}}, 7, "got the float 0.0; numbers must be Decimal or int"),
    ("lower(mentor)", {"mentor": None}, 7, "argument 1 of lower() must be string, got null"),
    ("min(lifts)", {"lifts": ()}, 1, "min() of an empty list"),
    ("extra ** 2", {"extra": "x"}, 7, "cannot apply '**'"),
    ("cost > 1", {"cost": object()}, 1, "unsupported Python value"),
])
def test_runtime_errors_have_code_and_column(source: str, env: dict, column: int, fragment: str) -> None:
    diag = run_error(source, **env)
    assert diag.code == "BP350"
    assert fragment in diag.message
    assert diag.location.column == column and diag.location.line == 40
    assert diag.location.key == "approval.rules[3].condition"


@pytest.mark.parametrize("source, column, code, fragment", [
    ("0 ** (0 - 1) == 1", 3, "BP350", "division by zero"),
    ("9 ** 9 ** 9 > 1", 3, "BP305", "the exponent must be a whole number"),
    ("cost > 1 / 0", 10, "BP350", "division by zero"),
    ("cost / 0 > 1", 6, "BP350", "division by zero: the divisor is always 0"),      # not constant, but always fails
    ("cost % (1 - 1) > 1", 6, "BP350", "division by zero: the divisor is always 0"),
    ("round(cost, 99) > 1", 1, "BP350", "round() always fails: places must be a whole number from -28 to 28"),
])
def test_a_constant_that_cannot_be_computed_is_a_compile_error(source: str, column: int, code: str,
                                                              fragment: str) -> None:
    # Computed once when the policy compiles (validate), not met later by evaluate.
    with pytest.raises(ExpressionError) as info:
        compile_(source)
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.location.column, diag.location.line) == (code, column, 40)
    assert fragment in diag.message


def test_constant_subexpressions_are_computed_once() -> None:
    compiled = compile_("cost > 2 ** 10 * 10")
    assert compiled({"cost": Decimal(10241)}) is True and compiled({"cost": Decimal(10240)}) is False


def test_missing_symbol_at_runtime() -> None:
    compiled = compile_("cost > 1")
    with pytest.raises(ExpressionError) as info:
        compiled({})
    assert info.value.diagnostics[0].message == "'cost' has no value"
    # A nullable symbol that is absent reads as null.
    assert compile_("mentor == null")({}) is True


def test_computed_exponent_is_bounded_at_runtime() -> None:
    diag = run_error("2 ** headcount", headcount=D(100))
    assert diag.code == "BP305" and "from -64 to 64" in diag.message


def test_plugin_function_errors_are_located() -> None:
    from budgetpolicy.expr import FunctionSpec

    def explode(x: Decimal) -> Decimal:
        raise RuntimeError("boom")

    functions = dict(FUNCTIONS, explode=FunctionSpec("explode", explode, ("number",), "number", "fails"))
    compiled = compile_expression("1 + explode(cost)", {"cost": NUMBER}, functions)
    with pytest.raises(ExpressionError) as info:
        compiled({"cost": D(1)})
    diag = info.value.diagnostics[0]
    assert (diag.code, diag.location.column, diag.message) == ("BP350", 5, "explode() failed: boom (column 5)")


def test_plugin_function_returning_float_is_rejected() -> None:
    from budgetpolicy.expr import FunctionSpec

    functions = {"half": FunctionSpec("half", lambda x: float(x) / 2, ("number",), "number", "")}
    compiled = compile_expression("half(cost)", {"cost": NUMBER}, functions)
    with pytest.raises(ExpressionError, match="half\\(\\) returned a bad value: got the float 0.5"):
        compiled({"cost": D(1)})


def test_no_access_to_python_internals() -> None:
    class Obj:
        secret = "x"

    compiled = compile_expression("extra.secret", {"extra": ANY}, {})
    with pytest.raises(ExpressionError, match="unsupported Python value"):
        compiled({"extra": Obj()})
    compiled = compile_expression("m.keys", {"m": map_of(ANY)}, {})
    assert compiled({"m": {"a": 1}}) is None  # a map key, never a method


def test_compiled_expression_is_reusable_and_pure() -> None:
    compiled = compile_("cost > 25000 and not mentor")
    assert [compiled(make_env(cost=D(c))) for c in (1, 30000, 25000, 25001)] == [False, True, False, True]
    assert compiled.source == "cost > 25000 and not mentor"
