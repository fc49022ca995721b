"""Rows are validated against the schema with its local $refs inlined (for speed): same verdicts, same words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from budgetpolicy.errors import Location
from budgetpolicy.data import schema as rowschema
from budgetpolicy.data.records import row_diagnostics

GOOD = {"id": "INI-1", "title": "Coaching", "kind": "coaching", "department": "Sales", "cost": Decimal("1000"),
        "probability": Decimal("0.5"), "priorities": ["win-rate"], "forecast": {"win-rate": Decimal("0.02")},
        "attributes": {"team_size": Decimal("3")}, "start": "2026-Q1"}

BAD = [
    {"id": "-x"}, {"title": "  "}, {"kind": "coachin"}, {"department": ""}, {"cost": Decimal("-1")},
    {"cost": "1,000"}, {"currency": "usd"}, {"headcount": 0}, {"probability": Decimal("1.5")},
    {"probability": "often"}, {"priorities": ["Win Rate"]}, {"priorities": ["a", "a"]},
    {"forecast": {"Bad Key": Decimal("1")}}, {"forecast": {"win-rate": Decimal("-0.1")}},
    {"attributes": {"team_size": {"nested": 1}}}, {"start": "2026-Q5"}, {"role": " "}, {"pilot": "maybe"},
    {"surprise": 1},
]


def problems(record, validator, kind="initiatives"):
    found = row_diagnostics(Location(file="x.csv", row=2))
    original = rowschema._validator
    rowschema._validator = lambda kind: validator  # the function under comparison, for this call only
    try:
        rowschema.schema_problems(record, kind, {}, found)
    finally:
        rowschema._validator = original
    return [d.format() for d in found]


@pytest.mark.parametrize("change", BAD, ids=[next(iter(c)) + "=" + str(next(iter(c.values()))) for c in BAD])
def test_inlined_schema_reports_exactly_what_the_schema_with_refs_reports(change):
    record = {**GOOD, **change}
    with_refs = Draft202012Validator(rowschema.schema("initiatives"))
    reported = problems(record, rowschema._validator("initiatives"))
    assert reported, f"{change} should be a problem"
    assert reported == problems(record, with_refs)


def test_missing_required_fields_are_reported_the_same():
    record = {k: v for k, v in GOOD.items() if k not in ("cost", "kind")}
    assert problems(record, rowschema._validator("initiatives")) == \
        problems(record, Draft202012Validator(rowschema.schema("initiatives")))


@pytest.mark.parametrize("record", [{"period": "2026-Q1"}, {"initiative_id": "-x", "period": "Q1"},
                                    {"initiative_id": "A", "period": "2026-Q1", "spend_to_date": Decimal("-5")}])
def test_outcome_problems_are_reported_the_same(record):
    inlined = problems(record, rowschema._validator("outcomes"), "outcomes")
    assert inlined
    assert inlined == problems(record, Draft202012Validator(rowschema.schema("outcomes")), "outcomes")


def test_a_good_record_passes_both():
    assert problems(GOOD, rowschema._validator("initiatives")) == []
    assert problems(GOOD, Draft202012Validator(rowschema.schema("initiatives"))) == []


def test_no_local_ref_is_left_in_the_shipped_schemas():
    for kind in ("initiatives", "outcomes"):
        assert '"$ref"' not in repr(rowschema._validator(kind).schema).replace("'", '"')


def test_recursive_and_constrained_refs_are_left_alone():
    defs = {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}},
            "pos": {"type": "number", "minimum": 0}}
    schema = {"properties": {"tree": {"$ref": "#/$defs/node", "title": "tree"},
                             "n": {"$ref": "#/$defs/pos", "maximum": 9}}}
    out = rowschema._inline_refs(schema, defs)
    assert out["properties"]["tree"]["title"] == "tree"
    assert out["properties"]["tree"]["properties"]["child"] == {"$ref": "#/$defs/node"}
    assert out["properties"]["n"] == {"$ref": "#/$defs/pos", "maximum": 9}
