"""Thresholds of a condition in one input, solved from the compiled expression tree.

Used by :mod:`.counterfactual`. A comparison whose two sides are linear in
the input (``cost > 25000``, ``score < 0.35`` once the score's slope in a
rating is known, ``cost / headcount > 6000`` for positive headcounts) has one
boundary value where it changes truth, found exactly with Decimal arithmetic.
Everything else yields no threshold and the caller falls back to a bounded
search. The caller always verifies a threshold by re-deciding the initiative,
so a threshold here is a well-founded proposal, never the final word.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from budgetpolicy.expr.ast import Binary, Literal, Node, Unary, dotted_path, walk

Linear = tuple[Decimal, Decimal]  # value = a * x + b
_COMPARE = frozenset({"<", "<=", ">", ">=", "=="})


def comparisons(tree: Node) -> list[Binary]:
    """Every numeric comparison in the tree (chained comparisons are already split by the parser)."""
    return [n for n in walk(tree) if isinstance(n, Binary) and n.op in _COMPARE]


def mentions(node: Node, paths: set[str]) -> bool:
    return any(dotted_path(n) in paths for n in walk(node))


def linear(node: Node, x: str, derived: Mapping[str, Linear], seen: Mapping[str, Any]) -> Linear | None:
    """``node`` as ``a * x + b``, or None when it is not linear in ``x`` (or a value is unknown)."""
    zero = Decimal(0)
    if isinstance(node, Literal):
        value = node.value
        return (zero, value) if isinstance(value, Decimal) else None
    path = dotted_path(node)
    if path is not None:
        if path == x:
            return (Decimal(1), zero)
        if path in derived:
            return derived[path]
        value = seen.get(path)
        return (zero, value) if isinstance(value, Decimal) else None
    if isinstance(node, Unary):
        inner = linear(node.operand, x, derived, seen)
        if inner is None:
            return None
        return (-inner[0], -inner[1]) if node.op == "-" else inner
    if not isinstance(node, Binary) or node.op not in ("+", "-", "*", "/"):
        return None
    left = linear(node.left, x, derived, seen)
    right = linear(node.right, x, derived, seen)
    if left is None or right is None:
        return None
    if node.op == "+":
        return (left[0] + right[0], left[1] + right[1])
    if node.op == "-":
        return (left[0] - right[0], left[1] - right[1])
    if node.op == "*":
        if left[0] == 0:
            return (left[1] * right[0], left[1] * right[1])
        return (left[0] * right[1], left[1] * right[1]) if right[0] == 0 else None
    if right[0] != 0 or right[1] == 0:
        return None  # x in a denominator: handled by threshold() for comparisons
    with localcontext() as ctx:
        ctx.prec = 50
        return (left[0] / right[1], left[1] / right[1])


def threshold(node: Binary, x: str, derived: Mapping[str, Linear], seen: Mapping[str, Any]) -> Decimal | None:
    """The value of ``x`` where the comparison ``node`` changes truth, or None."""
    form = _difference(node, x, derived, seen)
    if form is None or form[0] == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return (-form[1] / form[0]).normalize()


def _difference(node: Binary, x: str, derived: Mapping[str, Linear], seen: Mapping[str, Any]) -> Linear | None:
    left = linear(node.left, x, derived, seen)
    right = linear(node.right, x, derived, seen)
    if left is not None and right is not None:
        return (left[0] - right[0], left[1] - right[1])
    # n / d(x) op k with d > 0 (a head count, a horizon): the same boundary as n - k * d(x) op 0.
    for ratio, other in ((node.left, right), (node.right, left)):
        if other is None or other[0] != 0 or not (isinstance(ratio, Binary) and ratio.op == "/"):
            continue
        numerator = linear(ratio.left, x, derived, seen)
        denominator = linear(ratio.right, x, derived, seen)
        if numerator is None or denominator is None or numerator[0] != 0 or denominator[0] == 0:
            continue
        k = other[1]
        return (-k * denominator[0], numerator[1] - k * denominator[1])
    return None
