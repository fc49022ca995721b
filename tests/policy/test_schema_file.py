"""schemas/policy.schema.json is a valid Draft 2020-12 schema that helps editors and matches the model."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from budgetpolicy.model import EFFECTS, OUTCOMES
from budgetpolicy.policy.schema import policy_schema, schema_path

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "policy.schema.json"
# Tables whose keys are chosen by the policy author.
FREE_FORM = {"metadata", "params", "attributes", "initiative", "per_department", "per_kind", "roles", "rates"}


def _schema():
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_is_a_valid_draft_2020_12_schema():
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_loader_uses_the_repository_schema():
    assert schema_path().resolve() == SCHEMA_FILE
    assert policy_schema() == _schema()


def _properties(node, path="$"):
    """Yield (path, name, subschema) for every declared property, recursively."""
    for name, sub in node.get("properties", {}).items():
        yield path, name, sub
        yield from _properties(sub, f"{path}.{name}")
        if isinstance(sub.get("items"), dict):
            yield from _properties(sub["items"], f"{path}.{name}[]")


def test_every_property_has_title_and_description():
    missing = [f"{path}.{name}" for path, name, sub in _properties(_schema())
               if not sub.get("title") or not sub.get("description")]
    assert missing == []


def _objects(node, name="$"):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield name, node
        for key, value in node.items():
            if key == "properties":
                for prop, sub in value.items():
                    yield from _objects(sub, prop)
            elif key in ("items", "additionalProperties"):
                yield from _objects(value, name)
            elif key == "$defs":
                for prop, sub in value.items():
                    yield from _objects(sub, prop)


def test_closed_tables_except_free_form_ones():
    for name, node in _objects(_schema()):
        if name in FREE_FORM or name == "amountMap":
            assert node.get("additionalProperties") is not False, name
        else:
            assert node.get("additionalProperties") is False, name


def test_enums_match_the_model():
    schema = _schema()
    rule = schema["properties"]["approval"]["properties"]["rules"]["items"]
    assert tuple(rule["properties"]["effect"]["enum"]) == EFFECTS
    expect = schema["properties"]["tests"]["items"]["properties"]["expect"]
    assert tuple(expect["properties"]["outcome"]["enum"]) == OUTCOMES


def test_fixture_policies_validate_against_the_raw_schema():
    """What editors see: the schema alone accepts the example (dates as strings, as editors send them)."""
    import tomllib
    from decimal import Decimal

    from budgetpolicy.policy.schema import for_schema

    validator = Draft202012Validator(_schema())
    for name in ("acme.toml", "acme_reformatted.toml"):
        text = (Path(__file__).parent / "fixtures" / name).read_text(encoding="utf-8")
        data = for_schema(tomllib.loads(text, parse_float=Decimal))
        assert list(validator.iter_errors(data)) == [], name
