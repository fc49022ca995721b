"""Data stage, record level: one raw record -> typed values checked against the JSON Schema.

A raw record is what a data source yields: nested (``{"forecast": {"p": 2}}``,
the JSON/TOML shape) or flat (``{"forecast.p": "2"}``, the CSV/SQL column
shape), with values typed (JSON/TOML) or all text (CSV/SQL). Three steps, each
collecting every problem instead of stopping at the first:

1. :func:`normalise`: fold prefixed columns into maps, drop empty values
   (``None`` means missing), report unknown fields with did-you-mean.
2. :func:`coerce`: text -> Decimal / int / bool / list, exactly (no floats;
   NaN, infinities, thousands separators and absurd magnitudes are refused).
3. :func:`schema_problems`: the typed record against
   ``schemas/initiative.schema.json`` / ``outcome.schema.json`` (required
   fields, ranges, enums, patterns), as one-line diagnostics.

Codes: BP411 missing field, BP412 unknown field, BP413 wrong type, BP414 out
of range, BP415 bad format, BP416 value not allowed, BP420 bad number.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from budgetpolicy.errors import Diagnostic, Location, did_you_mean

# Field name -> how text is read. Order is the canonical record order.
INITIATIVE_FIELDS: dict[str, str] = {
    "id": "text", "title": "text", "kind": "text", "department": "text", "role": "text",
    "cost": "decimal", "currency": "text", "headcount": "int", "priorities": "list",
    "forecast": "map", "probability": "decimal", "horizon": "int", "objectives": "list",
    "delivery": "text", "evaluation_plan": "list", "sponsor": "text", "mentor": "text",
    "pilot": "bool", "ratings": "map", "attributes": "attributes", "start": "text",
}
OUTCOME_FIELDS: dict[str, str] = {
    "initiative_id": "text", "period": "text", "kpis": "map", "pre_assessment": "decimal",
    "post_assessment": "decimal", "completion_rate": "decimal", "observation": "decimal",
    "spend_to_date": "decimal", "finished": "bool",
}
# Flat column prefixes (CSV/SQL) -> the map field they fill; plural spellings are accepted too.
PREFIXES: dict[str, dict[str, str]] = {
    "initiatives": {"forecast": "forecast", "rating": "ratings", "ratings": "ratings",
                    "attr": "attributes", "attributes": "attributes"},
    "outcomes": {"kpi": "kpis", "kpis": "kpis"},
}
FIELDS = {"initiatives": INITIATIVE_FIELDS, "outcomes": OUTCOME_FIELDS}
SCHEMAS = {"initiatives": "initiative.schema.json", "outcomes": "outcome.schema.json"}
ATTRIBUTE_TYPES = ("number", "string", "bool", "date", "list<string>", "list<number>")

# Plain or scientific decimal text; anything else (1,000 / $5 / 12%) gets a specific hint.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MAX_DIGITS = 15     # integer digits: 10**15 is far beyond any budget, and keeps arithmetic exact
_MAX_PLACES = 12     # fractional digits after dropping trailing zeros
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def schema_path(kind: str) -> Path:
    """The shipped schema when installed as package data, else the repository copy."""
    packaged = resources.files("budgetpolicy") / "schemas" / SCHEMAS[kind]
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "schemas" / SCHEMAS[kind]


@functools.lru_cache(maxsize=2)
def schema(kind: str) -> dict[str, Any]:
    with open(schema_path(kind), encoding="utf-8") as fh:
        loaded: dict[str, Any] = json.load(fh)
    return loaded


@functools.lru_cache(maxsize=2)
def _validator(kind: str) -> Draft202012Validator:
    # Every row is validated: with the local $refs inlined, jsonschema skips resolving them per
    # value (about 40% of the validation time). Errors and their messages are the same.
    whole = schema(kind)
    return Draft202012Validator(_inline_refs(whole, whole.get("$defs", {})))


_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment"})


def _inline_refs(node: Any, defs: Mapping[str, Any], inside: tuple[str, ...] = ()) -> Any:
    """``node`` with each ``{"$ref": "#/$defs/X", <annotations>}`` replaced by X itself.

    X's own keywords win, so an error inside it names X's title, as it did through the $ref.
    A $ref beside other validation keywords (which would then conflict), or back into a
    definition being inlined (recursion), is left as it is: ``$defs`` stays for those.
    """
    if isinstance(node, list):
        return [_inline_refs(item, defs, inside) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = ref[8:] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
    if name in defs and name not in inside and set(node) - {"$ref"} <= _ANNOTATIONS:
        target = _inline_refs(defs[name], defs, (*inside, name))
        return {**{k: v for k, v in node.items() if k != "$ref"}, **target}
    return {key: value if key in ("enum", "const") else _inline_refs(value, defs, inside)
            for key, value in node.items()}


class Problems(list[Diagnostic]):
    """Diagnostics for one record, all at the record's location with a field name."""

    def __init__(self, where: Location) -> None:
        super().__init__()
        self.where = where

    def add(self, code: str, field: str | None, message: str, hint: str | None = None) -> None:
        self.append(Diagnostic(code, message, self.where.evolve(field=field), hint))


# -- 1. shape ----------------------------------------------------------------


def classify_key(key: str, kind: str) -> tuple[str, str | None] | None:
    """``(field, map_key)`` for a known field or prefixed column, else None."""
    if key in FIELDS[kind]:
        return key, None
    prefix, dot, rest = key.partition(".")
    target = PREFIXES[kind].get(prefix)
    if dot and rest and target:
        return target, rest
    return None


def unknown_key_hint(key: str, kind: str) -> str:
    known = list(FIELDS[kind])
    prefix, dot, rest = key.partition(".")
    close = difflib.get_close_matches(prefix, list(PREFIXES[kind]), n=1, cutoff=0.6) if dot else []
    if close:
        return f"did you mean '{close[0]}.{rest}'?"
    maps = ", ".join(f"{p}.NAME" for p in dict.fromkeys(PREFIXES[kind]) if p in ("forecast", "rating", "attr", "kpi"))
    return did_you_mean(key, known) or f"known fields: {', '.join(known)}; map columns: {maps}"


def normalise(record: Mapping[str, Any], kind: str, problems: Problems) -> tuple[dict[str, Any], dict[tuple, str]]:
    """Nested record without ``None`` values, and the user's name for each (field, key)."""
    out: dict[str, Any] = {}
    names: dict[tuple, str] = {}
    for key, value in record.items():
        if not isinstance(key, str):
            problems.add("BP412", str(key), f"field names must be text, got {describe(key)}")
            continue
        place = classify_key(key, kind)
        if place is None:
            problems.add("BP412", key, f"unknown field '{key}'", unknown_key_hint(key, kind))
            continue
        if value is None:
            continue
        name, map_key = place
        if map_key is None:
            if isinstance(value, Mapping) and isinstance(out.get(name), dict):
                _merge(out[name], value, name, names, problems)
            else:
                out[name] = value
            continue
        target = out.setdefault(name, {})
        if not isinstance(target, dict):
            continue  # the nested field has the wrong type; coerce() reports it
        if map_key in target:
            problems.add("BP412", key, f"'{key}' is given twice", "keep one of the two spellings")
        target[map_key] = value
        names[(name, map_key)] = key
    for name, value in list(out.items()):
        if isinstance(value, Mapping):
            out[name] = {k: v for k, v in value.items() if v is not None}
    return out, names


def _merge(into: dict[str, Any], value: Mapping[str, Any], name: str, names: dict[tuple, str],
           problems: Problems) -> None:
    for k, v in value.items():
        if k in into:
            problems.add("BP412", f"{name}.{k}", f"'{name}.{k}' is given twice", "keep one of the two spellings")
        into[k] = v


# -- 2. types ----------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, Decimal, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def to_decimal(value: Any) -> Decimal:
    """An exact, finite Decimal of sane magnitude; scale is kept (0.70 stays 0.70)."""
    if isinstance(value, bool):
        raise _Bad("BP413", f"expected a number, got {describe(value)}")
    if isinstance(value, float):
        value = Decimal(repr(value))  # shortest repr: 0.1 stays 0.1, never 0.1000000000000000055
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        value = _parse_decimal_text(value.strip())
    elif isinstance(value, Mapping) and set(value) == {"decimal"} and isinstance(value["decimal"], str):
        value = _parse_decimal_text(value["decimal"])  # the canonical form of a numeric attribute
    if not isinstance(value, Decimal):
        raise _Bad("BP413", f"expected a number, got {describe(value)}")
    if not value.is_finite():
        raise _Bad("BP420", f"{value} is not a finite number", "give a plain decimal such as 1500.00")
    if value != 0 and value.adjusted() >= _MAX_DIGITS:
        raise _Bad("BP420", f"{value} is out of range (more than {_MAX_DIGITS} digits before the point)",
                   "check the value and its unit")
    if value != 0 and value.normalize().as_tuple().exponent < -_MAX_PLACES:  # type: ignore[operator]
        raise _Bad("BP420", f"{value} has more than {_MAX_PLACES} decimal places", "round it")
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        value = value.quantize(Decimal(1))  # 1E+3 -> 1000, so the canonical text round-trips
    return value + 0 if value.is_zero() else value  # -0 -> 0


def _parse_decimal_text(text: str) -> Decimal:
    if _NUMBER.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid text
            pass
    shown = json.dumps(text, ensure_ascii=False)
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        raise _Bad("BP420", f"{shown} has a thousands separator",
                   f"write {text.replace(',', '')}: no separators, '.' is the decimal point")
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        raise _Bad("BP420", f"{shown} uses ',' as the decimal point", f"write {text.replace(',', '.')}")
    if re.fullmatch(r"[-+]?\s*[$€£¥]\s*[\d.,]+|[\d.,]+\s*[$€£¥]", text):
        raise _Bad("BP420", f"{shown} has a currency symbol", "give the amount only; the currency is a separate field")
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise _Bad("BP420", f"{shown} is not a finite number", "give a plain decimal such as 1500.00")
    if text.endswith("%"):
        raise _Bad("BP420", f"{shown} is a percentage", "give a fraction or plain number without '%'")
    raise _Bad("BP420", f"{shown} is not a number", "give a plain decimal such as 1500.00")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad("BP413", f"expected a whole number, got {describe(value)}")
    if isinstance(value, int):
        return value
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise _Bad("BP413", f"expected a whole number, got {describe(value)}", "drop the fraction")
    return int(number)


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Bad("BP413", f"expected a boolean, got {describe(value)}", "use true/false, yes/no or 1/0")


def to_list(value: Any) -> list[Any]:
    """A list, or ';'-separated text (the CSV/SQL spelling); blank items are dropped."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(";") if item.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise _Bad("BP413", f"expected a list, got {describe(value)}", "give a list, or items separated by ';'")


def to_attribute(value: Any, declared: str | None) -> Any:
    """A custom attribute: converted to its declared type, else kept (text stays text)."""
    if declared == "number":
        return to_decimal(value)
    if declared == "bool":
        return to_bool(value)
    if declared == "string":
        return format(value, "f") if isinstance(value, Decimal) else str(value) \
            if isinstance(value, (int, str)) and not isinstance(value, bool) else _reject(value, "text")
    if declared == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat() if isinstance(value, str) \
                else _reject(value, "a date")
        except ValueError:
            raise _Bad("BP415", f"{describe(value)} is not a date", "use YYYY-MM-DD") from None
    if declared in ("list<string>", "list<number>"):
        items = to_list(value)
        return [to_attribute(v, declared[5:-1]) for v in items]
    # Undeclared: keep what the source gave, only making numbers exact.
    if isinstance(value, (str, bool, Decimal)):
        return value
    if isinstance(value, (int, float)) or (isinstance(value, Mapping) and set(value) == {"decimal"}):
        return to_decimal(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_attribute(v, None) for v in value]
    return _reject(value, "text, a number, a boolean or a list")


def _reject(value: Any, want: str) -> Any:
    raise _Bad("BP413", f"expected {want}, got {describe(value)}")


def coerce(record: dict[str, Any], kind: str, names: dict[tuple, str], problems: Problems,
           attribute_types: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Typed values for every field that converts; failures are added to ``problems``."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        how = FIELDS[kind][name]
        try:
            if how == "text":
                out[name] = value if isinstance(value, str) else _reject(value, "text")
            elif how == "decimal":
                out[name] = to_decimal(value)
            elif how == "int":
                out[name] = to_int(value)
            elif how == "bool":
                out[name] = to_bool(value)
            elif how == "list":
                out[name] = to_list(value)
            else:
                out[name] = coerce_map(name, value, how, names, problems, attribute_types or {})
        except _Bad as bad:
            problems.add(bad.code, name, bad.message, bad.hint)
    return out


def coerce_map(name: str, value: Any, how: str, names: dict[tuple, str], problems: Problems,
                attribute_types: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad("BP413", f"expected a map, got {describe(value)}", f"give {name} as a table/object")
    out: dict[str, Any] = {}
    for key, item in value.items():
        shown = names.get((name, key), f"{name}.{key}")
        try:
            out[key] = to_attribute(item, attribute_types.get(key)) if how == "attributes" else to_decimal(item)
        except _Bad as bad:
            problems.add(bad.code, shown, bad.message, bad.hint)
    return out


# -- 3. schema ---------------------------------------------------------------

_TYPE_NAMES = {"object": "a map", "array": "a list", "string": "text", "integer": "a whole number",
               "number": "a number", "boolean": "a boolean", "null": "null"}


def schema_problems(record: Mapping[str, Any], kind: str, names: dict[tuple, str], problems: Problems,
                    already: frozenset[str | None] = frozenset()) -> None:
    """Schema violations, leaving out fields in ``already`` (reported while converting)."""
    seen: set[tuple[str | None, str]] = set()
    for error in sorted(_validator(kind).iter_errors(record), key=lambda e: [str(p) for p in e.absolute_path]):
        for code, field, message, hint in _convert(error, names, kind):
            if (field, message) not in seen and field not in already:
                seen.add((field, message))
                problems.add(code, field, message, hint)


def _field_name(path: tuple, names: dict[tuple, str]) -> str | None:
    if not path:
        return None
    if len(path) >= 2 and isinstance(path[1], str):
        return names.get((path[0], path[1]), f"{path[0]}.{path[1]}")
    return str(path[0])


def _convert(error: ValidationError, names: dict[tuple, str],
             record_kind: str) -> Iterator[tuple[str, str | None, str, str | None]]:
    path = tuple(error.absolute_path)
    field = _field_name(path, names)
    item = f"item {path[1] + 1}: " if len(path) >= 2 and isinstance(path[1], int) else ""
    sub = error.schema if isinstance(error.schema, Mapping) else {}
    inst, kind = error.instance, error.validator
    if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
        # The instance is the offending key of a map; name the user's column for it.
        shown = names.get((path[0], inst), f"{path[0]}.{inst}") if path else str(inst)
        yield "BP415", shown, f"'{inst}' is not a valid key for {path[0] if path else 'the map'}", \
            sub.get("description") or sub.get("title")
    elif kind in ("anyOf", "oneOf"):
        branch = _best_branch(error)
        if branch is not None:
            yield from _convert(branch, names, record_kind)
        else:
            yield "BP413", field, f"{item}expected {sub.get('title', 'another value')}, got {describe(inst)}", \
                sub.get("description")
    elif kind == "required":
        for key in error.validator_value:
            if key not in inst:
                title = _schema_title(key, error, record_kind)
                yield "BP411", key, f"missing required field '{key}'", \
                    f"add a '{key}' value" + (f" ({title})" if title != key else "")
    elif kind == "type":
        want = error.validator_value
        want = " or ".join(_TYPE_NAMES.get(w, w) for w in ([want] if isinstance(want, str) else want))
        yield "BP413", field, f"{item}expected {want}, got {describe(inst)}", None
    elif kind in ("enum", "const"):
        options = [str(o) for o in (error.validator_value if kind == "enum" else [error.validator_value])]
        hint = did_you_mean(inst, options) if isinstance(inst, str) else None
        yield "BP416", field, f"{item}{describe(inst)} is not a known {sub.get('title', 'value')}", \
            (hint + " " if hint else "") + f"one of: {', '.join(options)}"
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        yield "BP414", field, f"{item}must be {op} {error.validator_value}, got {inst}", sub.get("description")
    elif kind == "minLength" or (kind == "pattern" and isinstance(inst, str) and not inst.strip()):
        yield "BP411", field, f"{item}must not be empty", None
    elif kind in ("pattern", "format", "maxLength"):
        yield "BP415", field, f"{item}{describe(inst)} is not {sub.get('title', 'valid')}", sub.get("description")
    elif kind == "uniqueItems":
        dupes = sorted({str(v) for v in inst if list(inst).count(v) > 1})
        yield "BP416", field, f"lists {', '.join(repr(d) for d in dupes)} more than once", "list each item once"
    else:
        yield "BP415", field, error.message, None


def _best_branch(error: ValidationError) -> ValidationError | None:
    """The error from the alternative that matched the value's type (its real problem)."""
    candidates = [e for e in error.context or () if e.validator != "type"]
    enum = [e for e in candidates if e.validator == "enum"]
    return (enum or candidates or [None])[0]


def _schema_title(key: str, error: ValidationError, record_kind: str) -> str:
    # A top-level field's title as written beside its $ref (the validator's copy has the $refs
    # inlined, where the definition's own title wins).
    where = schema(record_kind) if not error.absolute_path else error.schema
    prop = (where.get("properties", {}) if isinstance(where, Mapping) else {}).get(key, {})
    return str(prop.get("title", key))
