"""Type checker: result types, referenced names, and every static error with its column and hint."""

from __future__ import annotations

import pytest

from budgetpolicy.errors import ExpressionError, Location
from budgetpolicy.expr import (ANY, BOOL, NULL, NUMBER, STRING, Type, TypeSyntaxError, list_of, map_of, optional,
                               parse_type, record)
from budgetpolicy.expr.types import accepts, join
from expr_helpers import compile_, compile_error


@pytest.mark.parametrize("source, expected", [
    ("cost * 2", NUMBER),
    ("cost > 1", BOOL),
    ("title + '!'", STRING),
    ("kind if pilot else 'x'", STRING),
    ("mentor if pilot else null", optional(STRING)),
    ("attributes.team_size", ANY),
    ("forecast.retention", NUMBER),
    ('forecast["win-rate"]', NUMBER),
    ("scores.note", optional(STRING)),
    ("priorities[0]", STRING),
    ("[1, 2]", list_of(NUMBER)),
    ("[1, null]", list_of(optional(NUMBER))),
    ("[]", list_of(ANY)),
    ("coalesce(mentor, 'none')", STRING),
    ("coalesce(mentor, null)", optional(STRING)),
    ("extra + extra", ANY),
    ("extra + 1", NUMBER),
    ("len(priorities)", NUMBER),
])
def test_static_result_types(source: str, expected: Type) -> None:
    assert compile_(source).type == expected


def test_names_are_dotted_paths() -> None:
    compiled = compile_('cost > 1 and attributes.team_size > 3 and scores.impact > 0 and forecast["win-rate"] > 0 '
                        "and priorities[headcount] == 'x'")
    assert compiled.names == frozenset({"cost", "attributes.team_size", "scores.impact", "forecast.win-rate",
                                        "priorities", "headcount"})


def test_dotted_symbol_keys_become_records() -> None:
    compiled = compile_("scores.impact > 0.5", symbols={"scores.impact": "number", "scores.risk": "number?"})
    assert compiled.names == frozenset({"scores.impact"})
    diag = compile_error("scores.risc", symbols={"scores.impact": "number", "scores.risk": "number?"})
    assert diag.hint == "did you mean 'risk'?"


@pytest.mark.parametrize("source, code, column, message, hint", [
    ("cots > 1", "BP302", 1, "unknown name 'cots'", "did you mean 'cost'?"),
    ("scores.impct > 1", "BP302", 8, "unknown field 'impct'", "did you mean 'impact'?"),
    ('scores["feasibilty"]', "BP302", 7, "unknown field 'feasibilty'", "did you mean 'feasibility'?"),
    ("True", "BP302", 1, "unknown name 'True'", "write true"),
    ("len", "BP302", 1, "unknown name 'len'", "'len' is a function; call it as len(...)"),
    ("lenght(priorities)", "BP304", 1, "unknown function 'lenght'", "did you mean 'len'?"), ("uper(kind)", "BP304", 1, "unknown function 'uper'", "did you mean 'upper'?"),
    ("len(kind, kind)", "BP304", 1, "len() takes 1 argument, got 2", None),
    ("round()", "BP304", 1, "round() takes 1 to 2 arguments, got 0", None),
    ("coalesce()", "BP304", 1, "coalesce() takes at least 1 argument", None),
    ("cost + kind", "BP303", 6, "cannot add number and string", None),
    ("cost - null", "BP303", 6, "cannot subtract number and null", "a null value has no arithmetic; use coalesce(x, 0)"),
    ("kind * 3", "BP303", 6, "cannot multiply string and number", None),
    ("cost == '25000'", "BP303", 6, "comparing number with string using == is always false", "remove the quotes: 25000"),
    ("cost < kind", "BP303", 6, "cannot order number and string", None),
    ("pilot < true", "BP303", 7, "cannot order bool and bool", None),
    ("-kind", "BP303", 2, "unary - must be number, got string", None),
    ("cost in kind", "BP303", 1, "must be string, got number", None),
    ("1 in priorities", "BP303", 3, "looks for a number in a list<string>", None),
    ("kind in cost", "BP303", 9, "needs a list, string or map on the right", None),
    ("cost.amount", "BP303", 6, "cannot read field 'amount' of a value of type number", None),
    ("kind[0]", "BP303", 5, "cannot index a value of type string", None),
    ("priorities['a']", "BP303", 11, "a list index must be number, got string", None),
    ("priorities[0.5]", "BP303", 12, "whole number", None),
    ("lower(cost)", "BP303", 7, "argument 1 of lower() must be string, got number", None),
    ("sum(priorities)", "BP303", 5, "argument 1 of sum() must be list<number>, got list<string>", None),
    ("min(kind, 1)", "BP303", 1, "min(): argument 1 must be number, got string", None),
    ("kind if pilot else 1", "BP303", 6, "different types: string and number", None),
    ("[1, 'a']", "BP303", 5, "list items must have one type", None),
    ("cost ** 0.5", "BP303", 9, "whole number", None),
    ("cost ** 65", "BP305", 9, "exponent 65 is larger than the limit 64", None),
])
def test_static_errors(source: str, code: str, column: int, message: str, hint: str | None) -> None:
    diag = compile_error(source)
    assert diag.code == code
    assert message in diag.message
    assert diag.location.column == column
    assert diag.location.line == 40 and diag.location.file == "policy.toml"
    assert diag.location.key == "approval.rules[3].condition"
    if hint is not None:
        assert diag.hint == hint


def test_did_you_mean_reads_well_in_the_one_line_message() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_("scores.cots", symbols={"scores": record({"cost": NUMBER})})
    assert str(info.value) == ("policy.toml:40:8: approval.rules[3].condition: BP302 error: unknown field 'cots' "
                               "(did you mean 'cost'?)")


def test_error_line_offsets_for_multiline_expression() -> None:
    diag = compile_error("cost > 1 and\n  kind == cots")
    assert (diag.location.line, diag.location.column) == (41, 11)


def test_error_without_where_keeps_column_in_message() -> None:
    diag = compile_error("cots", where=None)
    assert diag.location == Location(column=1)
    assert diag.message == "unknown name 'cots' (column 1)"


def test_ordering_against_null_warns_but_compiles() -> None:
    compiled = compile_("cost > null")
    assert [(w.code, w.severity, w.location.column) for w in compiled.warnings] == [("BP390", "warning", 6)]
    assert compile_("budget > 1").warnings == ()


@pytest.mark.parametrize("text, expected", [
    ("number", NUMBER), ("string", STRING), ("bool", BOOL), ("null", NULL), ("any", ANY),
    ("list", list_of(ANY)), ("list<string>", list_of(STRING)), ("map", map_of(ANY)),
    ("map<number>", map_of(NUMBER)), ("string?", optional(STRING)), ("list<number?>?", optional(list_of(optional(NUMBER)))),
    (" List < Number > ", list_of(NUMBER)),
])
def test_parse_type(text: str, expected: Type) -> None:
    assert parse_type(text) == expected
    assert parse_type(str(expected)) == expected  # str() round-trips


@pytest.mark.parametrize("text", ["", "decimal", "list<", "list<number", "map<>", "number??x", "list<number>>"])
def test_parse_type_rejects_bad_names(text: str) -> None:
    with pytest.raises(TypeSyntaxError) as info:
        parse_type(text)
    assert isinstance(info.value, ValueError)
    assert info.value.diagnostics[0].code == "BP306"


def test_type_relations() -> None:
    assert accepts(NUMBER, NUMBER) == "yes"
    assert accepts(NUMBER, optional(NUMBER)) == "maybe"
    assert accepts(NUMBER, ANY) == "maybe"
    assert accepts(NUMBER, STRING) == "no"
    assert accepts(optional(NUMBER), NULL) == "yes"
    assert accepts(map_of(NUMBER), record({"a": NUMBER})) == "yes"
    assert accepts(list_of(ANY), list_of(STRING)) == "yes"
    assert join(NUMBER, NULL) == optional(NUMBER)
    assert join(NUMBER, STRING) is None
    assert optional(optional(NUMBER)) == optional(NUMBER)
    assert str(record({"b": NUMBER, "a": STRING})) == "{a: string, b: number}"
