"""JSON Schema errors in the reader's words: the one translator for policies and data rows.

Policies (TOML) and initiative and outcome rows (CSV, JSON, SQL, ...) are both checked against a JSON
Schema at the edge of the pipeline. jsonschema's own messages speak JSON ("'x' is not of type
'object'"); :func:`translate` turns each error into :class:`SchemaProblem` values (a code, the path of
the offending value, a one-line message, a hint) in the words of a :class:`Vocabulary`. A policy author
reads "a table", "an array" and "string"; someone fixing a spreadsheet row reads "a map", "a list" and
"text". Keywords every reader sees in the same words (``type``, the ranges, anything unforeseen) are
worded here; each stage's vocabulary adds handlers for the keywords it words its own way (unknown and
missing keys, enums, alternatives, patterns). The stage then places each problem: a policy by key
path and line, a row by the user's own column name.

Also here: :func:`shipped_schema`, the schema files every stage reads, and :class:`DateText`, a TOML
date shown to a schema as text (JSON has no dates) that messages still call a date.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import field, frozen
from jsonschema.exceptions import ValidationError

SchemaPath = tuple[str | int, ...]
RANGE_OPERATORS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


def shipped_schema(name: str) -> Path:
    """A schema file under ``schemas/``: the package data when installed, else the repository copy."""
    packaged = resources.files("budgetpolicy") / "schemas" / name
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas" / name


class DateText(str):
    """A TOML date or time shown to the schema as its ISO text, remembering it was not a string."""


@frozen
class SchemaProblem:
    """One schema violation in the reader's words; ``path`` says which value, for the stage to place."""

    code: str
    path: SchemaPath
    message: str
    hint: str | None = None


Handler = Callable[[ValidationError, "Vocabulary"], Iterator[SchemaProblem]]
TypeHint = Callable[[Sequence[str], Any, SchemaPath], "str | None"]


@frozen
class Vocabulary:
    """How one kind of reader names types and values, and which codes and handlers their stage uses.

    ``type_names``: JSON Schema type -> words ("object" -> "a table"). ``value_words``: kind of value
    ("boolean", "number", "string", "date", "object", "array") -> a template of how a value of that
    kind is shown, ``{}`` standing for the value ("string {}" -> 'string "x"'); a kind left out is
    shown by the next kind that fits (a date as a string). ``codes``: "type", "range" and "other" ->
    the stage's code. ``handlers``: keyword (or "propertyNames", for a bad key of a map) -> the stage's
    own wording. ``numbers_items``: messages start "item 2: " for a value inside a list, for readers
    whose location names the field only. ``type_hint``: a fix for a value of the wrong type.
    """

    type_names: Mapping[str, str]
    value_words: Mapping[str, str]
    codes: Mapping[str, str]
    handlers: Mapping[str, Handler] = field(factory=dict)
    numbers_items: bool = False
    type_hint: TypeHint | None = None

    def describe(self, value: Any) -> str:
        """A value as the reader would name it, for "expected X, got Y" messages."""
        for kind, shown in _kinds(value):
            words = self.value_words.get(kind)
            if words is not None:
                return words.format(shown)
        return type(value).__name__

    def expected(self, type_names: str | Sequence[str]) -> str:
        names = [type_names] if isinstance(type_names, str) else list(type_names)
        return " or ".join(self.type_names.get(n, n) for n in names)

    def lead(self, path: SchemaPath) -> str:
        """``item 2: `` for a value inside a list field, when the reader's location cannot say so."""
        if self.numbers_items and len(path) >= 2 and isinstance(path[1], int):
            return f"item {path[1] + 1}: "
        return ""


def _kinds(value: Any) -> Iterator[tuple[str, str]]:
    """The kinds ``value`` can be shown as, most specific first, each with its text."""
    if isinstance(value, bool):
        yield "boolean", str(value).lower()
    elif isinstance(value, DateText):
        yield "date", str(value)
        yield "string", json.dumps(str(value), ensure_ascii=False)
    elif isinstance(value, (int, Decimal, float)):
        yield "number", str(value)
    elif isinstance(value, str):
        yield "string", json.dumps(value, ensure_ascii=False)
    elif isinstance(value, Mapping):
        yield "object", ""
    elif isinstance(value, (list, tuple)):
        yield "array", ""


def translate(error: ValidationError, vocabulary: Vocabulary) -> Iterator[SchemaProblem]:
    """The problems one jsonschema error stands for, worded by ``vocabulary``."""
    handlers = vocabulary.handlers
    if "propertyNames" in error.relative_schema_path and "propertyNames" in handlers:
        handler = handlers["propertyNames"]
    else:
        keyword = str(error.validator)
        handler = handlers.get(keyword) or _COMMON.get(keyword, _other)
    yield from handler(error, vocabulary)


def _wrong_type(error: ValidationError, vocabulary: Vocabulary) -> Iterator[SchemaProblem]:
    path: SchemaPath = tuple(error.absolute_path)
    expected: Any = error.validator_value
    names = [expected] if isinstance(expected, str) else list(expected)
    hint = vocabulary.type_hint(names, error.instance, path) if vocabulary.type_hint else None
    yield SchemaProblem(vocabulary.codes["type"], path, f"{vocabulary.lead(path)}expected "
                        f"{vocabulary.expected(names)}, got {vocabulary.describe(error.instance)}", hint)


def _out_of_range(error: ValidationError, vocabulary: Vocabulary) -> Iterator[SchemaProblem]:
    path: SchemaPath = tuple(error.absolute_path)
    op = RANGE_OPERATORS[str(error.validator)]
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    yield SchemaProblem(vocabulary.codes["range"], path, f"{vocabulary.lead(path)}must be {op} "
                        f"{error.validator_value}, got {error.instance}", schema.get("description"))


def _other(error: ValidationError, vocabulary: Vocabulary) -> Iterator[SchemaProblem]:
    # A keyword no handler words: jsonschema's own message is still better than nothing.
    yield SchemaProblem(vocabulary.codes["other"], tuple(error.absolute_path), error.message)


_COMMON: dict[str, Handler] = {"type": _wrong_type, **{keyword: _out_of_range for keyword in RANGE_OPERATORS}}
