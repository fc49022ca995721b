"""One schema-error translator, two vocabularies: a policy author reads TOML's words, a row's reader a sheet's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from budgetpolicy.data.schema import ROW_WORDS
from budgetpolicy.policy.schema import POLICY_WORDS
from budgetpolicy.schema_errors import DateText, translate


@pytest.mark.parametrize(("value", "policy", "row"), [
    ("x", 'string "x"', 'text "x"'),
    (True, "boolean", "boolean true"),
    (Decimal("1.50"), "number 1.50", "number 1.50"),
    ({"a": 1}, "table", "a map"),
    ([1], "array", "a list"),
    (DateText("2026-01-01"), "date/time 2026-01-01", 'text "2026-01-01"'),
    (None, "NoneType", "NoneType"),
])
def test_values_are_described_in_each_readers_words(value: object, policy: str, row: str) -> None:
    assert POLICY_WORDS.describe(value) == policy
    assert ROW_WORDS.describe(value) == row


def _problems(schema: dict, instance: object, words):  # type: ignore[no-untyped-def]
    return [(p.code, p.path, p.message, p.hint)
            for error in Draft202012Validator(schema).iter_errors(instance) for p in translate(error, words)]


def test_a_type_error_is_worded_once_for_both() -> None:
    schema = {"properties": {"tags": {"type": "array", "items": {"type": "object"}}}}
    instance = {"tags": [{}, "oops"]}
    assert _problems(schema, instance, POLICY_WORDS) == [
        ("BP112", ("tags", 1), 'expected a table, got string "oops"', "write it as a [tags[1]] table")]
    # A row names the field only, so the message says which item.
    assert _problems(schema, instance, ROW_WORDS) == [
        ("BP413", ("tags", 1), 'item 2: expected a map, got text "oops"', None)]


def test_a_range_error_keeps_the_schema_description_as_hint() -> None:
    schema = {"properties": {"cost": {"minimum": 0, "description": "never negative"}}}
    worded = "must be >= 0, got -5"
    assert _problems(schema, {"cost": -5}, POLICY_WORDS) == [("BP114", ("cost",), worded, "never negative")]
    assert _problems(schema, {"cost": -5}, ROW_WORDS) == [("BP414", ("cost",), worded, "never negative")]


def test_a_keyword_nobody_words_falls_back_to_jsonschemas_message() -> None:
    schema = {"properties": {"n": {"multipleOf": 5}}}
    assert _problems(schema, {"n": 7}, ROW_WORDS) == [("BP415", ("n",), "7 is not a multiple of 5", None)]
    assert _problems(schema, {"n": 7}, POLICY_WORDS) == [("BP117", ("n",), "7 is not a multiple of 5", None)]
