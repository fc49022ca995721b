"""The syntax tree the parser produces and the checker and compiler consume.

Every node is a small frozen attrs value with a :class:`Span` (1-based line
and column inside the expression source) so that errors found while checking
or evaluating point at the operator or name that caused them. The tree is
public: tools (the policy linter, ``explain``) may walk it, never mutate it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Union

from attrs import frozen


@frozen
class Span:
    """Where a token or node starts inside the expression source (1-based)."""

    line: int
    column: int


@frozen
class Literal:
    """A constant: Decimal number, string, bool or None (null)."""

    value: Decimal | str | bool | None
    span: Span


@frozen
class Name:
    """A top-level symbol, such as ``cost`` or ``attributes``."""

    id: str
    span: Span


@frozen
class Attribute:
    """``value.attr``: a field of a record or a key of a map."""

    value: "Node"
    attr: str
    span: Span  # of the field name


@frozen
class Index:
    """``value[index]``: a map key (string) or a list position (integer, negative from the end)."""

    value: "Node"
    index: "Node"
    span: Span  # of the opening bracket


@frozen
class Unary:
    """``-operand`` or ``+operand`` (``-`` on a number literal is folded into the Literal)."""

    op: str
    operand: "Node"
    span: Span


@frozen
class Binary:
    """Arithmetic (``+ - * / % **``) or comparison (``== != < <= > >=``)."""

    op: str
    left: "Node"
    right: "Node"
    span: Span  # of the operator


@frozen
class BoolOp:
    """``a and b and c`` / ``a or b``: short-circuit, result is a bool."""

    op: str  # "and" | "or"
    values: tuple["Node", ...]
    span: Span  # of the first operator


@frozen
class Not:
    """``not operand``: the negated truthiness of the operand."""

    operand: "Node"
    span: Span


@frozen
class In:
    """``needle in haystack`` / ``needle not in haystack`` (``negated``)."""

    needle: "Node"
    haystack: "Node"
    negated: bool
    span: Span  # of ``in`` (or of ``not`` in ``not in``)


@frozen
class Call:
    """``func(arg, ...)``: only registered functions can be called, by name."""

    func: str
    args: tuple["Node", ...]
    span: Span  # of the function name


@frozen
class ListLit:
    """``[a, b, ...]``."""

    items: tuple["Node", ...]
    span: Span


@frozen
class Conditional:
    """``body if test else orelse``."""

    test: "Node"
    body: "Node"
    orelse: "Node"
    span: Span  # of ``if``


Node = Union[Literal, Name, Attribute, Index, Unary, Binary, BoolOp, Not, In, Call, ListLit, Conditional]


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, left to right."""
    if isinstance(node, (Attribute,)):
        return (node.value,)
    if isinstance(node, Index):
        return (node.value, node.index)
    if isinstance(node, (Unary, Not)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, In):
        return (node.needle, node.haystack)
    if isinstance(node, (BoolOp,)):
        return node.values
    if isinstance(node, (Call,)):
        return node.args
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Conditional):
        return (node.body, node.test, node.orelse)
    return ()


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children (iterative: trees are shallow but untrusted)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out


def dotted_path(node: Node) -> str | None:
    """``attributes.team_size`` for a chain of fields (or constant string keys) from a name."""
    parts: list[str] = []
    while True:
        if isinstance(node, Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        if isinstance(node, Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, Index) and isinstance(node.index, Literal) and isinstance(node.index.value, str):
            parts.append(node.index.value)
            node = node.value
        else:
            return None
