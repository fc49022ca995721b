"""Third stage of the expression pipeline: type-check a tree against the symbol table.

Runs when a policy is validated, before any initiative is read: unknown names
and fields (BP302, with did-you-mean), unknown functions and wrong arity
(BP304), and operations that can never work (BP303) are reported with the
column of the offending token. The result records the static type of every
node, which the compiler uses to pick unchecked fast paths, and the dotted
symbol paths the expression reads (``attributes.team_size``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostic, Location, did_you_mean
from budgetpolicy.expr import _diag
from budgetpolicy.expr.ast import (Attribute, Binary, BoolOp, Call, Conditional, In, Index, ListLit, Literal,
                                   Name, Node, Not, Unary, dotted_path)
from budgetpolicy.expr.functions import FunctionSpec
from budgetpolicy.expr.types import (ANY, BOOL, NULL, NUMBER, STRING, Type, accepts, disjoint, join, list_of,
                                     optional)

_ARITH_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take the remainder of",
                "**": "raise"}
_LITERAL_TYPES = {Decimal: NUMBER, str: STRING, bool: BOOL, type(None): NULL}
_PYTHON_SPELLINGS = {"True": "true", "False": "false", "None": "null", "AND": "and", "OR": "or",
                     "NOT": "not", "&&": "and"}


@frozen
class CheckResult:
    types: dict[int, Type]  # id(node) -> static type; nodes are kept alive by the tree
    names: frozenset[str]
    warnings: tuple[Diagnostic, ...]

    def type_of(self, node: Node) -> Type:
        return self.types[id(node)]


def check(node: Node, symbols: Mapping[str, Type], functions: Mapping[str, FunctionSpec],
          where: Location | None = None) -> CheckResult:
    """Type-check ``node``; raises ExpressionError at the first problem."""
    checker = _Checker(symbols, functions, where)
    checker.visit(node)
    return CheckResult(checker.types, frozenset(checker.names), tuple(checker.warnings))


class _Checker:
    def __init__(self, symbols: Mapping[str, Type], functions: Mapping[str, FunctionSpec],
                 where: Location | None) -> None:
        self.symbols = symbols
        self.functions = functions
        self.where = where
        self.types: dict[int, Type] = {}
        self.names: set[str] = set()
        self.warnings: list[Diagnostic] = []

    def fail(self, code: str, message: str, node: Node, hint: str | None = None) -> Exception:
        return _diag.error(code, message, node.span, self.where, hint)

    def warn(self, message: str, node: Node, hint: str | None = None) -> None:
        self.warnings.append(_diag.diagnostic(_diag.NULL_COMPARISON, message, node.span, self.where, hint,
                                              "warning"))

    def visit(self, node: Node, chained: bool = False) -> Type:
        method = getattr(self, "visit_" + type(node).__name__)
        result: Type = method(node)
        self.types[id(node)] = result
        if not chained and isinstance(node, (Name, Attribute, Index)):
            path = dotted_path(node)
            if path is not None:
                self.names.add(path)
        return result

    # -- leaves and access ----------------------------------------------------

    def visit_Literal(self, node: Literal) -> Type:
        return _LITERAL_TYPES[type(node.value)]

    def visit_Name(self, node: Name) -> Type:
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id in _PYTHON_SPELLINGS:
            hint = f"write {_PYTHON_SPELLINGS[node.id]}"
        elif node.id in self.functions:
            hint = f"'{node.id}' is a function; call it as {node.id}(...)"
        else:
            hint = did_you_mean(node.id, self.symbols) or _available("names", self.symbols)
        raise self.fail(_diag.UNKNOWN_NAME, f"unknown name '{node.id}'", node, hint)

    def visit_Attribute(self, node: Attribute) -> Type:
        container = self.visit(node.value, chained=True)
        return self._member(node, container, node.attr, "field")

    def visit_Index(self, node: Index) -> Type:
        index = node.index
        literal_key = index.value if isinstance(index, Literal) and isinstance(index.value, str) else None
        container = self.visit(node.value, chained=literal_key is not None)
        key_type = self.visit(index)
        if literal_key is not None:
            return self._member(node, container, literal_key, "key")
        base = container.base
        if base.kind == "list":
            self._require(NUMBER, key_type, index, "a list index")
            # _require has ruled out any literal but a number here.
            if isinstance(index, Literal) and isinstance(index.value, Decimal) \
                    and index.value != index.value.to_integral_value():
                raise self.fail(_diag.TYPE_ERROR, "a list index must be a whole number", node.index)
            result = base.item or ANY
        elif base.kind in ("map", "record"):
            self._require(STRING, key_type, node.index, "a map key")
            result = base.item or ANY if base.kind == "map" else ANY
        elif base.kind == "any":
            if accepts(NUMBER, key_type) == "no" and accepts(STRING, key_type) == "no":
                raise self.fail(_diag.TYPE_ERROR, f"an index must be a number or a string, got {key_type}",
                                node.index)
            result = ANY
        else:
            raise self.fail(_diag.TYPE_ERROR, f"cannot index a value of type {container}", node,
                            "only lists (by position) and maps (by key) can be indexed")
        return optional(result) if container.kind == "optional" else result

    def _member(self, node: Node, container: Type, key: str, what: str) -> Type:
        base = container.base
        if base.kind == "record":
            found = base.field(key)
            if found is None:
                fields = [name for name, _ in base.fields]
                hint = did_you_mean(key, fields) or _available("fields", fields)
                raise self.fail(_diag.UNKNOWN_NAME, f"unknown field '{key}'", node, hint)
            result = found
        elif base.kind == "map":
            result = base.item or ANY
        elif base.kind == "any":
            result = ANY
        elif base.kind == "list" and what == "key":
            raise self.fail(_diag.TYPE_ERROR, "a list index must be number, got string", node,
                            "lists are indexed by position: x[0]")
        else:
            raise self.fail(_diag.TYPE_ERROR, f"cannot read {what} '{key}' of a value of type {container}", node,
                            "only maps and records have fields")
        # Reading through a value that may be null gives null (no error), so the result may be null too.
        return optional(result) if container.kind == "optional" else result

    # -- operators ------------------------------------------------------------

    def visit_Unary(self, node: Unary) -> Type:
        operand = self.visit(node.operand)
        self._require(NUMBER, operand, node.operand, f"unary {node.op}")
        return NUMBER

    def visit_Binary(self, node: Binary) -> Type:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op in ("==", "!="):
            if disjoint(left, right):
                raise self.fail(_diag.TYPE_ERROR, f"comparing {left} with {right} using {node.op} is always "
                                f"{'false' if node.op == '==' else 'true'}", node, _compare_hint(node))
            return BOOL
        if node.op in ("<", "<=", ">", ">="):
            if NULL in (left, right):
                self.warn(f"'{node.op}' with null is always false", node, "test 'x == null' instead")
                return BOOL
            if not (_both(NUMBER, left, right) or _both(STRING, left, right)):
                raise self.fail(_diag.TYPE_ERROR, f"cannot order {left} and {right} with {node.op}", node,
                                "'<', '<=', '>', '>=' compare two numbers or two strings")
            return BOOL
        if node.op == "+" and _both(STRING, left, right):
            # any + any may be either; string + any can only be a join of strings.
            return ANY if _both(NUMBER, left, right) else STRING
        if node.op == "+" and not _both(NUMBER, left, right):
            raise self.fail(_diag.TYPE_ERROR, f"cannot add {left} and {right}", node, _null_hint(left, right)
                            or "'+' adds two numbers or joins two strings")
        if node.op != "+" and not _both(NUMBER, left, right):
            raise self.fail(_diag.TYPE_ERROR, f"cannot {_ARITH_VERBS[node.op]} {left} and {right} with "
                            f"'{node.op}'", node, _null_hint(left, right) or f"'{node.op}' works on numbers")
        if node.op == "**" and isinstance(node.right, Literal):
            exponent = node.right.value
            assert isinstance(exponent, Decimal)
            if exponent != exponent.to_integral_value():
                raise self.fail(_diag.TYPE_ERROR, "an exponent must be a whole number", node.right)
            if abs(exponent) > _diag.MAX_EXPONENT:
                raise self.fail(_diag.LIMIT, f"exponent {exponent} is larger than the limit "
                                f"{_diag.MAX_EXPONENT}", node.right)
        return NUMBER

    def visit_BoolOp(self, node: BoolOp) -> Type:
        for value in node.values:
            self.visit(value)
        return BOOL

    def visit_Not(self, node: Not) -> Type:
        self.visit(node.operand)
        return BOOL

    def visit_In(self, node: In) -> Type:
        needle, haystack = self.visit(node.needle), self.visit(node.haystack)
        base = haystack.base
        word = "not in" if node.negated else "in"
        if base.kind == "list":
            if disjoint(needle, base.item or ANY):
                raise self.fail(_diag.TYPE_ERROR, f"'{word}' looks for a {needle} in a {haystack}, which is "
                                f"always {'false' if not node.negated else 'true'}", node)
        elif base.kind in ("string", "map", "record"):
            self._require(STRING, needle, node.needle, f"the left side of '{word}' a {base.kind}")
        elif base.kind == "null":
            self.warn(f"'{word}' null is always {'false' if not node.negated else 'true'}", node)
        elif base.kind != "any":
            raise self.fail(_diag.TYPE_ERROR, f"'{word}' needs a list, string or map on the right, got {haystack}",
                            node.haystack)
        return BOOL

    def visit_Conditional(self, node: Conditional) -> Type:
        self.visit(node.test)
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        joined = join(body, orelse)
        if joined is None:
            raise self.fail(_diag.TYPE_ERROR, f"the branches of 'if ... else' have different types: {body} "
                            f"and {orelse}", node, "make both branches the same type")
        return joined

    def visit_ListLit(self, node: ListLit) -> Type:
        item: Type | None = None
        for element in node.items:
            element_type = self.visit(element)
            joined = element_type if item is None else join(item, element_type)
            if joined is None:
                raise self.fail(_diag.TYPE_ERROR, f"list items must have one type: {element_type} after {item}",
                                element)
            item = joined
        return list_of(item or ANY)

    def visit_Call(self, node: Call) -> Type:
        spec = self.functions.get(node.func)
        arg_types = tuple(self.visit(arg) for arg in node.args)
        if spec is None:
            hint = did_you_mean(node.func, self.functions)
            if hint is None and node.func in self.symbols:
                hint = f"'{node.func}' is a value, not a function"
            raise self.fail(_diag.UNKNOWN_FUNCTION, f"unknown function '{node.func}'", node,
                            hint or _available("functions", self.functions))
        low, high = spec.arity
        if len(arg_types) < low or (high is not None and len(arg_types) > high):
            expected = (f"{low}" if low == high else f"at least {low}" if high is None else f"{low} to {high}")
            raise self.fail(_diag.UNKNOWN_FUNCTION, f"{node.func}() takes {expected} argument"
                            f"{'' if expected == '1' else 's'}, got {len(arg_types)}", node, spec.signature)
        if spec.check is not None:
            try:
                return spec.check(arg_types)
            except TypeError as exc:
                raise self.fail(_diag.TYPE_ERROR, f"{node.func}(): {exc}", node, spec.signature) from None
        for position, (arg, arg_type) in enumerate(zip(node.args, arg_types)):
            self._require(spec.param_for(position), arg_type, arg,
                          f"argument {position + 1} of {node.func}()", spec.signature)
        return spec.returns

    # -- helpers --------------------------------------------------------------

    def _require(self, expected: Type, actual: Type, node: Node, what: str, hint: str | None = None) -> None:
        if accepts(expected, actual) == "no":
            raise self.fail(_diag.TYPE_ERROR, f"{what} must be {expected}, got {actual}", node,
                            _null_hint(actual) or hint)


def _both(expected: Type, left: Type, right: Type) -> bool:
    return accepts(expected, left) != "no" and accepts(expected, right) != "no"


def _null_hint(*types: Type) -> str | None:
    return "a null value has no arithmetic; use coalesce(x, 0)" if NULL in types else None


def _compare_hint(node: Binary) -> str | None:
    for side in (node.left, node.right):
        if isinstance(side, Literal) and isinstance(side.value, str):
            try:
                Decimal(side.value)
                return f"remove the quotes: {side.value}"
            except ArithmeticError:
                pass
    return "compare values of the same type"


def _available(what: str, names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return f"no {what} are defined"
    shown = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")
    return f"available {what}: {shown}"
