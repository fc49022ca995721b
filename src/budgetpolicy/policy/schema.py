"""Schema stage of policy loading: JSON Schema errors -> one-line BP1xx diagnostics.

The policy schema (``schemas/policy.schema.json``, the same file editors use
through ``#:schema``) is checked with a Draft 2020-12 validator. Every error
is reported, in source order, with its key path, its line in the TOML text,
what was expected versus what was given, and a fix hint (did-you-mean for
unknown keys and enum values).

Codes: BP110 unknown key, BP111 missing key, BP112 wrong type, BP113 value
not allowed, BP114 out of range, BP115 bad format, BP116 array problem,
BP117 other schema rule (for example two mutually exclusive keys).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from budgetpolicy.errors import Diagnostic, Location, did_you_mean
from budgetpolicy.policy.locate import KeyPath, TomlLocator, format_key_path

SCHEMA_NAME = "policy.schema.json"
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def schema_path() -> Path:
    """The policy schema: shipped package data when installed, else the repository copy."""
    packaged = resources.files("budgetpolicy") / "schemas" / SCHEMA_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "schemas" / SCHEMA_NAME


@functools.lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    with open(schema_path(), encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(policy_schema(), format_checker=FormatChecker(["date"]))


class TomlDate(str):
    """A TOML date/time shown to the schema as its ISO text, remembering it was not a string."""

    kind = "date"


def for_schema(value: Any) -> Any:
    """A copy of parsed TOML the schema can check: dates as ISO strings (JSON has no dates)."""
    if isinstance(value, Mapping):
        return {k: for_schema(v) for k, v in value.items()}
    if isinstance(value, list):
        return [for_schema(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date: its 'T' fails format "date"
        return TomlDate(value.isoformat())
    if isinstance(value, Decimal) and not value.is_finite():
        # Reported as BP105 by the loader; a stand-in keeps the schema check going (NaN cannot compare).
        return Decimal(0)
    return value


def schema_diagnostics(data: Mapping[str, Any], file: str, locator: TomlLocator) -> list[Diagnostic]:
    """Every schema violation in ``data``, sorted by line then key path."""
    diags: list[Diagnostic] = []
    for error in _validator().iter_errors(for_schema(data)):
        diags.extend(_convert(error, file, locator))
    unique = {(d.location.line or 0, d.location.key or "", d.code, d.message): d for d in diags}
    return [unique[k] for k in sorted(unique)]


def describe(value: Any) -> str:
    """The TOML type of a parsed value, for "expected X, got Y" messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, TomlDate):
        return f"date/time {value}"
    if isinstance(value, (int, Decimal)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, Mapping):
        return "table"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


_TYPE_NAMES = {"object": "a table", "array": "an array", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "a boolean (true or false)"}


def _diag(code: str, message: str, path: KeyPath, file: str, locator: TomlLocator,
          hint: str | None = None) -> Diagnostic:
    loc = Location(file=file, key=format_key_path(path) or None, line=locator.line_of(path))
    return Diagnostic(code, message, loc, hint)


def _convert(error: ValidationError, file: str, locator: TomlLocator) -> Iterator[Diagnostic]:
    path: KeyPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    inst = error.instance
    where = format_key_path(path) or "the policy"
    kind = error.validator

    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(inst) - set(allowed)):
            hint = did_you_mean(key, allowed) or _belongs_elsewhere(key) or (
                f"allowed keys: {', '.join(allowed)}" if allowed else "remove it")
            yield _diag("BP110", f"unknown key '{key}' in {where}", path + (key,), file, locator, hint)
    elif kind == "required":
        for key in error.validator_value:
            if key in inst:
                continue
            prop = schema.get("properties", {}).get(key, {})
            header = ".".join([str(p) for p in path if isinstance(p, str)] + [key])
            if prop.get("type") == "object":
                hint = f"add a [{header}] table"
            elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
                hint = f"add at least one [[{header}]] table"
            else:
                title = prop.get("title")
                hint = f"add {key} = ... ({title})" if title else f"add {key} = ..."
            yield _diag("BP111", f"missing required key '{key}'", path, file, locator, hint)
    elif kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        yield _diag("BP112", f"expected {want}, got {describe(inst)}", path, file, locator,
                    _type_hint(names, inst, path))
    elif kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        shown = ", ".join(str(o) for o in options)
        hint = (did_you_mean(inst, [str(o) for o in options]) if isinstance(inst, str) else None) \
            or "use one of the listed values"
        yield _diag("BP113", f"{describe(inst)} is not one of: {shown}", path, file, locator, hint)
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        yield _diag("BP114", f"must be {op} {error.validator_value}, got {inst}", path, file,
                    locator, schema.get("description"))
    elif kind in ("anyOf", "oneOf"):
        yield from _alternatives(error, path, file, locator)
    elif kind == "pattern" and "propertyNames" in error.relative_schema_path:
        # propertyNames errors carry the offending name as the instance and the table as the path.
        yield _diag("BP115", f"'{inst}' is not a valid attribute name", path + (inst,), file, locator,
                    "use letters, digits and _ only, not starting with a digit, so rules can refer to it")
    elif kind in ("pattern", "format", "minLength", "maxLength"):
        title = schema.get("title")
        if kind == "minLength" and inst == "":
            message = "must not be empty"
        else:
            message = f"expected {title or 'a value matching ' + str(error.validator_value)}, " \
                      f"got {describe(inst)}"
        yield _diag("BP115", message, path, file, locator, schema.get("description"))
    elif kind in ("minItems", "maxItems", "uniqueItems"):
        message = {"minItems": f"needs at least {error.validator_value} item(s)",
                   "maxItems": f"allows at most {error.validator_value} item(s)",
                   "uniqueItems": "contains duplicate items"}[kind]
        yield _diag("BP116", message, path, file, locator, schema.get("description"))
    else:  # pragma: no cover - every keyword used by the schema is handled above
        yield _diag("BP117", error.message, path, file, locator)


def _belongs_elsewhere(key: str) -> str | None:
    """For a key misplaced in the wrong table: name the tables where it is allowed."""
    homes = _key_homes().get(key)
    return f"'{key}' belongs in {' or '.join(homes)}" if homes else None


@functools.lru_cache(maxsize=1)
def _key_homes() -> dict[str, list[str]]:
    homes: dict[str, list[str]] = {}

    def walk(schema: Mapping[str, Any], header: str) -> None:
        for name, sub in schema.get("properties", {}).items():
            if header:
                homes.setdefault(name, []).append(header)
            if sub.get("type") == "object" and "properties" in sub:
                walk(sub, f"[{header.strip('[]')}.{name}]".replace("[.", "["))
            elif sub.get("type") == "array" and isinstance(sub.get("items"), Mapping):
                walk(sub["items"], f"[[{header.strip('[]')}.{name}]]".replace("[[.", "[["))

    walk(policy_schema(), "")
    return homes


def _alternatives(error: ValidationError, path: KeyPath, file: str,
                  locator: TomlLocator) -> Iterator[Diagnostic]:
    """anyOf/oneOf: required-key alternatives, or the decimal forms (number or string)."""
    schema = error.schema
    inst = error.instance
    branches = schema[error.validator]
    if all(set(b) == {"required"} for b in branches):
        keys = [k for b in branches for k in b["required"]]
        present = [k for k in keys if k in inst]
        if not present:
            yield _diag("BP111", f"needs one of {', '.join(keys)}", path, file, locator,
                        f"add {keys[0]} = ...")
        else:
            yield _diag("BP117", f"set only one of {', '.join(present)}", path, file, locator,
                        f"remove all but one of {', '.join(present)}")
        return
    title = schema.get("title", "a valid value")
    hint = schema.get("description")
    is_number = isinstance(inst, (int, Decimal)) and not isinstance(inst, bool)
    if isinstance(inst, str) and not isinstance(inst, TomlDate):
        # A well-formed decimal string out of range is a range error; anything else a format error.
        code = "BP114" if _DECIMAL_TEXT.fullmatch(inst) else "BP115"
    elif is_number:
        code = "BP114"
    else:
        code = "BP112"
    yield _diag(code, f"expected {title}, got {describe(inst)}", path, file, locator, hint)


def _type_hint(expected: list[str], inst: Any, path: KeyPath) -> str | None:
    key = str(path[-1]) if path and isinstance(path[-1], str) else "key"
    if "string" in expected and not isinstance(inst, (str, Mapping, list)):
        return f'quote the value: {key} = "{inst}"'
    if "boolean" in expected and isinstance(inst, str) and inst.lower() in ("true", "false"):
        return f"write {key} = {inst.lower()} without quotes"
    if "array" in expected and not isinstance(inst, list):
        if path and isinstance(path[-1], str) and isinstance(inst, Mapping):
            return f"write each entry as [[{format_key_path(path)}]]"
        return f"wrap the value in brackets: {key} = [ ... ]"
    if "object" in expected:
        return f"write it as a [{format_key_path(path)}] table"
    if "integer" in expected and isinstance(inst, Decimal):
        return "use a whole number"
    return None
