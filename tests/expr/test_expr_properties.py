"""Property tests: any input either compiles and evaluates, or fails with ExpressionError, never anything else."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetpolicy.errors import ExpressionError
from expr_helpers import FUNCTIONS, SYMBOLS, compile_, make_env

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUE_CLASSES = (Decimal, str, bool, type(None), tuple)

NAMES = sorted(SYMBOLS) + ["cots", "True", "__x", "x"]
TOKENS = NAMES + sorted(FUNCTIONS) + [
    "0", "1", "2.5", "0.0", "-1", "64", "65", "'a'", '"b\\n"', "'", '"', "true", "false", "null",
    "+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "in", "if", "else",
    "(", ")", "[", "]", ",", ".", "=", "!", "@", "\n", "team_size", "impact", "note",
]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.text(max_size=5), st.floats(allow_nan=False, width=16),
)
ENV_VALUES = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "team_size", "impact", "note"]), inner,
                                                max_size=3)), max_leaves=8)


def _check(source: str, extra: Any, flags: Any) -> None:
    try:
        compiled = compile_(source)
    except ExpressionError:
        return
    for env in (make_env(), make_env(extra=extra, attributes={"team_size": extra, "flags": flags}),
                make_env(mentor="", budget=None, lifts=(), priorities=(), cost=Decimal(0))):
        try:
            result = compiled(env)
        except ExpressionError as exc:
            assert not any("internal" in d.message for d in exc.diagnostics), exc
            continue
        assert isinstance(result, VALUE_CLASSES) or isinstance(result, Mapping), result
        if compiled.type.kind == "bool":
            assert isinstance(result, bool)
        if compiled.type.kind == "number":
            assert type(result) is Decimal


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=14), ENV_VALUES, ENV_VALUES)
def test_token_soup_never_crashes(tokens: list[str], extra: Any, flags: Any) -> None:
    _check(" ".join(tokens), extra, flags)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes(source: str) -> None:
    _check(source, None, None)


_leaves = st.one_of(
    st.just("extra"),
    st.sampled_from(sorted(SYMBOLS) + ["attributes.team_size", "scores.impact", "scores.note", 'forecast["win-rate"]',
                                       "priorities[0]", "attributes.flags", "extra.a"]),
    st.sampled_from(["0", "1", "0.1", "0.15", "2", "-3", "''", "'x'", "true", "false", "null", "[]", "[1, 2]",
                     "['a', 'b']"]),
)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=",
                                               "and", "or", "in", "not in"]), inner)
    call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(inner, max_size=3))
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"(not {e})"),
        inner.map(lambda e: f"(-{e})"),
        call.map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
    )


TREES = st.recursive(_leaves, _extend, max_leaves=12)


@SETTINGS
@given(TREES, ENV_VALUES, ENV_VALUES)
def test_well_formed_trees_never_crash(source: str, extra: Any, flags: Any) -> None:
    _check(source, extra, flags)


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**6, max_value=10**6),
       st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**6, max_value=10**6))
def test_arithmetic_matches_decimal(a: Decimal, b: Decimal) -> None:
    compiled = compile_("extra.a + extra.b * 2 - extra.a")
    assert compiled({"extra": {"a": a, "b": b}}) == a + b * 2 - a
    assert compile_("extra.a < extra.b")({"extra": {"a": a, "b": b}}) is (a < b)


# Typed trees: well-typed by construction, so nearly all compile and the evaluator is exercised.
_numbers = st.recursive(
    st.sampled_from(["cost", "headcount", "probability", "scores.impact", "forecast.retention", "budget",
                     "attributes.team_size", "extra", "0", "1", "0.1", "2", "-3", "len(priorities)", "sum(lifts)"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(["0", "1", "2", "-1"])).map(lambda t: f"({t[0]} ** {t[1]})"),
        inner.map(lambda e: f"-{e}"),
        st.sampled_from(["abs", "floor", "ceil", "round"]).flatmap(lambda f: inner.map(lambda e: f"{f}({e})")),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: f"max({', '.join(xs)})"),
        st.tuples(inner, inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]}, {t[2]})"),
    ), max_leaves=8)
_bools = st.recursive(
    st.one_of(
        st.tuples(_numbers, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _numbers).map(" ".join),
        st.sampled_from(["pilot", "not mentor", "kind in ['stretch', 'pilot']", "'x' in title", "not extra",
                         "'win-rate' in priorities", "scores.note == null", "true"]),
        # Values of type any reach every runtime check: membership, access, arithmetic, functions.
        st.sampled_from(["1 in extra", "'a' not in extra", "extra in extra", "extra.a == 1", "extra['a'] != null",
                         "extra[0] == 'a'", "len(extra) > 0", "contains(extra, 1)", "count(extra, 1) > 0",
                         "sum(extra) > 0", "extra + 1 > 0", "extra < extra", "extra + extra == extra",
                         "min(extra) < 2", "any(extra)", "all(extra)", "lower(extra) == 'a'",
                         "attributes.flags[0] == extra", "extra ** 2 > 1", "-extra < 0", "round(extra, 1) == 0",
                         "coalesce(extra, 1) == 1", "abs(extra) >= 0", "startswith(extra, 'a')",
                         "extra.a.a == extra", "[extra, 1] == [1, extra]"]),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"not ({e})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
    ), max_leaves=6)


@SETTINGS
@given(_bools, ENV_VALUES, st.sampled_from([Decimal(0), Decimal("0.5"), None, 3]))
def test_typed_trees_compile_and_never_crash(source: str, extra: Any, budget: Any) -> None:
    try:
        compiled = compile_(source)  # well-typed by construction: compiles, unless a constant part cannot
    except ExpressionError as exc:  # be computed (1 / 0, 9 ** 99), which is then a compile error
        assert all(d.code in ("BP350", "BP305") and "internal" not in d.message for d in exc.diagnostics), exc
        return
    assert compiled.type.kind == "bool"
    for env in (make_env(budget=budget), make_env(extra=extra, budget=budget, cost=Decimal(0), headcount=0)):
        try:
            assert isinstance(compiled(env), bool)
        except ExpressionError as exc:
            assert all(d.code in ("BP350", "BP305") and "internal" not in d.message for d in exc.diagnostics), exc
