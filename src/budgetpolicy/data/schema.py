"""Data stage, schema step: a typed record against ``schemas/initiative.schema.json`` / ``outcome.schema.json``.

Runs after :mod:`budgetpolicy.data.records` has shaped and typed a record: required fields, ranges,
enums and patterns, as one-line diagnostics located by the user's own column name (``rating.fit``,
not ``ratings.fit``). Errors are translated by :mod:`budgetpolicy.schema_errors` in the words of
someone fixing a spreadsheet row (:data:`ROW_WORDS`: "a map", "a list", "text", "a whole number");
the keywords a row reads differently from a policy (missing fields, enums, alternatives, patterns,
bad map keys) are worded by the handlers below.

Most rows are valid: :func:`fast_check` proves that at a few µs a row, and jsonschema (about 500 µs a
row) runs only on the rows it does not pass, so every message comes from the same path.

Codes: BP411 missing field, BP413 wrong type, BP414 out of range, BP415 bad format, BP416 value not
allowed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from attrs import evolve
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from budgetpolicy.data.rowcheck import Check, compile_checker
from budgetpolicy.errors import Diagnostics, did_you_mean
from budgetpolicy.schema_errors import SchemaPath, SchemaProblem, Vocabulary, shipped_schema, translate

# Candidates of stretch assignments are checked by budgetpolicy.stretch.candidates with the same translator.
SCHEMAS = {"initiatives": "initiative.schema.json", "outcomes": "outcome.schema.json",
           "candidates": "candidate.schema.json"}
# (field, map key) -> the user's name for it, e.g. ("ratings", "fit") -> "rating.fit".
ColumnNames = Mapping[tuple[str, str], str]


def schema_path(kind: str) -> Path:
    """The shipped schema when installed as package data, else the repository copy."""
    return shipped_schema(SCHEMAS[kind])


@functools.lru_cache(maxsize=4)
def schema(kind: str) -> dict[str, Any]:
    with open(schema_path(kind), encoding="utf-8") as fh:
        loaded: dict[str, Any] = json.load(fh)
    return loaded


@functools.lru_cache(maxsize=4)
def _validator(kind: str) -> Draft202012Validator:
    # Every row is validated: with the local $refs inlined, jsonschema skips resolving them per
    # value (about 40% of the validation time). Errors and their messages are the same.
    whole = schema(kind)
    return Draft202012Validator(_inline_refs(whole, whole.get("$defs", {})))


@functools.lru_cache(maxsize=4)
def fast_check(kind: str) -> Check | None:
    """The schema compiled once into a yes/no checker (:mod:`budgetpolicy.data.rowcheck`): a row it passes
    has no schema problem; any other row goes through jsonschema for the located messages."""
    return compile_checker(schema(kind))


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
    if name is not None and name in defs and name not in inside and set(node) - {"$ref"} <= _ANNOTATIONS:
        target = _inline_refs(defs[name], defs, (*inside, name))
        return {**{k: v for k, v in node.items() if k != "$ref"}, **target}
    return {key: value if key in ("enum", "const") else _inline_refs(value, defs, inside)
            for key, value in node.items()}


def schema_problems(record: Mapping[str, Any], kind: str, names: ColumnNames, problems: Diagnostics[str | None],
                    already: frozenset[str | None] = frozenset(), *, fast: bool = True) -> None:
    """Schema violations, leaving out fields in ``already`` (reported while converting). ``fast=False``
    skips the fast path (tests compare the two)."""
    proven = fast_check(kind) if fast else None
    if proven is not None and proven(record):
        return  # proven valid: jsonschema would find nothing (most rows end here, at a few µs)
    seen: set[tuple[str | None, str]] = set()
    words = row_words(kind)
    for error in sorted(_validator(kind).iter_errors(record), key=lambda e: [str(p) for p in e.absolute_path]):
        for problem in translate(error, words):
            field = _field_name(problem.path, names)
            if (field, problem.message) not in seen and field not in already:
                seen.add((field, problem.message))
                problems.add(problem.code, field, problem.message, problem.hint)


def _field_name(path: SchemaPath, names: ColumnNames) -> str | None:
    if not path:
        return None
    if len(path) >= 3 and isinstance(path[1], str) and isinstance(path[2], str):
        # A map of maps (milestones): the flat column holds both keys, milestone.<quarter>.<priority>.
        return names.get((str(path[0]), f"{path[1]}.{path[2]}"), f"{path[0]}.{path[1]}.{path[2]}")
    if len(path) >= 2 and isinstance(path[1], str):
        return names.get((str(path[0]), path[1]), f"{path[0]}.{path[1]}")
    return str(path[0])


# -- the keywords a row reads in its own terms ----------------------------------------------


def _schema(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _bad_key(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    # The instance is the offending key of a map: placed at that key, so the user's column is named.
    path: SchemaPath = tuple(error.absolute_path)
    sub = _schema(error)
    yield SchemaProblem("BP415", (*path, str(error.instance)),
                        f"'{error.instance}' is not a valid key for {path[0] if path else 'the map'}",
                        sub.get("description") or sub.get("title"))


def _alternatives(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    branch = _best_branch(error)
    if branch is not None:
        yield from translate(branch, words)
        return
    path: SchemaPath = tuple(error.absolute_path)
    yield SchemaProblem("BP413", path, f"{words.lead(path)}expected {_schema(error).get('title', 'another value')}, "
                        f"got {words.describe(error.instance)}", _schema(error).get("description"))


def _best_branch(error: ValidationError) -> ValidationError | None:
    """The error from the alternative that matched the value's type (its real problem)."""
    candidates = [e for e in error.context or () if e.validator != "type"]
    enum = [e for e in candidates if e.validator == "enum"]
    best = enum or candidates
    return best[0] if best else None


def _missing(kind: str, error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    given: Any = error.instance
    required: Any = error.validator_value
    for key in required:
        if key not in given:
            title = _schema_title(key, error, kind)
            # Named alone, by the missing field's own name (also inside a map value).
            yield SchemaProblem("BP411", (key,), f"missing required field '{key}'",
                                f"add a '{key}' value" + (f" ({title})" if title != key else ""))


def _schema_title(key: str, error: ValidationError, kind: str) -> str:
    # A top-level field's title as written beside its $ref (the validator's copy has the $refs
    # inlined, where the definition's own title wins).
    where = schema(kind) if not error.absolute_path else error.schema
    prop = (where.get("properties", {}) if isinstance(where, Mapping) else {}).get(key, {})
    return str(prop.get("title", key))


def _not_allowed(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    path: SchemaPath = tuple(error.absolute_path)
    inst: Any = error.instance
    allowed: Any = error.validator_value
    options = [str(o) for o in (allowed if error.validator == "enum" else [allowed])]
    close = did_you_mean(inst, options) if isinstance(inst, str) else None
    hint = (close + " " if close else "") + f"one of: {', '.join(options)}"
    yield SchemaProblem("BP416", path, f"{words.lead(path)}{words.describe(inst)} is not a known "
                        f"{_schema(error).get('title', 'value')}", hint)


def _bad_text(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    path: SchemaPath = tuple(error.absolute_path)
    inst = error.instance
    if error.validator == "minLength" or (error.validator == "pattern" and isinstance(inst, str) and not inst.strip()):
        yield SchemaProblem("BP411", path, f"{words.lead(path)}must not be empty")
        return
    sub = _schema(error)
    yield SchemaProblem("BP415", path, f"{words.lead(path)}{words.describe(inst)} is not {sub.get('title', 'valid')}",
                        sub.get("description"))


def _duplicates(error: ValidationError, words: Vocabulary) -> Iterator[SchemaProblem]:
    items: Any = error.instance
    dupes = sorted({str(v) for v in items if list(items).count(v) > 1})
    yield SchemaProblem("BP416", tuple(error.absolute_path),
                        f"lists {', '.join(repr(d) for d in dupes)} more than once", "list each item once")


# A spreadsheet row's words: maps, lists and text; a boolean shows its value (the cell may say "yes").
ROW_WORDS = Vocabulary(
    type_names={"object": "a map", "array": "a list", "string": "text", "integer": "a whole number",
                "number": "a number", "boolean": "a boolean", "null": "null"},
    value_words={"boolean": "boolean {}", "number": "number {}", "string": "text {}", "object": "a map",
                 "array": "a list"},
    codes={"type": "BP413", "range": "BP414", "other": "BP415"},
    handlers={"propertyNames": _bad_key, "anyOf": _alternatives, "oneOf": _alternatives, "enum": _not_allowed,
              "const": _not_allowed, "minLength": _bad_text, "pattern": _bad_text, "format": _bad_text,
              "maxLength": _bad_text, "uniqueItems": _duplicates},
    numbers_items=True,  # a row's location names the field only, so the message names the list item
)


@functools.lru_cache(maxsize=4)
def row_words(kind: str) -> Vocabulary:
    """:data:`ROW_WORDS` for one record kind: a missing field's hint gives its title in that kind's schema."""
    return evolve(ROW_WORDS, handlers={**ROW_WORDS.handlers, "required": functools.partial(_missing, kind)})
