"""Lexer and parser: tokens with positions, tree shapes, precedence, syntax errors with columns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgetpolicy.errors import ExpressionError
from budgetpolicy.expr.ast import (Attribute, Binary, BoolOp, Call, Conditional, In, Index, ListLit, Literal, Name,
                                   Not, Span, Unary)
from budgetpolicy.expr.lexer import tokenize
from budgetpolicy.expr.parser import parse


def test_tokens_carry_line_and_column() -> None:
    tokens = tokenize('cost >= 25_000 and\n  kind == "pilot"')
    assert [(t.kind, t.text, t.span.line, t.span.column) for t in tokens] == [
        ("name", "cost", 1, 1), ("op", ">=", 1, 6), ("number", "25000", 1, 9), ("keyword", "and", 1, 16),
        ("name", "kind", 2, 3), ("op", "==", 2, 8), ("string", "pilot", 2, 11), ("end", "", 2, 18),
    ]


def test_string_escapes_and_both_quotes() -> None:
    tokens = tokenize(r"""'it\'s' "a\"b" 'tab\there' '\u00e9\\'""")
    assert [t.text for t in tokens[:-1]] == ["it's", 'a"b', "tab\there", "é\\"]


def test_number_literal_is_exact_decimal() -> None:
    node = parse("0.1")
    assert node == Literal(Decimal("0.1"), Span(1, 1))
    assert str(node.value) == "0.1"
    assert parse("-0.25") == Literal(Decimal("-0.25"), Span(1, 1))


def test_precedence_and_associativity() -> None:
    tree = parse("1 + 2 * 3 - 4")
    # (1 + (2 * 3)) - 4
    assert isinstance(tree, Binary) and tree.op == "-"
    assert isinstance(tree.left, Binary) and tree.left.op == "+"
    assert isinstance(tree.left.right, Binary) and tree.left.right.op == "*"
    power = parse("2 ** 3 ** 2")
    assert isinstance(power, Binary) and isinstance(power.right, Binary)  # right-associative
    negated_power = parse("-2 ** 2")
    assert isinstance(negated_power, Unary) and isinstance(negated_power.operand, Binary)


def test_boolean_structure() -> None:
    tree = parse("a or b and not c")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.values[1], BoolOp) and tree.values[1].op == "and"
    assert isinstance(tree.values[1].values[1], Not)
    flat = parse("a and b and c")
    assert isinstance(flat, BoolOp) and len(flat.values) == 3


def test_comparison_chain_desugars_to_and() -> None:
    tree = parse("0 < x <= 1")
    assert isinstance(tree, BoolOp) and tree.op == "and"
    assert [v.op for v in tree.values] == ["<", "<="]  # type: ignore[union-attr]


def test_membership_and_access_nodes() -> None:
    tree = parse('kind not in ["a", "b"]')
    assert isinstance(tree, In) and tree.negated and isinstance(tree.haystack, ListLit)
    assert tree.span == Span(1, 6)
    access = parse('attributes.team_size + forecast["win-rate"]')
    assert isinstance(access, Binary)
    assert access.left == Attribute(Name("attributes", Span(1, 1)), "team_size", Span(1, 12))
    assert isinstance(access.right, Index) and access.right.index == Literal("win-rate", Span(1, 33))


def test_call_and_conditional() -> None:
    tree = parse("max(1, x,) if pilot else 0")
    assert isinstance(tree, Conditional) and tree.span == Span(1, 12)
    assert isinstance(tree.body, Call) and tree.body.func == "max" and len(tree.body.args) == 2


@pytest.mark.parametrize("source, column, fragment", [
    ("", 1, "empty expression"),
    ("cost >", 7, "found end of expression"),
    ("1 +* 2", 4, "found '*'"),
    ("cost = 5", 6, "unexpected character '='"),
    ("'open", 1, "unterminated string"),
    ("'bad \\q'", 6, "unknown escape"),
    ("(1 + 2", 7, "expected ')'"),
    ("cost 5", 6, "expected an operator or the end"),
    ("x.lower()", 8, "only functions can be called"),
    ("a in b in c", 8, "expected the end of the comparison"),
    ("1.5e3", 1, "malformed number"),
    ("__class__", 1, "names starting with '__'"),
    ("x.if", 3, "'if' is a keyword"),
    ("a if b", 7, "'else'"),
    ("[1, 2", 6, "expected ',' or ']'"),
    ("1__0", 1, "malformed number"),
    ("café", 1, "non-ASCII"),
])
def test_syntax_errors_have_code_and_column(source: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    diag = info.value.diagnostics[0]
    assert diag.code == "BP301"
    assert diag.location.column == column
    assert fragment in diag.message


def test_syntax_error_hint_for_single_equals() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("cost = 5")
    assert info.value.diagnostics[0].hint == "use == to compare"


def test_multiline_error_line_and_column() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("cost > 1 and\n   kind ==")
    diag = info.value.diagnostics[0]
    assert (diag.location.line, diag.location.column) == (2, 11)
