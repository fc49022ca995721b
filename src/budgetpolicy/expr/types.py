"""Static types of the expression language, checked before an expression sees data.

The symbol table a policy compiles its conditions against (initiative fields,
declared custom attributes, scores) is a mapping of names to :class:`Type`.
The checker uses :func:`accepts` to decide, for every operand and function
argument, whether a value is certainly fine (no runtime check), may be fine
(``any`` or ``T?``: checked when evaluated) or is certainly wrong (a BP303
error at validation time, before any data is read).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal

from attrs import frozen

from budgetpolicy.errors import ExpressionError

Kind = Literal["number", "string", "bool", "null", "any", "list", "map", "record", "optional"]
Verdict = Literal["yes", "maybe", "no"]


@frozen
class Type:
    """A static type. Build them with the constants and constructors below, not directly."""

    kind: str
    item: "Type | None" = None  # element of list/map, inner type of optional
    fields: tuple[tuple[str, "Type"], ...] = ()  # record fields, sorted by name

    def __str__(self) -> str:
        if self.kind == "list":
            return "list" if self.item == ANY else f"list<{self.item}>"
        if self.kind == "map":
            return "map" if self.item == ANY else f"map<{self.item}>"
        if self.kind == "optional":
            return f"{self.item}?"
        if self.kind == "record":
            return "{" + ", ".join(f"{k}: {v}" for k, v in self.fields) + "}"
        return self.kind

    def __repr__(self) -> str:
        return f"Type({str(self)!r})"

    @property
    def nullable(self) -> bool:
        """True when null is a possible value (``T?``, ``null`` and ``any``)."""
        return self.kind in ("optional", "null", "any")

    @property
    def base(self) -> "Type":
        """The type without its optional wrapper (``number?`` -> ``number``)."""
        return self.item if self.kind == "optional" and self.item is not None else self

    def field(self, name: str) -> "Type | None":
        for key, value in self.fields:
            if key == name:
                return value
        return None


NUMBER = Type("number")
STRING = Type("string")
BOOL = Type("bool")
NULL = Type("null")
ANY = Type("any")
SCALARS = {"number": NUMBER, "string": STRING, "bool": BOOL, "null": NULL, "any": ANY}


def list_of(item: Type = ANY) -> Type:
    return Type("list", item)


def map_of(item: Type = ANY) -> Type:
    """A map with string keys and values of ``item`` type; any key may be asked for."""
    return Type("map", item)


def optional(inner: Type) -> Type:
    """``inner`` or null. Idempotent; ``optional(ANY)`` is ANY and ``optional(NULL)`` is NULL."""
    if inner.kind in ("optional", "null", "any"):
        return inner
    return Type("optional", inner)


def record(fields: Mapping[str, Type | str]) -> Type:
    """A map with a fixed set of fields; asking for any other field is a BP302 error."""
    items = []
    for key, value in fields.items():
        items.append((str(key), parse_type(value) if isinstance(value, str) else value))
    return Type("record", None, tuple(sorted(items)))


class TypeSyntaxError(ExpressionError, ValueError):
    """A type name that :func:`parse_type` cannot read (also a ValueError for plugin code)."""

    default_code = "BP306"


_TYPE_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)|(<|>|\?))")


def parse_type(text: str | Type) -> Type:
    """Read a type name: ``number``, ``string``, ``bool``, ``null``, ``any``, ``list``,
    ``list<T>``, ``map``, ``map<T>``, and ``T?`` for "T or null" (``list<string>?``)."""
    if isinstance(text, Type):
        return text
    if not isinstance(text, str):
        raise TypeSyntaxError(f"a type must be a string such as 'number', got {type(text).__name__}")
    tokens: list[str] = []
    pos = 0
    source = text.strip()
    while pos < len(source):
        match = _TYPE_TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise _bad_type(text)
        tokens.append(match.group(1) or match.group(2))
        pos = match.end()
    result, rest = _parse_type_tokens(tokens, text)
    if rest:
        raise _bad_type(text)
    return result


def _parse_type_tokens(tokens: list[str], text: str) -> tuple[Type, list[str]]:
    if not tokens:
        raise _bad_type(text)
    head, rest = tokens[0].lower(), tokens[1:]
    if head in SCALARS:
        result = SCALARS[head]
    elif head in ("list", "map"):
        item = ANY
        if rest and rest[0] == "<":
            item, rest = _parse_type_tokens(rest[1:], text)
            if not rest or rest[0] != ">":
                raise _bad_type(text)
            rest = rest[1:]
        result = list_of(item) if head == "list" else map_of(item)
    else:
        raise _bad_type(text)
    while rest and rest[0] == "?":
        result, rest = optional(result), rest[1:]
    return result, rest


def _bad_type(text: str) -> TypeSyntaxError:
    return TypeSyntaxError(f"unknown type {text!r}",
                           hint="use number, string, bool, null, any, list, list<T>, map, map<T>, "
                                "or T? for 'T or null'")


def accepts(expected: Type, actual: Type) -> Verdict:
    """Can a value of static type ``actual`` be used where ``expected`` is required?

    ``maybe`` means the answer depends on the data (``any`` or a nullable
    value): the compiler then inserts a runtime check that raises BP350.
    """
    if expected.kind == "any":
        return "yes"
    if actual.kind == "any":
        return "maybe"
    if actual.kind == "null":
        return "yes" if expected.nullable else "no"
    if actual.kind == "optional":
        verdict = accepts(expected, actual.base)
        if expected.nullable or verdict == "no":
            return verdict
        return "maybe"
    expected = expected.base
    if expected.kind in ("number", "string", "bool", "null"):
        return "yes" if expected.kind == actual.kind else "no"
    if expected.kind == "list":
        return accepts(expected.item or ANY, actual.item or ANY) if actual.kind == "list" else "no"
    if expected.kind == "map":
        if actual.kind == "map":
            return accepts(expected.item or ANY, actual.item or ANY)
        if actual.kind == "record":
            return _weakest(accepts(expected.item or ANY, t) for _, t in actual.fields)
        return "no"
    if expected.kind == "record":
        if actual.kind == "map":
            return "no" if _weakest(accepts(t, actual.item or ANY) for _, t in expected.fields) == "no" \
                else "maybe"
        if actual.kind != "record":
            return "no"
        verdicts: list[Verdict] = []
        for name, want in expected.fields:
            have = actual.field(name)
            verdicts.append(accepts(want, have) if have is not None else
                            ("yes" if want.nullable else "no"))
        return _weakest(verdicts)
    return "no"


def _weakest(verdicts: Iterable[Verdict]) -> Verdict:
    seen = set(verdicts)
    return "no" if "no" in seen else "maybe" if "maybe" in seen else "yes"


def join(a: Type, b: Type) -> Type | None:
    """The type of a value that is either ``a`` or ``b`` (None when they do not mix)."""
    if a == b:
        return a
    if a.kind == "any" or b.kind == "any":
        return ANY
    if a.kind == "null":
        return optional(b)
    if b.kind == "null":
        return optional(a)
    if a.kind == "optional" or b.kind == "optional":
        inner = join(a.base, b.base)
        return optional(inner) if inner is not None else None
    if a.kind == b.kind and a.kind in ("list", "map"):
        inner = join(a.item or ANY, b.item or ANY)
        return Type(a.kind, inner) if inner is not None else None
    if {a.kind, b.kind} <= {"map", "record"}:
        return map_of(ANY)
    return None


def disjoint(a: Type, b: Type) -> bool:
    """True when no value has both types, so ``a == b`` would always be false."""
    if a.nullable or b.nullable:
        return False
    if {a.kind, b.kind} <= {"map", "record"}:
        return False
    return a.kind != b.kind
