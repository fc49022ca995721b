"""Limits (BP305): untrusted expressions are bounded in length, nesting, list size and exponents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgetpolicy.errors import ExpressionError
from expr_helpers import compile_, compile_error, run


def test_source_length_limit() -> None:
    long_source = "cost > 1 and " * 400 + "true"
    diag = compile_error(long_source)
    assert diag.code == "BP305" and "limit is 4000" in diag.message
    assert compile_("cost > 1 and " * 100 + "true").type.kind == "bool"


def test_parenthesis_nesting_limit() -> None:
    assert run("(" * 60 + "1" + ")" * 60) == 1
    diag = compile_error("(" * 65 + "1" + ")" * 65)
    assert diag.code == "BP305" and "nests" in diag.message


def test_deep_unary_and_not_chains_are_limited() -> None:
    assert compile_error("not " * 100 + "true").code == "BP305"
    assert compile_error("-" * 100 + "1").code == "BP305"


def test_long_flat_chains_are_limited_by_tree_depth() -> None:
    assert run(" + ".join(["1"] * 60)) == 60
    diag = compile_error(" + ".join(["1"] * 80))
    assert diag.code == "BP305" and "nests 80 levels deep" in diag.message


def test_long_boolean_chains_stay_flat() -> None:
    # and/or chains are one node, so a long list of conditions is fine.
    assert run(" and ".join(["cost > 1"] * 200)) is True


def test_list_literal_size_limit() -> None:
    assert compile_("[" + ", ".join(["1"] * 256) + "]").type.kind == "list"
    diag = compile_error("[" + ", ".join(["1"] * 300) + "]")
    assert diag.code == "BP305" and "257 items" in diag.message


def test_number_literal_length_limit() -> None:
    assert compile_error("1" * 65).code == "BP305"


def test_exponent_limit() -> None:
    assert run("2 ** 64") == 2 ** 64
    assert compile_error("2 ** 65").code == "BP305"
    assert compile_error("2 ** -65").code == "BP305"


def test_huge_results_are_errors_not_hangs() -> None:
    # A constant expression is computed when the policy compiles, so `validate` refuses it too.
    with pytest.raises(ExpressionError) as info:
        compile_("(10 ** 64) ** 64 ** 64 ** 64")
    assert info.value.diagnostics[0].code == "BP305"
    compiled = compile_("(headcount ** 64) ** (headcount * 6) ** 64")  # not constant: met when evaluated
    with pytest.raises(ExpressionError) as info:
        compiled({"headcount": Decimal(10)})
    assert info.value.diagnostics[0].code == "BP305"
