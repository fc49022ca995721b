"""Value rules used by compiled expressions at evaluation time.

Values that enter an expression from the environment are normalised once, at
the leaf that reads them: ``int`` becomes ``Decimal``, lists become tuples,
``float`` is rejected (it is inexact, and the engine's arithmetic is decimal).
After that every value is one of Decimal, str, bool, None, tuple or a
Mapping, so the operators below only deal with those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import (ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow)
from typing import Any

from budgetpolicy.expr.types import Type
from budgetpolicy.model import FrozenMap

# One fixed context, used through its methods (ctx.add, ...) rather than the
# thread's current context, so results never depend on the caller's settings.
CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999,
                  traps=[InvalidOperation, DivisionByZero, Overflow])

NoneType = type(None)
SCALAR_CLASSES = frozenset({Decimal, str, bool, NoneType})
_MAX_VALUE_DEPTH = 32


class BadValue(Exception):
    """A value from the environment that does not fit; the compiler adds the location."""


def type_name(value: Any) -> str:
    cls = value.__class__
    if cls is Decimal:
        return "number"
    if cls is str:
        return "string"
    if cls is bool:
        return "bool"
    if value is None:
        return "null"
    if cls is tuple or cls is list:
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return f"unsupported Python value ({cls.__name__})"


def normalise(value: Any, depth: int = 0) -> Any:
    """The expression-language form of an environment value (see module docstring)."""
    cls = value.__class__
    if cls in SCALAR_CLASSES:
        return value
    if cls is int:
        return Decimal(value)
    if cls is float:
        raise BadValue(f"got the float {value!r}; numbers must be Decimal or int so that arithmetic "
                       f"is exact (convert with Decimal(str(x)) when loading the data)")
    if depth > _MAX_VALUE_DEPTH:
        raise BadValue(f"value nests more than {_MAX_VALUE_DEPTH} levels deep")
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(normalise(item, depth + 1) for item in value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, Decimal):
        return Decimal(value)
    if isinstance(value, int):
        return Decimal(int(value))
    if isinstance(value, str):
        return str(value)
    raise BadValue(f"got an unsupported Python value of type {cls.__name__}")


Guard = Callable[[Any], bool]


def guard(t: Type) -> Guard | None:
    """A predicate that a normalised value has type ``t`` (None when anything goes).

    Maps and records are checked shallowly here; their fields are checked when read.
    """
    kind = t.kind
    if kind == "any":
        return None
    if kind == "number":
        return lambda v: v.__class__ is Decimal
    if kind == "string":
        return lambda v: v.__class__ is str
    if kind == "bool":
        return lambda v: v.__class__ is bool
    if kind == "null":
        return lambda v: v is None
    if kind == "optional":
        inner = guard(t.base)
        return None if inner is None else (lambda v: v is None or inner(v))
    if kind == "list":
        item = guard(t.item) if t.item is not None else None
        if item is None:
            return lambda v: v.__class__ is tuple
        return lambda v: v.__class__ is tuple and all(item(x) for x in v)
    return lambda v: isinstance(v, Mapping)


def fast_classes(t: Type) -> frozenset[type]:
    """Classes a raw value may have to be accepted as ``t`` without normalising it."""
    kind = t.kind
    if kind == "number":
        return frozenset({Decimal})
    if kind == "string":
        return frozenset({str})
    if kind == "bool":
        return frozenset({bool})
    if kind == "null":
        return frozenset({NoneType})
    if kind == "optional":
        return fast_classes(t.base) | {NoneType}
    if kind == "any":
        return SCALAR_CLASSES | {dict, FrozenMap}
    if kind in ("map", "record"):
        return frozenset({dict, FrozenMap})
    return frozenset()


def coercer(t: Type) -> Callable[[Any], Any]:
    """Normalise a raw value and check it against ``t``; raises BadValue."""
    check = guard(t)
    expected = str(t)

    def coerce(value: Any) -> Any:
        value = normalise(value)
        if check is not None and not check(value):
            raise BadValue(f"expected {expected}, got {type_name(value)}")
        return value

    return coerce


def equal(a: Any, b: Any) -> bool:
    """Equality without Python's cross-type surprises: true != 1, "1" != 1, null == null only."""
    ca, cb = a.__class__, b.__class__
    if ca is cb and ca in SCALAR_CLASSES:
        return bool(a == b)
    if ca is tuple and cb is tuple:
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if ca in SCALAR_CLASSES or cb in SCALAR_CLASSES or ca is tuple or cb is tuple:
        return False
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(equal(normalise(a[k]), normalise(b[k])) for k in a)
    return False


def contains(haystack: Any, needle: Any) -> bool:
    """``needle in haystack`` for a list, string or map; raises BadValue for other kinds."""
    cls = haystack.__class__
    if cls is tuple:
        ncls = needle.__class__
        if ncls is str or ncls is Decimal:
            return any(x.__class__ is ncls and x == needle for x in haystack)
        return any(equal(x, needle) for x in haystack)
    if cls is str:
        if needle.__class__ is not str:
            raise BadValue(f"'in' a string needs a string on the left, got {type_name(needle)}")
        return needle in haystack
    if haystack is None:
        return False
    if isinstance(haystack, Mapping):
        if needle.__class__ is not str:
            raise BadValue(f"'in' a map needs a string key on the left, got {type_name(needle)}")
        return needle in haystack
    raise BadValue(f"'in' needs a list, string or map on the right, got {type_name(haystack)}")


def orderable(a: Any, b: Any) -> bool:
    """True when a and b can be ordered; False when either is null (ordering with null is false).

    Raises BadValue for numbers against strings, bools, lists or maps.
    """
    ca, cb = a.__class__, b.__class__
    if ca is cb and (ca is Decimal or ca is str):
        return True
    if a is None or b is None:
        return False
    raise BadValue(f"cannot order {type_name(a)} and {type_name(b)}")
