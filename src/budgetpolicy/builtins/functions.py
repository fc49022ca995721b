"""Built-in functions, registered through the same hooks as third-party plugins.

These are the functions every policy condition can call (documented in
docs/expressions.md). Numbers arrive as Decimal and results are computed in
the expression language's fixed decimal context, so results never depend on
the caller's settings. Overloaded functions (``min(list)`` and
``min(a, b, ...)``) give the checker a ``check`` rule for their argument types
and validate their arguments again at runtime, because ``any`` values reach
them unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from budgetpolicy.expr.functions import CONTEXT, FunctionSpec, collect, equal, type_name
from budgetpolicy.expr.types import BOOL, NUMBER, STRING, Type, accepts, join, list_of
from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.model import FrozenMap

MAX_PLACES = 28


# -- static type rules for overloaded functions -----------------------------


def _check_len(args: tuple[Type, ...]) -> Type:
    if args[0].base.kind not in ("string", "list", "map", "record", "any"):
        raise TypeError(f"needs a string, list or map, got {args[0]}")
    return NUMBER


def _check_numbers(args: tuple[Type, ...]) -> Type:
    if len(args) == 1:
        if accepts(list_of(NUMBER), args[0]) == "no":
            raise TypeError(f"needs a list of numbers or several numbers, got {args[0]}")
        return NUMBER
    for position, arg in enumerate(args, 1):
        if accepts(NUMBER, arg) == "no":
            raise TypeError(f"argument {position} must be number, got {arg}")
    return NUMBER


def _check_contains(args: tuple[Type, ...]) -> Type:
    container, item = args[0].base, args[1]
    if container.kind == "string" and accepts(STRING, item) == "no":
        raise TypeError(f"looks for a substring, so argument 2 must be string, got {item}")
    if container.kind not in ("string", "list", "any"):
        raise TypeError(f"argument 1 must be a list or a string, got {args[0]}")
    return BOOL


def _check_coalesce(args: tuple[Type, ...]) -> Type:
    result: Type | None = args[0]
    for arg in args[1:]:
        result = join(result, arg) if result is not None else None
        if result is None:
            raise TypeError("all arguments must have one type (or be null)")
    assert result is not None
    # The first non-null argument wins, so a non-nullable last argument makes the result non-null.
    return result if args[-1].nullable else result.base


# -- runtime helpers ---------------------------------------------------------


def _numbers(name: str, args: tuple[Any, ...]) -> list[Decimal]:
    values = args[0] if len(args) == 1 and args[0].__class__ is tuple else args
    if len(args) == 1 and args[0].__class__ is not tuple:
        raise TypeError(f"needs a list of numbers or several numbers, got {type_name(args[0])}")
    for value in values:
        if value.__class__ is not Decimal:
            raise TypeError(f"needs numbers, got {type_name(value)}")
    if not values:
        raise ValueError(f"{name}() of an empty list has no value; guard with len(x) > 0")
    return list(values)


def _number(value: Any, what: str = "argument") -> Decimal:
    if value.__class__ is not Decimal:
        raise TypeError(f"{what} must be a number, got {type_name(value)}")
    return value


def _list(value: Any) -> tuple[Any, ...]:
    if value.__class__ is not tuple:
        raise TypeError(f"needs a list, got {type_name(value)}")
    return value


_LENGTHS = tuple(Decimal(n) for n in range(256))  # Decimals are immutable: small results are shared
_SIZED = frozenset({str, tuple, dict})


def length(value: Any) -> Decimal:
    # Exact classes first: the ABC check below is several times slower, and len() runs per initiative.
    if value.__class__ in _SIZED or isinstance(value, Mapping):
        n = len(value)
        return _LENGTHS[n] if n < 256 else Decimal(n)
    raise TypeError(f"needs a string, list or map, got {type_name(value)}")


def _lengths(values: list[Any]) -> list[Decimal]:
    """``[length(v) for v in values]`` for a batch decided by columns (expr/columns.py): C's len over
    the column when every value is a string, list or map, else ``length`` itself on each."""
    if not set(map(type, values)) <= _COUNTED:
        return list(map(length, values))
    counts = list(map(len, values))
    if counts and max(counts) >= 256:
        return list(map(Decimal, counts))
    return list(map(_LENGTHS.__getitem__, counts))


length.column_form = _lengths  # type: ignore[attr-defined]  # read by expr/columns.py (COLUMN_FORM)
_COUNTED = frozenset({str, tuple, dict, FrozenMap})


def minimum(*args: Any) -> Decimal:
    return min(_numbers("min", args))


def maximum(*args: Any) -> Decimal:
    return max(_numbers("max", args))


def absolute(x: Decimal) -> Decimal:
    return CONTEXT.abs(x)


def _quantize(x: Decimal, places: Decimal, rounding: str) -> Decimal:
    _check_places(x, places)
    exponent = Decimal(1).scaleb(-int(places))
    result = x.quantize(exponent, rounding=rounding, context=CONTEXT)
    # round(1250, -2) quantizes to 1.2E+3; show it as 1200 rather than in scientific form.
    return result.quantize(Decimal(1), context=CONTEXT) if places < 0 else result


def _check_places(x: Any, places: Any = None) -> None:
    # round(cost, 99999) fails for every initiative: compile-time, so validate refuses it too.
    if isinstance(places, Decimal) and (places != places.to_integral_value() or abs(places) > MAX_PLACES):
        raise ValueError(f"places must be a whole number from -{MAX_PLACES} to {MAX_PLACES}, got {places}")


def round_half_even(x: Decimal, places: Decimal = Decimal(0)) -> Decimal:
    return _quantize(x, places, ROUND_HALF_EVEN)


def floor(x: Decimal) -> Decimal:
    return _quantize(x, Decimal(0), ROUND_FLOOR)


def ceil(x: Decimal) -> Decimal:
    return _quantize(x, Decimal(0), ROUND_CEILING)


def clamp(x: Decimal, low: Decimal, high: Decimal) -> Decimal:
    if low > high:
        raise ValueError(f"low {low} is greater than high {high}")
    return min(max(x, low), high)


def total(values: tuple[Any, ...]) -> Decimal:
    result = Decimal(0)
    for value in _list(values):
        result = CONTEXT.add(result, _number(value, "every item"))
    return result


def average(values: tuple[Any, ...]) -> Decimal:
    items = _list(values)
    if not items:
        raise ValueError("avg() of an empty list has no value; guard with len(x) > 0")
    return CONTEXT.divide(total(items), Decimal(len(items)))


def any_true(values: tuple[Any, ...]) -> bool:
    return any(bool(v) for v in _list(values))


def all_true(values: tuple[Any, ...]) -> bool:
    return all(bool(v) for v in _list(values))


def count(values: tuple[Any, ...], item: Any) -> Decimal:
    return Decimal(sum(1 for v in _list(values) if equal(v, item)))


def lower(s: str) -> str:
    return s.lower()


def upper(s: str) -> str:
    return s.upper()


def startswith(s: str, prefix: str) -> bool:
    return s.startswith(prefix)


def endswith(s: str, suffix: str) -> bool:
    return s.endswith(suffix)


def contains(container: Any, item: Any) -> bool:
    if container.__class__ is str:
        if item.__class__ is not str:
            raise TypeError(f"looks for a substring, got {type_name(item)}")
        return item in container
    return any(equal(v, item) for v in _list(container))


def coalesce(*args: Any) -> Any:
    for value in args:
        if value is not None:
            return value
    return None


_Entry = tuple[str, Callable[..., Any], tuple[str, ...], str, str, dict[str, Any]]
BUILTINS: tuple[_Entry, ...] = (
    ("len", length, ("any",), "number", "Number of characters of a string, items of a list or keys of a map.",
     {"check": _check_len}),
    ("min", minimum, ("number", "..."), "number", "Smallest of a list of numbers, or of several numbers.",
     {"check": _check_numbers}),
    ("max", maximum, ("number", "..."), "number", "Largest of a list of numbers, or of several numbers.",
     {"check": _check_numbers}),
    ("abs", absolute, ("number",), "number", "Absolute value.", {}),
    ("round", round_half_even, ("number", "number"), "number",
     "Round to `places` decimal places (default 0), half to even (banker's rounding).",
     {"optional": 1, "constants": _check_places}),
    ("floor", floor, ("number",), "number", "Largest whole number not above x.", {}),
    ("ceil", ceil, ("number",), "number", "Smallest whole number not below x.", {}),
    ("clamp", clamp, ("number", "number", "number"), "number", "x limited to the range low..high.", {}),
    ("sum", total, ("list<number>",), "number", "Sum of a list of numbers (0 for an empty list).", {}),
    ("avg", average, ("list<number>",), "number", "Mean of a non-empty list of numbers.", {}),
    ("any", any_true, ("list",), "bool", "True when at least one item is truthy.", {}),
    ("all", all_true, ("list",), "bool", "True when every item is truthy (true for an empty list).", {}),
    ("count", count, ("list", "any"), "number", "How many items equal the value.", {}),
    ("lower", lower, ("string",), "string", "Lower-case copy of a string.", {}),
    ("upper", upper, ("string",), "string", "Upper-case copy of a string.", {}),
    ("startswith", startswith, ("string", "string"), "bool", "True when s starts with prefix.", {}),
    ("endswith", endswith, ("string", "string"), "bool", "True when s ends with suffix.", {}),
    ("contains", contains, ("any", "any"), "bool",
     "True when a list holds an item equal to x, or a string contains the substring x.",
     {"check": _check_contains}),
    ("coalesce", coalesce, ("any", "..."), "any", "The first argument that is not null (null if all are).",
     {"check": _check_coalesce}),
)


@hookimpl
def register_functions(register: Callable[..., None]) -> None:
    for name, fn, params, returns, description, options in BUILTINS:
        register(name, fn, params=params, returns=returns, description=description, **options)


def builtin_functions() -> dict[str, FunctionSpec]:
    """The built-in functions alone, as ``compile_expression`` takes them, without a plugin manager:
    for notebooks and the expression tests. A policy gets them through the registry, like any plugin's."""
    return dict(collect(register_functions))


__all__ = ["register_functions", "builtin_functions", "BUILTINS"]
