"""The safe expression language policies write their conditions in.

Pipeline, one module per stage: :mod:`.lexer` (text to tokens), :mod:`.parser`
(tokens to the tree in :mod:`.ast`; its docstring holds the grammar),
:mod:`.checker` (static types against a symbol table, before any data), and
:mod:`.compiler` (the tree to nested closures). Compile once, evaluate many::

    from budgetpolicy.builtins.functions import builtin_functions
    from budgetpolicy.expr import compile_expression, NUMBER, STRING, optional

    rule = compile_expression("cost > 25_000 and not mentor",
                              {"cost": NUMBER, "mentor": optional(STRING)}, builtin_functions())
    rule({"cost": Decimal("30000"), "mentor": None})   # True

Numbers are ``decimal.Decimal`` throughout; every error is an
:class:`~budgetpolicy.errors.ExpressionError` with the column of the problem.
The user reference is ``docs/expressions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from budgetpolicy.errors import Diagnostic, ExpressionError, Location
from budgetpolicy.expr import _diag
from budgetpolicy.expr.ast import Node
from budgetpolicy.expr.checker import check
from budgetpolicy.expr.columns import ColumnFn, compile_columns
from budgetpolicy.expr.compiler import Fn, compile_tree
from budgetpolicy.expr.functions import FunctionSpec, function_specs
from budgetpolicy.expr.parser import parse
from budgetpolicy.expr.types import (ANY, BOOL, NULL, NUMBER, STRING, Type, TypeSyntaxError, list_of, map_of,
                                     optional, parse_type, record)

__all__ = [
    "compile_expression", "CompiledExpression", "FunctionSpec", "Type", "parse_type", "TypeSyntaxError",
    "NUMBER", "STRING", "BOOL", "NULL", "ANY", "list_of", "map_of", "optional", "record",
    "function_specs", "symbols_from",
]


@frozen
class CompiledExpression:
    """A parsed, type-checked and compiled expression; call it with an environment mapping."""

    source: str
    ast: Node = field(repr=False)
    type: Type
    names: frozenset[str]
    warnings: tuple[Diagnostic, ...] = field(default=(), repr=False)
    where: Location | None = field(default=None, repr=False)
    _fn: Fn = field(default=None, repr=False, eq=False, alias="fn")
    # The same expression over a batch's columns (:mod:`.columns`), or None where it has no column form.
    columns: ColumnFn | None = field(default=None, repr=False, eq=False)

    @property
    def bare(self) -> Fn:
        """The compiled closure without the safety net of ``__call__``: failures other than
        ExpressionError come out raw, so callers that use it call the expression again to report them."""
        return self._fn

    def __call__(self, env: Mapping[str, Any]) -> Any:
        try:
            return self._fn(env)
        except ExpressionError:
            raise
        except RecursionError:
            raise _diag.error(_diag.LIMIT, "value nests too deeply to evaluate", None, self.where) from None
        except Exception as exc:
            # A safety net: every failure is reported as an ExpressionError with a location.
            raise _diag.error(_diag.RUNTIME, f"internal evaluation error: {type(exc).__name__}: {exc}",
                              None, self.where, "please report this with the expression") from exc


# Dotted symbol names gathered into nested records before they become record types.
_SymbolTree = dict[str, "Type | _SymbolTree"]


def symbols_from(symbols: Mapping[str, Type | str]) -> dict[str, Type]:
    """Normalise a symbol table: string types are parsed, dotted keys (``scores.impact``) become records."""
    out: _SymbolTree = {}
    for key, value in symbols.items():
        type_ = parse_type(value)
        head, *rest = key.split(".")
        if not rest:
            out[head] = type_
            continue
        node = out.setdefault(head, {})
        if not isinstance(node, dict):
            raise ValueError(f"symbol '{head}' is both a value and a record (from '{key}')")
        for part in rest[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"symbol '{key}' nests inside a value")
        node[rest[-1]] = type_
    return {k: _to_type(v) for k, v in out.items()}


def _to_type(value: Type | _SymbolTree) -> Type:
    return record({k: _to_type(v) for k, v in value.items()}) if isinstance(value, dict) else value


def compile_expression(source: str, symbols: Mapping[str, Type | str], functions: Mapping[str, FunctionSpec],
                       *, where: Location | None = None) -> CompiledExpression:
    """Parse, type-check and compile ``source``; raises ExpressionError (BP301-BP305)."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, got {type(source).__name__}",
                              where, code=_diag.SYNTAX)
    table = symbols_from(symbols)
    tree = parse(source, where)
    checked = check(tree, table, functions, where)
    fn = compile_tree(tree, checked, functions, where)
    columns = compile_columns(tree, checked, functions,
                              lambda node: compile_tree(node, checked, functions, where)({}))
    return CompiledExpression(source, tree, checked.type_of(tree), checked.names, checked.warnings, where, fn,
                              columns)
