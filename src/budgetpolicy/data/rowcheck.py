"""Data stage, schema step's fast path: a row schema compiled once into a yes/no checker.

jsonschema walks the schema for every value of every row (about 500 µs a row); most rows are valid,
and for a valid row the only answer needed is "valid". :func:`compile_checker` turns a row schema
into nested closures that answer that question at a few µs a row. It is *sound, not complete*: it
answers True only where jsonschema (``Draft202012Validator``, no format checker) finds no error, and
False wherever it is unsure (an unusual value class, a non-text enum value, a comparison that raises).
:func:`budgetpolicy.data.schema.schema_problems` asks it first and runs jsonschema only on a False, so
every located message comes from the one translator exactly as before; a row the fast path doubts
costs what it always did.

A schema using a keyword this compiler does not know gives no checker (``None``): jsonschema then
checks every row, as before. Supported: ``type``, ``enum``, ``const``, ``pattern``, ``minLength``,
``maxLength``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``items``,
``uniqueItems`` (of text), ``properties``, ``additionalProperties``, ``required``, ``propertyNames``,
``anyOf``, ``allOf``, local ``$ref`` (``#/$defs/NAME``, not recursive), boolean schemas, and the
annotations (``format`` included: without a format checker jsonschema does not assert it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default",
                          "format", "deprecated", "readOnly", "writeOnly"})
_KEYWORDS = frozenset({"type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                       "exclusiveMinimum", "exclusiveMaximum", "items", "uniqueItems", "properties",
                       "additionalProperties", "required", "propertyNames", "anyOf", "oneOf", "allOf", "not",
                       "$ref"})  # oneOf and not are refused in _logic (a False may mean "unsure")
# The value classes whose jsonschema type is certain; any other class (a subclass, a tuple) is doubted.
_TYPES: Mapping[str, frozenset[type]] = {
    "string": frozenset({str}), "null": frozenset({type(None)}), "boolean": frozenset({bool}),
    "object": frozenset({dict}), "array": frozenset({list}), "number": frozenset({int, float, Decimal}),
}
_NUMBERS = _TYPES["number"]
_LEAF_KEYWORDS = frozenset({"type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                            "exclusiveMinimum", "exclusiveMaximum"})


class Unsupported(Exception):
    """The schema uses something this compiler does not check exactly."""


def compile_checker(schema: Mapping[str, Any]) -> Check | None:
    """The yes/no checker of ``schema`` (see the module docstring), or None if a keyword is unsupported."""
    try:
        return _Compiler(schema.get("$defs", {})).node(schema)
    except Unsupported:
        return None


class _Compiler:
    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs
        self.done: dict[str, Check] = {}
        self.active: set[str] = set()

    def node(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        # A lone ``type: object`` (or ``array``) is checked by the container's own closure, told to be strict.
        only = schema.get("type") if set(schema) & _LEAF_KEYWORDS == {"type"} else None
        array, mapping = self._array(schema, only == "array"), self._object(schema, only == "object")
        leaf = None if (only == "array" and array) or (only == "object" and mapping) else _leaf(schema)
        checks = [check for check in (self._ref(schema), leaf, array, mapping, self._logic(schema))
                  if check is not None]
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return _all(tuple(checks))

    def classes(self, schema: Any) -> frozenset[type]:
        """The value classes ``schema`` may pass (all known ones when it does not say): an ``anyOf``
        tries only the branches that may pass a value's class."""
        if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and \
                schema["$ref"][8:] in self.defs and set(schema) & (_KEYWORDS - {"$ref"}) == set():
            return self.classes(self.defs[schema["$ref"][8:]])
        if not isinstance(schema, Mapping):
            return _KNOWN
        allowed = _KNOWN
        if "type" in schema:
            classes, integer = _classes(schema)
            allowed = (classes or frozenset()) | ({float} if integer else set())
        if "anyOf" in schema:
            allowed = allowed & frozenset().union(*(self.classes(sub) for sub in schema["anyOf"]))
        return frozenset(allowed)

    def _ref(self, schema: Mapping[str, Any]) -> Check | None:
        ref = schema.get("$ref")
        if ref is None:
            return None
        if not (isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in self.defs):
            raise Unsupported(f"$ref {ref!r}")
        name = ref[8:]
        if name in self.active:
            raise Unsupported(f"recursive $ref {ref!r}")
        if name not in self.done:
            self.active.add(name)
            self.done[name] = self.node(self.defs[name])
            self.active.discard(name)
        return self.done[name]

    def _array(self, schema: Mapping[str, Any], strict: bool) -> Check | None:
        item = self.node(schema["items"]) if "items" in schema else None
        unique = schema.get("uniqueItems") is True
        if item is None and not unique:
            return None

        def check(value: Any) -> bool:
            if value.__class__ is not list:
                return not strict and value.__class__ in _KNOWN  # not a list: these keywords do not apply
            if item is not None:
                for element in value:
                    if not item(element):
                        return False
            if unique:  # jsonschema's equality tells 1 from True; for text a set says the same
                for element in value:
                    if element.__class__ is not str:
                        return False
                return len(set(value)) == len(value)
            return True

        return check

    def _object(self, schema: Mapping[str, Any], strict: bool) -> Check | None:
        properties = {key: self.node(sub) for key, sub in schema.get("properties", {}).items()}
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self.node(extra_schema)
        names = self.node(schema["propertyNames"]) if "propertyNames" in schema else None
        required = tuple(schema.get("required", ()))
        if not properties and extra is None and names is None and not required:
            return None

        # A value checked by an anyOf is dispatched here by its class (no call for a class a branch passes
        # by type alone); the names already passed are remembered (a row's keys are the same few).
        inline = {key: (check, getattr(check, "by_class", None)) for key, check in properties.items()}
        other = (extra, getattr(extra, "by_class", None))
        passed: set[str] = set()
        get = inline.get

        def check(value: Any) -> bool:
            if value.__class__ is not dict:
                return not strict and value.__class__ in _KNOWN  # not a map: these keywords do not apply
            for key in required:
                if key not in value:
                    return False
            for key, element in value.items():
                if names is not None and (key.__class__ is not str or key not in passed):
                    if not names(key):
                        return False
                    if key.__class__ is str and len(passed) < 4096:  # bounded: a file of unique keys
                        passed.add(key)
                sub, by_class = get(key, other)
                if by_class is not None:
                    branch = by_class.get(element.__class__)
                    if branch is True:
                        continue
                    if branch is None or not branch(element):
                        return False
                elif sub is not None and not sub(element):
                    return False
            return True

        return check

    def _logic(self, schema: Mapping[str, Any]) -> Check | None:
        checks: list[Check] = []
        if "anyOf" in schema:
            branches = schema["anyOf"]
            checks.append(_any(tuple(self.node(sub) for sub in branches),
                               tuple(self.classes(sub) for sub in branches)))
        if "allOf" in schema:
            checks.extend(self.node(sub) for sub in schema["allOf"])
        if "oneOf" in schema or "not" in schema:
            # Both need a proof that a branch fails, and a False here may only mean "unsure".
            raise Unsupported("oneOf" if "oneOf" in schema else "not")
        if not checks:
            return None
        return checks[0] if len(checks) == 1 else _all(tuple(checks))


_SCALARS = frozenset({str, bool, int, float, Decimal, type(None)})
_KNOWN = _SCALARS | {dict, list}


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _any(branches: tuple[Check, ...], classes: tuple[frozenset[type], ...]) -> Check:
    # Per value class, the branches that may pass it: a number goes straight to the number branch. A class
    # one branch passes by its type alone maps to True (nothing to call); a class no branch may pass is absent.
    tried = {cls: tuple(b for b, allowed in zip(branches, classes) if cls in allowed) for cls in _KNOWN}
    by_class: dict[type, Any] = {}
    for cls, found in tried.items():
        if any(cls in getattr(branch, "passes", ()) for branch in found):
            by_class[cls] = True
        elif len(found) == 1:
            by_class[cls] = found[0]
        elif found:
            by_class[cls] = _first_of(found)

    def check(value: Any) -> bool:
        branch = by_class.get(value.__class__)
        return branch is True or (branch is not None and branch(value))

    check.by_class = by_class  # type: ignore[attr-defined]  # read by _object, which dispatches inline
    return check


def _first_of(branches: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        for branch in branches:
            if branch(value):
                return True
        return False

    return check


def _all(checks: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        for each in checks:
            if not each(value):
                return False
        return True

    return check


def _leaf(schema: Mapping[str, Any]) -> Check | None:
    """``type``, ``enum``/``const``, the text keywords and the bounds of one schema, fused into one closure
    (most of a row's values are such leaves: one call each instead of one per keyword)."""
    classes, integer = _classes(schema)
    texts = _texts(schema)
    pattern = re.compile(schema["pattern"]).search if "pattern" in schema else None
    short, long = schema.get("minLength"), schema.get("maxLength")
    low, high = schema.get("minimum"), schema.get("maximum")
    above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    text = pattern is not None or short is not None or long is not None
    bounded = not (low is None and high is None and above is None and below is None)
    if classes is None and texts is None and not text and not bounded:
        return None
    allowed = _KNOWN if classes is None else classes
    if texts is None and not text and not bounded:
        return _type_leaf(allowed, integer)
    if texts is None and not bounded and pattern is not None and short is None and long is None \
            and not integer and allowed <= {str, type(None)}:
        return _pattern_leaf(pattern, type(None) in allowed)
    if texts is not None and not text and not bounded and str in allowed:
        return lambda value: value.__class__ is str and value in texts
    if texts is None and not text and bounded and not integer and allowed == _NUMBERS and above is None \
            and below is None:
        return _number_leaf(low, high)

    def check(value: Any) -> bool:
        cls = value.__class__
        if cls not in allowed and not (integer and cls is float and value.is_integer()):
            return False
        if texts is not None and (cls is not str or value not in texts):
            return False
        if cls is str:
            if text and ((short is not None and len(value) < short) or (long is not None and len(value) > long)
                         or (pattern is not None and pattern(value) is None)):
                return False
        elif bounded and cls in _NUMBERS:
            try:  # jsonschema fails a value when the comparison says so; NaN compares false (Decimal's raises)
                if ((low is not None and value < low) or (high is not None and value > high)
                        or (above is not None and value <= above) or (below is not None and value >= below)):
                    return False
            except ArithmeticError:
                return False
        return True

    return check


def _type_leaf(allowed: frozenset[type], integer: bool) -> Check:
    """A ``type`` and nothing else. ``passes`` names the classes it passes whatever the value (an anyOf
    then needs no call for them); a float passes an integer type only without a fraction."""
    def check(value: Any) -> bool:
        cls = value.__class__
        return cls in allowed or (integer and cls is float and value.is_integer())

    check.passes = allowed  # type: ignore[attr-defined]
    return check


def _number_leaf(low: Any, high: Any) -> Check:
    """A number within inclusive bounds: the amounts, lifts, ratings and shares of a row."""
    def check(value: Any) -> bool:
        if value.__class__ not in _NUMBERS:
            return False
        try:  # NaN compares false as jsonschema sees it; a Decimal NaN raises: doubted
            return not ((low is not None and value < low) or (high is not None and value > high))
        except ArithmeticError:
            return False

    return check


def _pattern_leaf(search: Callable[[str], Any], nullable: bool) -> Check:
    """Text matching a pattern (or null): the commonest leaf of a row, in its shortest form."""
    if nullable:
        return lambda value: value is None or (value.__class__ is str and search(value) is not None)
    return lambda value: value.__class__ is str and search(value) is not None


def _classes(schema: Mapping[str, Any]) -> tuple[frozenset[type] | None, bool]:
    """The value classes ``type`` certainly allows (None: no ``type``), and whether it allows integers."""
    if "type" not in schema:
        return None, False
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    classes: set[type] = set()
    integer = False
    for name in names:
        if name == "integer":
            # jsonschema's integer: an int (not a bool), or a float with no fraction; a Decimal is not one.
            integer = True
            classes.add(int)
        elif name in _TYPES:
            classes |= _TYPES[name]
        else:
            raise Unsupported(f"type {name!r}")
    return frozenset(classes), integer


def _texts(schema: Mapping[str, Any]) -> frozenset[str] | None:
    members = list(schema["enum"]) if "enum" in schema else None
    if "const" in schema:
        members = [schema["const"]] if members is None else [m for m in members if m == schema["const"]]
    if members is None:
        return None
    # Only text is matched here: jsonschema's equality of other values (1 == True == 1.0) has its own rules.
    return frozenset(m for m in members if isinstance(m, str))
