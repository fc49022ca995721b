"""Last stage of the expression pipeline: a checked tree to nested Python closures.

Each node becomes one closure ``fn(env) -> value``, built once when the policy
is compiled; evaluating an initiative calls the closures, never walks the
tree, and never uses eval/exec. The static types from the checker choose the
closure: when both operands are certainly numbers the closure does the bare
Decimal operation; when a value is ``any`` or may be null it checks classes
and raises BP350 at the operator's column. Reading a name compared with a
constant (``cost > 25000``) is fused into a single closure.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from budgetpolicy.errors import ExpressionError, Location
from budgetpolicy.expr import _diag
from budgetpolicy.expr._runtime import (CONTEXT, BadValue, coercer, contains, equal, fast_classes, guard,
                                        orderable, type_name)
from budgetpolicy.expr.ast import (Attribute, Binary, BoolOp, Call, Conditional, In, Index, ListLit, Literal,
                                   Name, Node, Not, Span, Unary)
from budgetpolicy.expr.checker import CheckResult
from budgetpolicy.expr.functions import FunctionSpec
from budgetpolicy.expr.types import NUMBER, STRING, Type, accepts

Fn = Callable[[Mapping[str, Any]], Any]
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITH = {"+": CONTEXT.add, "-": CONTEXT.subtract, "*": CONTEXT.multiply, "/": CONTEXT.divide,
          "%": CONTEXT.remainder}
_MISSING = object()


def compile_tree(node: Node, checked: CheckResult, functions: Mapping[str, FunctionSpec],
                 where: Location | None) -> Fn:
    """The closure evaluating ``node``; errors it raises are ExpressionError with a location."""
    return _Compiler(checked, functions, where).compile(node)


class _Compiler:
    def __init__(self, checked: CheckResult, functions: Mapping[str, FunctionSpec], where: Location | None):
        self.checked = checked
        self.functions = functions
        self.where = where

    def type_of(self, node: Node) -> Type:
        return self.checked.types[id(node)]

    def failer(self, span: Span) -> Callable[..., ExpressionError]:
        """A function building the BP350 error for ``span`` (location computed once, here)."""
        where = self.where

        def fail(message: str, hint: str | None = None, code: str = _diag.RUNTIME) -> ExpressionError:
            return _diag.error(code, message, span, where, hint)

        return fail

    def compile(self, node: Node) -> Fn:
        fn: Fn = getattr(self, "c_" + type(node).__name__)(node)
        return fn

    # -- leaves and access ----------------------------------------------------

    def c_Literal(self, node: Literal) -> Fn:
        value = node.value
        return lambda env: value

    def _reader(self, result: Type, describe: str, fail: Callable[..., ExpressionError]) -> Callable[[Any], Any]:
        """Check a raw value read from the environment (or returned by a function) against its type."""
        fast = fast_classes(result)
        coerce = coercer(result)

        def read(value: Any) -> Any:
            if value.__class__ in fast:
                return value
            try:
                return coerce(value)
            except BadValue as exc:
                raise fail(f"{describe}: {exc}") from None

        return read

    def c_Name(self, node: Name) -> Fn:
        key, result = node.id, self.type_of(node)
        fail = self.failer(node.span)
        read = self._reader(result, f"'{key}'", fail)
        nullable = result.nullable
        fast = fast_classes(result)
        if len(fast) == 1:
            (only,) = fast
            # The common case (a number or string symbol): one class test, no extra call.

            def name_single(env: Mapping[str, Any]) -> Any:
                try:
                    value = env[key]
                except KeyError:
                    if nullable:
                        return None
                    raise fail(f"'{key}' has no value", f"the data must provide '{key}'") from None
                if value.__class__ is only:
                    return value
                return read(value)

            return name_single

        def name(env: Mapping[str, Any]) -> Any:
            try:
                value = env[key]
            except KeyError:
                if nullable:
                    return None
                raise fail(f"'{key}' has no value", f"the data must provide '{key}'") from None
            return read(value)

        return name

    def _member(self, node: Node, container_fn: Fn, key_fn: Fn | None, key: str | None) -> Fn:
        result = self.type_of(node)
        fail = self.failer(node.span)
        nullable = result.nullable
        label = f"field '{key}'" if key is not None else "value"
        read = self._reader(result, label, fail)

        def get(container: Any, k: Any) -> Any:
            if container is None:
                return None  # null-propagating read through an optional value
            if container.__class__ is tuple:
                if k.__class__ is not Decimal or k != k.to_integral_value():
                    raise fail(f"a list index must be a whole number, got {type_name(k)} {k}")
                try:
                    return container[int(k)]
                except IndexError:
                    raise fail(f"index {k} is out of range for a list of {len(container)} items") from None
            if not isinstance(container, Mapping):
                raise fail(f"cannot read {label} of a {type_name(container)}")
            if k.__class__ is not str:
                raise fail(f"a map key must be a string, got {type_name(k)}")
            try:
                return read(container[k])
            except KeyError:
                if nullable:
                    return None
                raise fail(f"'{k}' is missing", f"check with \"{k}\" in ... first, or declare it optional "
                           "(type?)") from None

        if key_fn is None:
            def member(env: Mapping[str, Any]) -> Any:
                container = container_fn(env)
                if container.__class__ is dict:  # fast path for plain dict data
                    try:
                        return read(container[key])
                    except KeyError:
                        pass
                return get(container, key)

            return member
        return lambda env: get(container_fn(env), key_fn(env))

    def c_Attribute(self, node: Attribute) -> Fn:
        return self._member(node, self.compile(node.value), None, node.attr)

    def c_Index(self, node: Index) -> Fn:
        if isinstance(node.index, Literal) and isinstance(node.index.value, str):
            return self._member(node, self.compile(node.value), None, node.index.value)
        return self._member(node, self.compile(node.value), self.compile(node.index), None)

    # -- operators ------------------------------------------------------------

    def c_Unary(self, node: Unary) -> Fn:
        operand = self.compile(node.operand)
        op = CONTEXT.minus if node.op == "-" else CONTEXT.plus
        fail = self.failer(node.span)
        if self.type_of(node.operand) == NUMBER:
            return lambda env: op(operand(env))

        def unary_checked(env: Mapping[str, Any]) -> Any:
            value = operand(env)
            if value.__class__ is not Decimal:
                raise fail(f"unary {node.op} needs a number, got {type_name(value)}")
            return op(value)

        return unary_checked

    def c_Binary(self, node: Binary) -> Fn:
        if node.op in ("==", "!="):
            return self._equality(node)
        if node.op in _ORDER:
            return self._ordering(node)
        if node.op == "**":
            return self._power(node)
        return self._arith(node)

    def _arith(self, node: Binary) -> Fn:
        left, right = self.compile(node.left), self.compile(node.right)
        op, symbol = _ARITH[node.op], node.op
        fail = self.failer(node.span)
        lt, rt = self.type_of(node.left), self.type_of(node.right)

        def arith_error(exc: ArithmeticError) -> ExpressionError:
            if isinstance(exc, (DivisionByZero, InvalidOperation)) and symbol in "/%":
                return fail("division by zero", "guard it: ... if x != 0 else ...")
            if isinstance(exc, Overflow):
                return fail("number too large", code=_diag.LIMIT)
            return fail(f"invalid arithmetic ({type(exc).__name__})")

        if lt == NUMBER and rt == NUMBER:
            if isinstance(node.right, Literal) and symbol in "+-*":
                constant = node.right.value

                def arith_const(env: Mapping[str, Any]) -> Any:
                    a = left(env)
                    try:
                        return op(a, constant)
                    except ArithmeticError as exc:
                        raise arith_error(exc) from None

                return arith_const

            def arith_numbers(env: Mapping[str, Any]) -> Any:
                a, b = left(env), right(env)
                try:
                    return op(a, b)
                except ArithmeticError as exc:
                    raise arith_error(exc) from None

            return arith_numbers
        if symbol == "+" and lt == STRING and rt == STRING:
            return lambda env: left(env) + right(env)
        join_strings = symbol == "+"

        def arith_checked(env: Mapping[str, Any]) -> Any:
            a, b = left(env), right(env)
            if a.__class__ is Decimal and b.__class__ is Decimal:
                try:
                    return op(a, b)
                except ArithmeticError as exc:
                    raise arith_error(exc) from None
            if join_strings and a.__class__ is str and b.__class__ is str:
                return a + b
            hint = "use coalesce(x, 0) for a value that may be null" if a is None or b is None else None
            raise fail(f"cannot apply '{symbol}' to {type_name(a)} and {type_name(b)}", hint)

        return arith_checked

    def _power(self, node: Binary) -> Fn:
        base_fn, exponent_fn = self.compile(node.left), self.compile(node.right)
        fail = self.failer(node.span)
        limit = _diag.MAX_EXPONENT

        def power(env: Mapping[str, Any]) -> Any:
            base, exponent = base_fn(env), exponent_fn(env)
            if base.__class__ is not Decimal or exponent.__class__ is not Decimal:
                raise fail(f"cannot apply '**' to {type_name(base)} and {type_name(exponent)}")
            if exponent != exponent.to_integral_value() or abs(exponent) > limit:
                raise fail(f"the exponent must be a whole number from -{limit} to {limit}, got {exponent}",
                           code=_diag.LIMIT)
            if not base and exponent < 0:  # the decimal spec gives Infinity here, without a signal
                raise fail("division by zero (0 raised to a negative power)")
            try:
                return CONTEXT.power(base, exponent)
            except (DivisionByZero, InvalidOperation):
                raise fail("0 ** a negative or zero exponent is undefined (division by zero)") from None
            except ArithmeticError:
                raise fail("number too large", code=_diag.LIMIT) from None

        return power

    def _equality(self, node: Binary) -> Fn:
        negate = node.op == "!="
        left_node, right_node = node.left, node.right
        if isinstance(left_node, Literal) and not isinstance(right_node, Literal):
            left_node, right_node = right_node, left_node
        left, right = self.compile(left_node), self.compile(right_node)
        lt, rt = self.type_of(left_node), self.type_of(right_node)
        if isinstance(right_node, Literal):
            constant = right_node.value
            cls = constant.__class__
            if constant is None or cls is bool:
                if negate:
                    return lambda env: left(env) is not constant
                return lambda env: left(env) is constant
            if lt == rt:  # the value is certainly of the constant's class
                if negate:
                    return lambda env: left(env) != constant
                return lambda env: left(env) == constant
            if negate:
                def ne_const(env: Mapping[str, Any]) -> bool:
                    value = left(env)
                    return value.__class__ is not cls or value != constant

                return ne_const

            def eq_const(env: Mapping[str, Any]) -> bool:
                value = left(env)
                return value.__class__ is cls and value == constant

            return eq_const
        if lt == rt and lt in (NUMBER, STRING):
            if negate:
                return lambda env: left(env) != right(env)
            return lambda env: left(env) == right(env)
        if negate:
            return lambda env: not equal(left(env), right(env))
        return lambda env: equal(left(env), right(env))

    def _ordering(self, node: Binary) -> Fn:
        compare = _ORDER[node.op]
        left, right = self.compile(node.left), self.compile(node.right)
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        fail = self.failer(node.span)
        if isinstance(node.right, Literal) and node.right.value is not None:
            constant = node.right.value
            cls = constant.__class__
            if isinstance(node.left, Name) and lt.base == rt:
                # Fused "name OP constant": the hot shape of approval rules.
                key, slow = node.left.id, left

                def name_vs_const(env: Mapping[str, Any]) -> bool:
                    try:
                        value = env[key]
                    except KeyError:
                        value = slow(env)
                    if value.__class__ is cls:
                        return compare(value, constant)  # type: ignore[no-any-return]
                    value = slow(env)  # normalises ints, raises on bad data
                    return value is not None and compare(value, constant)  # type: ignore[no-any-return]

                return name_vs_const
            if lt == rt:
                return lambda env: compare(left(env), constant)  # type: ignore[no-any-return]
        if lt == rt and lt in (NUMBER, STRING):
            return lambda env: compare(left(env), right(env))  # type: ignore[no-any-return]

        def ordering_checked(env: Mapping[str, Any]) -> bool:
            a, b = left(env), right(env)
            try:
                return orderable(a, b) and compare(a, b)  # type: ignore[no-any-return]
            except BadValue as exc:
                raise fail(f"{exc} with '{node.op}'") from None

        return ordering_checked

    def c_BoolOp(self, node: BoolOp) -> Fn:
        fns = tuple(self.compile(value) for value in node.values)
        all_bool = all(self.type_of(value).kind == "bool" for value in node.values)
        if len(fns) == 2:
            a, b = fns
            if node.op == "and":
                return (lambda env: a(env) and b(env)) if all_bool else (lambda env: bool(a(env) and b(env)))
            return (lambda env: a(env) or b(env)) if all_bool else (lambda env: bool(a(env) or b(env)))
        if node.op == "and":
            def and_all(env: Mapping[str, Any]) -> bool:
                for fn in fns:
                    if not fn(env):
                        return False
                return True

            return and_all

        def or_any(env: Mapping[str, Any]) -> bool:
            for fn in fns:
                if fn(env):
                    return True
            return False

        return or_any

    def c_Not(self, node: Not) -> Fn:
        operand = self.compile(node.operand)
        return lambda env: not operand(env)

    def c_In(self, node: In) -> Fn:
        needle = self.compile(node.needle)
        negated = node.negated
        fail = self.failer(node.span)
        haystack_node = node.haystack
        if isinstance(haystack_node, ListLit) and haystack_node.items and all(
                isinstance(item, Literal) for item in haystack_node.items):
            classes = {item.value.__class__ for item in haystack_node.items}  # type: ignore[union-attr]
            if len(classes) == 1 and classes <= {str, Decimal}:
                (cls,) = classes
                members = frozenset(item.value for item in haystack_node.items)  # type: ignore[union-attr]
                if negated:
                    return lambda env: not ((v := needle(env)).__class__ is cls and v in members)
                return lambda env: (v := needle(env)).__class__ is cls and v in members
        haystack = self.compile(haystack_node)

        def membership(env: Mapping[str, Any]) -> bool:
            n, h = needle(env), haystack(env)
            try:
                found = contains(h, n)
            except BadValue as exc:
                raise fail(str(exc)) from None
            return not found if negated else found

        return membership

    def c_Conditional(self, node: Conditional) -> Fn:
        test, body, orelse = self.compile(node.test), self.compile(node.body), self.compile(node.orelse)
        return lambda env: body(env) if test(env) else orelse(env)

    def c_ListLit(self, node: ListLit) -> Fn:
        if all(isinstance(item, Literal) for item in node.items):
            constant = tuple(item.value for item in node.items)  # type: ignore[union-attr]
            return lambda env: constant
        fns = tuple(self.compile(item) for item in node.items)
        return lambda env: tuple([fn(env) for fn in fns])

    def c_Call(self, node: Call) -> Fn:
        spec = self.functions[node.func]
        fail = self.failer(node.span)
        name, fn = node.func, spec.fn
        arg_fns = []
        for position, arg in enumerate(node.args):
            arg_fn = self.compile(arg)
            if spec.check is None:
                expected = spec.param_for(position)
                if accepts(expected, self.type_of(arg)) == "maybe":
                    arg_fn = self._guarded(arg_fn, expected, f"argument {position + 1} of {name}()", arg.span)
            arg_fns.append(arg_fn)
        fns = tuple(arg_fns)
        read = self._reader(self.type_of(node), f"{name}() returned a bad value", fail)

        def call(env: Mapping[str, Any]) -> Any:
            args = [arg(env) for arg in fns]
            try:
                result = fn(*args)
            except ExpressionError:
                raise
            except Exception as exc:  # plugin code: report it at the call, never crash the engine
                raise fail(f"{name}() failed: {exc}" if str(exc) else f"{name}() failed: {type(exc).__name__}",
                           spec.signature) from exc
            return read(result)

        return call

    def _guarded(self, fn: Fn, expected: Type, what: str, span: Span) -> Fn:
        check = guard(expected)
        if check is None:
            return fn
        fail = self.failer(span)

        def guarded(env: Mapping[str, Any]) -> Any:
            value = fn(env)
            if not check(value):
                hint = "use coalesce(x, default) for a value that may be null" if value is None else None
                raise fail(f"{what} must be {expected}, got {type_name(value)}", hint)
            return value

        return guarded
