"""Schema stage of policy loading: JSON Schema errors -> one-line BP1xx diagnostics.

The policy schema (``schemas/policy.schema.json``, the same file editors use
through ``#:schema``) is checked with a Draft 2020-12 validator. Every error
is reported, in source order, with its key path, its line in the TOML text,
what was expected versus what was given, and a fix hint (did-you-mean for
unknown keys and enum values). Errors are translated by
:mod:`budgetpolicy.schema_errors` in TOML's words (:data:`POLICY_WORDS`: "a
table", "an array"); the keywords a policy author reads differently from a
data row (unknown and missing keys, enums, alternatives, patterns) are worded
by the handlers below.

Codes: BP110 unknown key, BP111 missing key, BP112 wrong type, BP113 value
not allowed, BP114 out of range, BP115 bad format, BP116 array problem,
BP117 other schema rule (for example two mutually exclusive keys).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from budgetpolicy.errors import Diagnostic, did_you_mean
from budgetpolicy.policy.locate import KeyPath, PolicyLocations, format_key_path
from budgetpolicy.schema_errors import DateText, SchemaProblem, Vocabulary, shipped_schema, translate

SCHEMA_NAME = "policy.schema.json"
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def schema_path() -> Path:
    """The policy schema: shipped package data when installed, else the repository copy."""
    return shipped_schema(SCHEMA_NAME)


@functools.lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    with open(schema_path(), encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(policy_schema(), format_checker=FormatChecker(["date"]))


def for_schema(value: Any) -> Any:
    """A copy of parsed TOML the schema can check: dates as ISO strings (JSON has no dates)."""
    if isinstance(value, Mapping):
        return {k: for_schema(v) for k, v in value.items()}
    if isinstance(value, list):
        return [for_schema(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date: its 'T' fails format "date"
        return DateText(value.isoformat())
    if isinstance(value, Decimal) and not value.is_finite():
        # Reported as BP105 by the loader; a stand-in keeps the schema check going (NaN cannot compare).
        return Decimal(0)
    return value


def schema_diagnostics(data: Mapping[str, Any], places: PolicyLocations) -> list[Diagnostic]:
    """Every schema violation in ``data``, sorted by line then key path."""
    diags = error_diagnostics(_validator().iter_errors(for_schema(data)), places)
    unique = {(d.location.line or 0, d.location.key or "", d.code, d.message): d for d in diags}
    return [unique[k] for k in sorted(unique)]


def error_diagnostics(errors: Iterable[ValidationError], places: PolicyLocations) -> list[Diagnostic]:
    """jsonschema ``errors`` (of a policy, or of part of one) as diagnostics, in the order given."""
    return [Diagnostic(problem.code, problem.message, places(problem.path), problem.hint)
            for error in errors for problem in translate(error, POLICY_WORDS)]



# -- the keywords a policy author reads in TOML's terms -------------------------------------


def _schema(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _unknown_keys(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    path: KeyPath = tuple(error.absolute_path)
    allowed = sorted(_schema(error).get("properties", {}))
    where = format_key_path(path) or "the policy"
    given: Any = error.instance
    for key in sorted(set(given) - set(allowed)):
        hint = did_you_mean(key, allowed) or _belongs_elsewhere(key) or (
            f"allowed keys: {', '.join(allowed)}" if allowed else "remove it")
        yield SchemaProblem("BP110", path + (key,), f"unknown key '{key}' in {where}", hint)


def _missing_keys(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    path: KeyPath = tuple(error.absolute_path)
    required: Any = error.validator_value
    given: Any = error.instance
    for key in required:
        if key in given:
            continue
        prop = _schema(error).get("properties", {}).get(key, {})
        header = ".".join([str(p) for p in path if isinstance(p, str)] + [key])
        if prop.get("type") == "object":
            hint = f"add a [{header}] table"
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
            hint = f"add at least one [[{header}]] table"
        else:
            title = prop.get("title")
            hint = f"add {key} = ... ({title})" if title else f"add {key} = ..."
        yield SchemaProblem("BP111", path, f"missing required key '{key}'", hint)


def _not_allowed(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    inst: Any = error.instance
    allowed: Any = error.validator_value
    options = allowed if error.validator == "enum" else [allowed]
    shown = ", ".join(str(o) for o in options)
    hint = (did_you_mean(inst, [str(o) for o in options]) if isinstance(inst, str) else None) \
        or "use one of the listed values"
    yield SchemaProblem("BP113", tuple(error.absolute_path), f"{words.describe(inst)} is not one of: {shown}", hint)


def _alternatives(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    """anyOf/oneOf: required-key alternatives, or the decimal forms (number or string)."""
    path: KeyPath = tuple(error.absolute_path)
    schema = _schema(error)
    inst: Any = error.instance
    branches = schema[str(error.validator)]
    if all(set(b) == {"required"} for b in branches):
        keys = [k for b in branches for k in b["required"]]
        present = [k for k in keys if k in inst]
        if not present:
            yield SchemaProblem("BP111", path, f"needs one of {', '.join(keys)}", f"add {keys[0]} = ...")
        else:
            yield SchemaProblem("BP117", path, f"set only one of {', '.join(present)}",
                                f"remove all but one of {', '.join(present)}")
        return
    if isinstance(inst, str) and not isinstance(inst, DateText):
        # A well-formed decimal string out of range is a range error; anything else a format error.
        code = "BP114" if _DECIMAL_TEXT.fullmatch(inst) else "BP115"
    elif isinstance(inst, (int, Decimal)) and not isinstance(inst, bool):
        code = "BP114"
    else:
        code = "BP112"
    yield SchemaProblem(code, path, f"expected {schema.get('title', 'a valid value')}, got {words.describe(inst)}",
                        schema.get("description"))


def _bad_attribute_name(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    # propertyNames errors carry the offending name as the instance and the table as the path.
    name = str(error.instance)
    yield SchemaProblem("BP115", tuple(error.absolute_path) + (name,), f"'{name}' is not a valid attribute name",
                        "use letters, digits and _ only, not starting with a digit, so rules can refer to it")


def _bad_format(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    schema = _schema(error)
    if error.validator == "minLength" and error.instance == "":
        message = "must not be empty"
    else:
        title = schema.get("title")
        message = f"expected {title or 'a value matching ' + str(error.validator_value)}, " \
                  f"got {words.describe(error.instance)}"
    yield SchemaProblem("BP115", tuple(error.absolute_path), message, schema.get("description"))


def _array_problem(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    message = {"minItems": f"needs at least {error.validator_value} item(s)",
               "maxItems": f"allows at most {error.validator_value} item(s)",
               "uniqueItems": "contains duplicate items"}[str(error.validator)]
    yield SchemaProblem("BP116", tuple(error.absolute_path), message, _schema(error).get("description"))


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


def _type_hint(expected: Sequence[str], inst: Any, path: KeyPath) -> str | None:
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


# TOML's words: tables and arrays, strings; a boolean's value is not repeated (the key shows it).
POLICY_WORDS = Vocabulary(
    type_names={"object": "a table", "array": "an array", "string": "a string", "integer": "an integer",
                "number": "a number", "boolean": "a boolean (true or false)"},
    value_words={"boolean": "boolean", "date": "date/time {}", "number": "number {}", "string": "string {}",
                 "object": "table", "array": "array"},
    codes={"type": "BP112", "range": "BP114", "other": "BP117"},
    handlers={"additionalProperties": _unknown_keys, "required": _missing_keys, "enum": _not_allowed,
              "const": _not_allowed, "anyOf": _alternatives, "oneOf": _alternatives,
              "propertyNames": _bad_attribute_name, "pattern": _bad_format, "format": _bad_format,
              "minLength": _bad_format, "maxLength": _bad_format, "minItems": _array_problem,
              "maxItems": _array_problem, "uniqueItems": _array_problem},
    type_hint=_type_hint,
)
