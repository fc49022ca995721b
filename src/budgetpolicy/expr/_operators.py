"""Closures for the arithmetic and comparison operators (part of the compiler stage).

Split from :mod:`.compiler` to keep modules small. Each builder picks the
cheapest closure the static types allow: bare Decimal operations when both
sides are certainly numbers, a fused read-and-compare for ``name OP constant``
(the hot shape of approval rules), and class-checked closures for values of
type ``any`` or ``T?`` that raise BP350 at the operator's column.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from budgetpolicy.errors import ExpressionError
from budgetpolicy.expr import _diag
from budgetpolicy.expr._runtime import CONTEXT, BadValue, equal, orderable, type_name
from budgetpolicy.expr.ast import Binary, Literal, Name, Node, Span
from budgetpolicy.expr.types import NUMBER, STRING, Type

Fn = Callable[[Mapping[str, Any]], Any]
# Typed as returning bool, which they do on the language's values (typeshed says Any).
ORDER: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                ">=": operator.ge}
_ARITH = {"+": CONTEXT.add, "-": CONTEXT.subtract, "*": CONTEXT.multiply, "/": CONTEXT.divide,
          "%": CONTEXT.remainder}


class OperatorCompiler:
    """Mixin for :class:`budgetpolicy.expr.compiler._Compiler`: binary operator closures."""

    def compile(self, node: Node) -> Fn:
        raise NotImplementedError

    def type_of(self, node: Node) -> Type:
        raise NotImplementedError

    def failer(self, span: Span) -> _diag.Failer:
        raise NotImplementedError

    def _constant(self, node: Node) -> bool:
        raise NotImplementedError

    def c_Binary(self, node: Binary) -> Fn:
        if node.op in ("==", "!="):
            return self._equality(node)
        if node.op in ORDER:
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

        if symbol in "/%" and self._constant(node.right):
            divisor = right({})
            if isinstance(divisor, Decimal) and divisor == 0:
                # Every initiative would fail here: a compile error, so `validate` refuses what `evaluate` would.
                raise fail("division by zero: the divisor is always 0",
                           "divide by a value that can be non-zero, or remove the division")
        if lt == NUMBER and rt == NUMBER:
            if isinstance(node.right, Literal) and isinstance(node.right.value, Decimal) and symbol in "+-*":
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
            if lt == rt and isinstance(left_node, Name):
                # Fused "name == constant" (kind == "stretch"): read the name directly when its value has
                # the constant's class, else through the name's own closure (converts, or raises).
                key, slow = left_node.id, left

                def name_eq_const(env: Mapping[str, Any]) -> Any:  # a bool: both sides are of one class
                    value = env.get(key, slow)
                    if value.__class__ is not cls:
                        value = slow(env)
                    return (value != constant) if negate else (value == constant)

                return name_eq_const
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
        fail = self.failer(node.span)

        def equal_checked(env: Mapping[str, Any]) -> bool:
            try:  # maps and lists of 'any' values are compared item by item, and may hold bad data
                same = equal(left(env), right(env))
            except BadValue as exc:
                raise fail(f"{exc} with '{node.op}'") from None
            return not same if negate else same

        return equal_checked

    def _ordering(self, node: Binary) -> Fn:
        compare = ORDER[node.op]
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
                        return compare(value, constant)
                    value = slow(env)  # normalises ints, raises on bad data
                    return value is not None and compare(value, constant)

                return name_vs_const
            if lt == rt:
                return lambda env: compare(left(env), constant)
        if lt == rt and lt in (NUMBER, STRING):
            return lambda env: compare(left(env), right(env))

        def ordering_checked(env: Mapping[str, Any]) -> bool:
            a, b = left(env), right(env)
            try:
                return orderable(a, b) and compare(a, b)
            except BadValue as exc:
                raise fail(f"{exc} with '{node.op}'") from None

        return ordering_checked
