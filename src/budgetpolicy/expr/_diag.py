"""Error construction and limits shared by the lexer, parser, checker and compiler.

An expression lives inside a policy file at ``where`` (file, key path, line of
the key). A problem at ``Span(line, column)`` inside the expression is
reported at that column, on the policy line offset by the expression's line.
"""

from __future__ import annotations

from typing import Protocol

from budgetpolicy.errors import Diagnostic, ExpressionError, Location, Severity
from budgetpolicy.expr.ast import Span

# Codes (documented in docs/expressions.md).
SYNTAX = "BP301"
UNKNOWN_NAME = "BP302"
TYPE_ERROR = "BP303"
UNKNOWN_FUNCTION = "BP304"
LIMIT = "BP305"
BAD_TYPE_NAME = "BP306"
RUNTIME = "BP350"
NULL_COMPARISON = "BP390"  # warning: ordering against a value that is always null

# Limits: an expression is untrusted input, so every dimension is bounded.
MAX_SOURCE_LENGTH = 4000
MAX_DEPTH = 64
MAX_LIST_ITEMS = 256
MAX_NUMBER_LENGTH = 64
MAX_EXPONENT = 64
MAX_ARGS = 64


class Failer(Protocol):
    """Builds the BP350 error of one node; the compiler computes its location once, ahead of evaluation."""

    def __call__(self, message: str, hint: str | None = None, code: str = RUNTIME) -> ExpressionError: ...


def location(where: Location | None, span: Span | None) -> Location:
    base = where or Location()
    if span is None:
        return base
    if base.line is not None:
        return base.evolve(line=base.line + span.line - 1, column=span.column)
    # Without a policy line the expression's own line is the best we have, but only
    # show it when the expression spans several lines; a column alone is not printed.
    return base.evolve(line=span.line if span.line > 1 else None, column=span.column)


def diagnostic(code: str, message: str, span: Span | None, where: Location | None,
               hint: str | None = None, severity: Severity = "error") -> Diagnostic:
    loc = location(where, span)
    if loc.line is None and loc.column is not None:
        # Location only prints a column after a line; keep the column in the text.
        message = f"{message} (column {loc.column})"
    return Diagnostic(code, message, loc, hint, severity)


def error(code: str, message: str, span: Span | None, where: Location | None,
          hint: str | None = None) -> ExpressionError:
    """An ExpressionError pointing at ``span`` inside the expression at ``where``."""
    return ExpressionError([diagnostic(code, message, span, where, hint)])
