"""The policy format reference documents every key of the schema."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _paths(schema, node, prefix=""):
    defs = schema.get("$defs", {})
    node = defs[node["$ref"].split("/")[-1]] if "$ref" in node else node
    for key, value in node.get("properties", {}).items():
        yield prefix + key
        resolved = defs[value["$ref"].split("/")[-1]] if "$ref" in value else value
        if resolved.get("properties"):
            yield from _paths(schema, resolved, prefix + key + ".")
        items = resolved.get("items")
        if items:
            items_resolved = defs[items["$ref"].split("/")[-1]] if "$ref" in items else items
            if items_resolved.get("properties"):
                yield from _paths(schema, items_resolved, prefix + key + "[].")


def test_every_schema_key_is_documented():
    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    doc = (ROOT / "docs" / "policy-format.md").read_text()
    missing = [p for p in _paths(schema, schema) if f"`{p}`" not in doc]
    assert missing == []
