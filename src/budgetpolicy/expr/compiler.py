"""Last stage of the expression pipeline: a checked tree to nested Python closures.

Each node becomes one closure ``fn(env) -> value``, built once when the policy
is compiled; evaluating an initiative calls the closures, never walks the
tree, and never uses eval/exec. The static types from the checker choose the
closure: when a value is certainly of its static type the closure skips class
checks; when it is ``any`` or may be null it checks and raises BP350 at the
column of the operator. Binary operators live in :mod:`._operators`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from budgetpolicy.errors import ExpressionError, Location
from budgetpolicy.expr import _diag
from budgetpolicy.expr._operators import Fn, OperatorCompiler
from budgetpolicy.expr._runtime import CONTEXT, BadValue, coercer, contains, fast_classes, guard, type_name
from budgetpolicy.expr.ast import (Attribute, BoolOp, Call, Conditional, In, Index, ListLit, Literal, Name, Node,
                                   Not, Span, Unary, children)
from budgetpolicy.expr.checker import CheckResult
from budgetpolicy.expr.functions import UNKNOWN, FunctionSpec
from budgetpolicy.expr.types import NUMBER, Type, accepts

__all__ = ["Fn", "compile_tree"]


def compile_tree(node: Node, checked: CheckResult, functions: Mapping[str, FunctionSpec],
                 where: Location | None) -> Fn:
    """The closure evaluating ``node``; errors it raises are ExpressionError with a location."""
    return _Compiler(checked, functions, where).compile(node)


class _Compiler(OperatorCompiler):
    def __init__(self, checked: CheckResult, functions: Mapping[str, FunctionSpec], where: Location | None):
        self.checked = checked
        self.functions = functions
        self.where = where
        self._constants: dict[int, bool] = {}

    def type_of(self, node: Node) -> Type:
        return self.checked.types[id(node)]

    def failer(self, span: Span) -> _diag.Failer:
        """A function building the BP350 error for ``span`` (location computed once, here)."""
        where = self.where

        def fail(message: str, hint: str | None = None, code: str = _diag.RUNTIME) -> ExpressionError:
            return _diag.error(code, message, span, where, hint)

        return fail

    def compile(self, node: Node) -> Fn:
        fn: Fn = getattr(self, "c_" + type(node).__name__)(node)
        if not isinstance(node, Literal) and self._constant(node):
            # No name and no call below: the value is the same for every initiative, so it is computed
            # now, once. An error in it (9 ** 9 ** 9, 1 / 0) is then a compile error, which `validate`
            # reports exactly as `evaluate` would meet it.
            value = fn({})
            return lambda env: value
        return fn

    def _constant(self, node: Node) -> bool:
        """Whether ``node`` reads nothing from the initiative and calls no function (plugins' may not be
        pure in time); memoised, since ``compile`` asks at every level of the tree."""
        known = self._constants.get(id(node))
        if known is None:
            known = not isinstance(node, (Name, Call)) and all(self._constant(c) for c in children(node))
            self._constants[id(node)] = known
        return known

    # -- leaves and access ----------------------------------------------------

    def c_Literal(self, node: Literal) -> Fn:
        value = node.value
        return lambda env: value

    def _reader(self, result: Type, describe: str, fail: _diag.Failer) -> Callable[[Any], Any]:
        """Check a raw value read from the environment (or returned by a function) against its type."""
        fast = fast_classes(result)
        coerce = coercer(result)

        def converted(value: Any) -> Any:  # the slow path of both readers below
            try:
                return coerce(value)
            except BadValue as exc:
                raise fail(f"{describe}: {exc}") from None

        items = fast_classes(result.item) if result.kind == "list" and result.item is not None else None
        if items is not None and len(items) == 1:
            (item,) = items

            # A list of scalars (list<string>, ...) that is already a tuple of them is read as is.
            def read_list(value: Any) -> Any:
                if value.__class__ is tuple:
                    for x in value:
                        if x.__class__ is not item:
                            break
                    else:
                        return value
                return converted(value)

            return read_list

        def read(value: Any) -> Any:
            return value if value.__class__ in fast else converted(value)

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
        constants = _literal_values(haystack_node.items) if isinstance(haystack_node, ListLit) else None
        if constants:
            classes = {value.__class__ for value in constants}
            if len(classes) == 1 and classes <= {str, Decimal}:
                (cls,) = classes
                members = frozenset(constants)
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
        constant = _literal_values(node.items)
        if constant is not None:
            return lambda env: constant
        fns = tuple(self.compile(item) for item in node.items)
        return lambda env: tuple([fn(env) for fn in fns])

    def c_Call(self, node: Call) -> Fn:
        spec = self.functions[node.func]
        fail = self.failer(node.span)
        name, fn = node.func, spec.fn
        arg_fns = []
        guarded = False
        for position, arg in enumerate(node.args):
            arg_fn = self.compile(arg)
            if spec.check is None:
                expected = spec.param_for(position)
                if accepts(expected, self.type_of(arg)) == "maybe":
                    arg_fn = self._guarded(arg_fn, expected, f"argument {position + 1} of {name}()", arg.span)
                    guarded = True
            arg_fns.append(arg_fn)
        fns = tuple(arg_fns)
        if spec.constants is not None:
            known = [f({}) if self._constant(arg) else UNKNOWN for f, arg in zip(fns, node.args)]
            try:
                spec.constants(*known)
            except ValueError as exc:  # every call would fail so: a compile error, as validate must see it
                raise fail(f"{name}() always fails: {exc}", spec.signature) from None
        read = self._reader(self.type_of(node), f"{name}() returned a bad value", fail)

        # Plugin code: report it at the call, naming who registered it, never crash the engine.
        who = f" (plugin '{spec.plugin}', hook register_functions)" if spec.plugin else ""

        def failed(exc: Exception) -> ExpressionError:
            return fail(f"{name}(){who} failed: {exc}" if str(exc) else f"{name}(){who} failed: {type(exc).__name__}",
                        spec.signature)

        if len(fns) == 1 and isinstance(node.args[0], Name) and not guarded:
            return self._call_name(node.args[0], fns[0], self.type_of(node), fn, read, failed)
        if len(fns) == 1:  # the usual call, len(x) or a one-argument plugin function: no argument list
            (only,) = fns

            def call_one(env: Mapping[str, Any]) -> Any:
                value = only(env)
                try:
                    result = fn(value)
                except ExpressionError:
                    raise
                except Exception as exc:
                    raise failed(exc) from exc
                return read(result)

            return call_one

        def call(env: Mapping[str, Any]) -> Any:
            args = [arg(env) for arg in fns]
            try:
                result = fn(*args)
            except ExpressionError:
                raise
            except Exception as exc:
                raise failed(exc) from exc
            return read(result)

        return call

    def _call_name(self, arg: Name, slow: Fn, returns: Type, fn: Callable[..., Any], read: Callable[[Any], Any],
                   failed: Callable[[Exception], ExpressionError]) -> Fn:
        """``f(name)``, the commonest call (``len(priorities)``), fused into one closure: the name is read
        directly when its value is certainly of its static type (a tuple of the item class for a list),
        else through ``slow``, the name's own closure (which converts or raises); a result of the
        function's declared class is taken as it is, anything else goes through ``read``."""
        key, result = arg.id, self.type_of(arg)
        items = fast_classes(result.item) if result.kind == "list" and result.item is not None else None
        item = next(iter(items)) if items is not None and len(items) == 1 else None
        # A list is read as is when it is a tuple of its item class (what the name's reader accepts as is).
        fast = fast_classes(result) if result.kind != "list" else frozenset({tuple}) if item else frozenset()
        only: Any = next(iter(fast)) if len(fast) == 1 else None
        answers = fast_classes(returns)
        answer: Any = next(iter(answers)) if len(answers) == 1 else None

        def call_name(env: Mapping[str, Any]) -> Any:
            value: Any = env.get(key, slow)
            if value.__class__ is not only:
                value = slow(env)
            elif item is not None:
                for x in value:
                    if x.__class__ is not item:
                        value = slow(env)
                        break
            try:
                out = fn(value)
            except ExpressionError:
                raise
            except Exception as exc:
                raise failed(exc) from exc
            return out if out.__class__ is answer else read(out)

        return call_name

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


def _literal_values(items: tuple[Node, ...]) -> tuple[Decimal | str | bool | None, ...] | None:
    """The values of ``items`` when every one is a literal (a constant list), else None."""
    values = tuple(item.value for item in items if isinstance(item, Literal))
    return values if len(values) == len(items) else None
