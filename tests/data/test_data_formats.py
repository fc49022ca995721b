"""The same four initiatives in CSV, JSON, TOML and SQLite load into equal, exact objects."""

from __future__ import annotations

import csv
import json
import sqlite3
from decimal import Decimal as D

import jsonschema
import pytest
from data_helpers import FIXTURES, TYPES

from budgetpolicy.errors import DataError, Location
from budgetpolicy.model import Initiative
from budgetpolicy.data.load import (apply_attribute_types, initiative_to_record, load_initiatives, load_outcomes,
                                        outcome_to_record, record_to_initiative, record_to_outcome)
from budgetpolicy.data.schema import schema_path


def csv_to_sqlite(csv_path, db_path, table="initiatives", types=None):
    """An SQLite table laid out like the CSV, with some typed columns (REAL, INTEGER) as real exports have."""
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    types = types or {}
    cols = ", ".join(f'"{c}" {types.get(c, "TEXT")}' for c in header)
    conn = sqlite3.connect(db_path)
    conn.execute(f'CREATE TABLE "{table}" ({cols})')
    conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(header))})',
                     [[None if v == "" else v for v in row] for row in body])
    conn.commit()
    conn.close()
    return str(db_path)


@pytest.fixture(scope="module")
def from_csv(registry):
    return load_initiatives(str(FIXTURES / "initiatives.csv"), registry, attribute_types=TYPES).items


def test_csv_values_are_exact(from_csv):
    first, second, third, fourth = from_csv
    assert first.cost == D("48000.00") and str(first.cost) == "48000.00"  # scale kept: no float on the way
    assert first.probability == D("0.70") and str(first.probability) == "0.70"
    assert first.forecast == {"win-rate": D("2.0")}  # the empty forecast.csat cell is absent, not 0
    assert first.objectives == ("Run discovery calls", "Map buying committees")
    assert first.evaluation_plan == ("pre_post_assessment", "kpi_tracking")
    assert first.attributes == {"manager_nominated": True, "team_size": D(24)}
    assert first.location == Location(file=str(FIXTURES / "initiatives.csv"), row=2)
    assert second.title == "Stretch: lead the partner pilot, EMEA" and second.mentor == "Dana Whitfield"
    assert second.ratings == {"feasibility": D(3), "risk": D("4.5")} and second.pilot is False
    assert third.title == "Café de-escalation workshop" and third.cost == D("11000.50")
    assert (third.role, third.currency, third.start, third.attributes) == (None, None, None, {})
    assert third.pilot is False and third.headcount == 30 and third.objectives == ()
    assert fourth.pilot is True and fourth.evaluation_plan == ("x-ab_test",) and fourth.currency == "EUR"


@pytest.mark.parametrize("name", ["initiatives.json", "initiatives.toml"])
def test_json_and_toml_equal_csv(registry, from_csv, name):
    items = load_initiatives(str(FIXTURES / name), registry, attribute_types=TYPES).items
    assert items == from_csv
    assert all(isinstance(i.cost, D) and isinstance(i.probability, D) for i in items)
    assert [str(i.cost) for i in items] == ["48000.00", "22000", "11000.50", "27000"]


def test_sqlite_built_from_the_csv_equals_csv(registry, from_csv, tmp_path):
    db = csv_to_sqlite(FIXTURES / "initiatives.csv", tmp_path / "data.db",
                       types={"cost": "REAL", "headcount": "INTEGER", "probability": "NUMERIC"})
    items = load_initiatives(db, registry, attribute_types=TYPES).items  # picked by the .db suffix
    assert items == from_csv
    assert items[1].location == Location(file=db, key="initiatives", row=2)
    forced = load_initiatives(f"sqlite:{db}?table=initiatives", registry, attribute_types=TYPES).items
    assert forced == from_csv


def test_sqlite_table_option_and_read_only(registry, from_csv, tmp_path):
    db = csv_to_sqlite(FIXTURES / "initiatives.csv", tmp_path / "x.sqlite", table="bets")
    before = (tmp_path / "x.sqlite").read_bytes()
    assert load_initiatives(f"{db}?table=bets", registry, attribute_types=TYPES).items == from_csv
    assert (tmp_path / "x.sqlite").read_bytes() == before


def test_attributes_stay_text_without_declared_types(registry, from_csv):
    plain = load_initiatives(str(FIXTURES / "initiatives.csv"), registry).items
    assert plain[0].attributes == {"manager_nominated": "true", "team_size": "24"}
    assert apply_attribute_types(plain, TYPES) == from_csv
    typed_json = load_initiatives(str(FIXTURES / "initiatives.json"), registry).items
    assert typed_json[0].attributes == {"manager_nominated": True, "team_size": D(24)}


def test_record_round_trip_is_exact(from_csv):
    validator = jsonschema.Draft202012Validator(json.loads(schema_path("initiatives").read_text()))
    for initiative in from_csv:
        record = initiative_to_record(initiative)
        assert json.loads(json.dumps(record)) == record  # plain JSON: no Decimal, no float
        validator.validate(record)  # the canonical record is itself valid input
        back = record_to_initiative(json.loads(json.dumps(record)), initiative.location)
        assert back == initiative
        assert initiative_to_record(back) == record
    assert initiative_to_record(from_csv[0])["attributes"] == {"manager_nominated": True,
                                                               "team_size": {"decimal": "24"}}
    assert initiative_to_record(from_csv[0])["cost"] == "48000.00"


def test_round_trip_keeps_text_attributes_text():
    i = Initiative(id="A", title="t", kind="training", department="D", cost=D("1E+3"),
                   attributes={"code": "24", "n": D("2.50"), "tags": ("x", D(1), True)})
    record = initiative_to_record(i)
    assert record["cost"] == "1000"
    assert record["attributes"] == {"code": "24", "n": {"decimal": "2.50"}, "tags": ["x", {"decimal": "1"}, True]}
    back = record_to_initiative(record)
    assert back == i and back.attributes["code"] == "24" and str(back.attributes["n"]) == "2.50"


def test_outcomes_load_the_same_from_csv_and_json(registry):
    a = load_outcomes(str(FIXTURES / "outcomes.csv"), registry, initiative_ids={"INI-001", "INI-003"}).items
    b = load_outcomes(str(FIXTURES / "outcomes.json"), registry).items
    assert a == b
    q1 = a[0]
    assert (q1.initiative_id, q1.period, q1.kpis) == ("INI-001", "2026-Q1", {"win-rate": D("0.8")})
    assert (q1.pre_assessment, q1.post_assessment, q1.completion_rate) == (D("55.5"), D("71.25"), D("0.9167"))
    assert str(q1.spend_to_date) == "24000.00" and q1.finished is False
    assert a[1].pre_assessment is None and a[1].finished is True
    assert a[2].kpis == {"csat": D("-0.2")}  # realised lift may be negative
    for reading in a:
        assert record_to_outcome(outcome_to_record(reading), reading.location) == reading


def test_flat_and_nested_records_are_the_same():
    flat = {"id": "A", "title": "t", "kind": "coaching", "department": "D", "cost": "10",
            "forecast.p": "1.5", "rating.fit": "3", "ratings.risk": 2, "attr.team": "x", "priorities": "p;q"}
    nested = {"id": "A", "title": "t", "kind": "coaching", "department": "D", "cost": 10,
              "forecast": {"p": D("1.5")}, "ratings": {"fit": 3, "risk": "2"}, "attributes": {"team": "x"},
              "priorities": ["p", "q"]}
    assert record_to_initiative(flat) == record_to_initiative(nested)


def test_every_schema_property_has_a_description():
    for kind in ("initiatives", "outcomes"):
        schema = json.loads(schema_path(kind).read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{kind}: {name}"


def test_data_error_is_raised_for_a_non_mapping_record():
    with pytest.raises(DataError, match="must be a map"):
        record_to_initiative(["not", "a", "map"], Location(file="x.json", key="record 1"))
