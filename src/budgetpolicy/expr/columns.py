"""The same expression evaluated for a whole batch at once: a column of values per node.

:mod:`.compiler` turns a checked tree into a closure called once per initiative. This module turns
the common shapes of approval conditions (a name compared with a constant, ``len(name)``, ``not``,
``and``/``or``, ``in`` a constant list) into a function of the batch's columns, which runs each
operator over the whole column in C (``map`` over :mod:`operator` functions) instead of one Python
closure call per initiative and node.

It gives, for every initiative, exactly the value the closure gives, or nothing at all:

* a name's column is used only when every value in it has a class its type takes as it is (the
  closure would return the value unchanged); otherwise :class:`Unsuitable` is raised;
* an operator is applied only where the closure, on such values, applies the same Python operator
  (both sides of an ordering Decimals, or both strings; both sides of ``==`` of one scalar class);
* anything raised while the columns are computed (a NaN in an ordering, a function's error) means
  the batch goes through the closures, which report the first failing initiative as they always do.

A tree with any other node (arithmetic, attributes, indexes, conditionals, calls other than a
built-in function of one name) compiles to ``None``: the caller uses the closures. No code is
generated; the column functions are closures over :mod:`operator` functions, like the compiler's.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from itertools import chain, repeat
from types import NoneType
from typing import Any

from budgetpolicy.expr._runtime import fast_classes
from budgetpolicy.expr.ast import BoolOp, Binary, Call, In, ListLit, Literal, Name, Node, Not, children
from budgetpolicy.expr.checker import CheckResult
from budgetpolicy.expr.functions import FunctionSpec
from budgetpolicy.expr.types import accepts

# Reads a name's column for the batch (the raw values, one per initiative); KeyError: not available.
Reader = Callable[[str], list[Any]]
# A node's values for the batch, in order (lazy: each is consumed once, by its parent).
ColumnFn = Callable[["Batch"], Iterable[Any]]

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}  # a < b exactly when b > a (Decimals, strings)
_ORDERED = frozenset({Decimal, str})
_EQUAL = frozenset({Decimal, str, bool})


# The attribute of a function's batch form: ``f.column_form(values) == [f(v) for v in values]``.
COLUMN_FORM = "column_form"


class Unsuitable(Exception):
    """A column holds a value the closures would convert or refuse: use the closures for this batch."""


class Batch:
    """The columns of one batch, read once per name and class-checked once per (name, classes)."""

    __slots__ = ("read", "raw", "checked")

    def __init__(self, read: Reader) -> None:
        self.read = read
        self.raw: dict[str, list[Any]] = {}
        self.checked: dict[tuple[str, frozenset[type], type | None], list[Any]] = {}

    def column(self, name: str, classes: frozenset[type], item: type | None) -> list[Any]:
        """The column of ``name`` if every value's class is in ``classes`` (and, for lists, every
        item's class is ``item``); raises :class:`Unsuitable` otherwise."""
        key = (name, classes, item)
        known = self.checked.get(key)
        if known is not None:
            return known
        values = self.raw.get(name)
        if values is None:
            try:
                values = self.raw[name] = self.read(name)
            except KeyError:
                raise Unsuitable(name) from None
        if not set(map(type, values)) <= classes:
            raise Unsuitable(name)
        if item is not None and not set(map(type, chain.from_iterable(values))) <= {item}:
            raise Unsuitable(name)
        self.checked[key] = values
        return values


def compile_columns(node: Node, checked: CheckResult, functions: Mapping[str, FunctionSpec],
                    constant: Callable[[Node], Any]) -> ColumnFn | None:
    """The column function of ``node``, or None when a node of its tree has no column form.
    ``constant(node)``: the value of a subtree that reads no name and calls nothing (the compiler's)."""
    return _Columns(checked, functions, constant).compile(node)


class _Columns:
    def __init__(self, checked: CheckResult, functions: Mapping[str, FunctionSpec],
                 constant: Callable[[Node], Any]) -> None:
        self.checked = checked
        self.functions = functions
        self.constant = constant

    def compile(self, node: Node) -> ColumnFn | None:
        if not _reads_or_calls(node):
            value = self.constant(node)
            return lambda batch: repeat(value)
        method = getattr(self, "c_" + type(node).__name__, None)
        return None if method is None else method(node)

    def c_Name(self, node: Name) -> ColumnFn | None:
        t, key = self.checked.type_of(node), node.id
        if t.kind == "list":
            items = fast_classes(t.item) if t.item is not None else frozenset()
            if len(items) != 1:
                return None
            (item,) = items
            return lambda batch: batch.column(key, _TUPLE, item)
        classes = fast_classes(t)
        if not classes <= _SCALAR:
            return None
        return lambda batch: batch.column(key, classes, None)

    def c_Not(self, node: Not) -> ColumnFn | None:
        operand = self.compile(node.operand)
        if operand is None:
            return None
        return lambda batch: map(operator.not_, operand(batch))

    def c_BoolOp(self, node: BoolOp) -> ColumnFn | None:
        fns = [self.compile(value) for value in node.values]
        if any(fn is None for fn in fns):
            return None
        parts: list[ColumnFn] = [fn for fn in fns if fn is not None]
        # The closure's value is a bool: the operands' truths combined (both are evaluated here; one
        # the closure would skip cannot change the answer, and if it raises the batch uses the closures).
        combine = operator.and_ if node.op == "and" else operator.or_

        def bool_op(batch: Batch) -> Iterable[Any]:
            out = map(operator.truth, parts[0](batch))
            for fn in parts[1:]:
                out = map(combine, out, map(operator.truth, fn(batch)))
            return out

        return bool_op

    def c_Binary(self, node: Binary) -> ColumnFn | None:
        if node.op not in _ORDER and node.op not in ("==", "!="):
            return None  # arithmetic: its context and errors stay with the closures
        left_node, right_node, op_name = node.left, node.right, node.op
        if not _reads_or_calls(left_node):  # the constant on the right (for ==, as the compiler does)
            left_node, right_node, op_name = right_node, left_node, _MIRROR.get(op_name, op_name)
        if op_name not in _ORDER and isinstance(right_node, Literal) and \
                (right_node.value is None or right_node.value.__class__ is bool):
            subject = self.compile(left_node)  # `x == null`, `x == true`: the compiler's identity test
            if subject is None:
                return None
            ident, value = (operator.is_ if node.op == "==" else operator.is_not), right_node.value
            return lambda batch: map(ident, subject(batch), repeat(value))
        allowed = _ORDERED if op_name in _ORDER else _EQUAL
        if not all(fast_classes(self.checked.type_of(side)) & allowed for side in (left_node, right_node)):
            return None  # lists, maps or nulls on a side: never one class of `allowed`, the closures decide
        lfn, rfn = self.compile(left_node), self.compile(right_node)
        if lfn is None or rfn is None:
            return None
        if op_name in _ORDER:
            compare = _ORDER[op_name]
            return lambda batch: map(compare, *_pair(lfn(batch), rfn(batch), _ORDERED))
        op = operator.eq if node.op == "==" else operator.ne
        return lambda batch: map(op, *_pair(lfn(batch), rfn(batch), _EQUAL))

    def c_In(self, node: In) -> ColumnFn | None:
        haystack = node.haystack
        if not isinstance(haystack, ListLit) or not all(isinstance(i, Literal) for i in haystack.items):
            return None
        members = [i.value for i in haystack.items if isinstance(i, Literal)]
        classes = {m.__class__ for m in members}
        if len(classes) != 1 or not classes <= {str, Decimal}:
            return None
        needle = self.compile(node.needle)
        if needle is None:
            return None
        (cls,) = classes
        found = frozenset(members).__contains__
        only = frozenset({cls})

        def membership(batch: Batch) -> Iterable[Any]:
            values = list(needle(batch))
            if not set(map(type, values)) <= only:
                raise Unsuitable("in")
            hits = map(found, values)
            return map(operator.not_, hits) if node.negated else hits

        return membership

    def c_Call(self, node: Call) -> ColumnFn | None:
        spec = self.functions.get(node.func)
        if spec is None or not _BUILT_IN(spec.plugin) or len(node.args) != 1 or not isinstance(node.args[0], Name):
            return None  # another plugin's function may record its calls or not be pure in time: closures
        arg = node.args[0]
        if spec.check is None and accepts(spec.param_for(0), self.checked.type_of(arg)) == "maybe":
            return None  # the closure guards the argument first
        column = self.compile(arg)
        answers = fast_classes(self.checked.type_of(node))
        if column is None or len(answers) != 1:
            return None
        (answer,) = answers
        fn, only = spec.fn, frozenset({answer})
        # A function may carry its own batch form (a list of values -> the list of its answers), as the
        # built-in len() does: C's len over the column.
        over: Callable[[list[Any]], list[Any]] = getattr(fn, COLUMN_FORM, None) or \
            (lambda values: list(map(fn, values)))

        def call(batch: Batch) -> Iterable[Any]:
            out = over(list(column(batch)))
            if not set(map(type, out)) <= only:  # the closure would convert (or refuse) the answer
                raise Unsuitable(node.func)
            return out

        return call


_TUPLE = frozenset({tuple})
# The functions budgetpolicy itself registers (builtins/functions.py): pure, and never recorded.
_BUILT_IN = ("", "budgetpolicy.builtins.functions").__contains__
_SCALAR = frozenset({Decimal, str, bool, NoneType})


def _pair(left: Iterable[Any], right: Iterable[Any], allowed: frozenset[type]) -> tuple[list[Any], Iterable[Any]]:
    """Both sides of an operator, checked: every value of both of one class, one of ``allowed`` (then
    the closure applies the same Python operator to the same values); raises :class:`Unsuitable`."""
    values = list(left)
    classes = set(map(type, values))
    if isinstance(right, repeat):  # a constant: its class against every value's
        constant = next(right)
        classes.add(constant.__class__)
        other: Iterable[Any] = repeat(constant)
    else:
        other = list(right)
        classes.update(map(type, other))
    if len(classes) != 1 or not classes <= allowed:
        raise Unsuitable("operands")
    return values, other


def _reads_or_calls(node: Node) -> bool:
    return isinstance(node, (Name, Call)) or any(_reads_or_calls(c) for c in children(node))
