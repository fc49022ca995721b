"""Milestone columns: ``milestone.<quarter>.<priority>`` (CSV/SQL) and nested ``milestones`` (JSON/TOML), checked
and frozen; an initiative without milestones keeps the hash and ledger snapshot it had before they existed."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal as D

import pytest

from budgetpolicy.canonical import canonical_json, sha256_hex
from budgetpolicy.data.load import initiative_to_record, load_initiatives, record_to_initiative
from budgetpolicy.errors import DataError, Location
from budgetpolicy.model import FrozenMap

BASE = {"id": "INI-001", "title": "t", "kind": "training", "department": "Sales", "cost": "1000",
        "forecast.win-rate": "2"}
WHERE = Location(file="initiatives.csv", row=2)


def test_flat_columns_and_nested_tables_give_the_same_frozen_milestones(tmp_path, registry):
    flat = record_to_initiative({**BASE, "milestone.2026-Q2.win-rate": "1.0", "milestone.2026-Q4.win-rate": "2"})
    nested = record_to_initiative({**BASE, "milestones": {"2026-Q2": {"win-rate": "1.0"}, "2026-Q4": {"win-rate": 2}}})
    assert flat == nested
    assert flat.milestones == {"2026-Q2": {"win-rate": D("1.0")}, "2026-Q4": {"win-rate": D(2)}}
    assert isinstance(flat.milestones, FrozenMap) and isinstance(flat.milestones["2026-Q2"], FrozenMap)
    toml = tmp_path / "i.toml"
    toml.write_text('[[initiatives]]\nid = "INI-001"\ntitle = "t"\nkind = "training"\ndepartment = "Sales"\n'
                    'cost = 1000\nforecast = { win-rate = 2 }\nmilestones = { "2026-Q2" = { win-rate = 1.0 }, '
                    '"2026-Q4" = { win-rate = 2 } }\n', encoding="utf-8")
    (from_toml,) = load_initiatives(str(toml), registry).items
    assert from_toml.milestones == flat.milestones
    csv = tmp_path / "i.csv"
    csv.write_text("id,title,kind,department,cost,forecast.win-rate,milestone.2026-Q2.win-rate,milestones.2026-Q4.win-rate\n"
                   "INI-001,t,training,Sales,1000,2,1.0,2\nINI-002,t,training,Sales,1000,2,,\n", encoding="utf-8")
    first, second = load_initiatives(str(csv), registry).items
    assert first.milestones == flat.milestones and second.milestones == {}


def test_record_round_trip_keeps_milestones():
    initiative = record_to_initiative({**BASE, "milestone.2026-Q2.win-rate": "1.50"})
    record = initiative_to_record(initiative)
    assert record["milestones"] == {"2026-Q2": {"win-rate": "1.50"}}
    assert record_to_initiative(json.loads(json.dumps(record))) == initiative


def test_without_milestones_the_hash_and_snapshot_are_unchanged():
    plain = record_to_initiative(BASE)
    text = canonical_json(plain)
    assert "milestones" not in text  # left out while empty: hashes recorded before milestones still match
    assert sha256_hex(plain) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    declared = record_to_initiative({**BASE, "milestone.2026-Q2.win-rate": "1"})
    assert '"milestones":{"2026-Q2":{"win-rate":"1"}}' in canonical_json(declared)
    assert sha256_hex(declared) != sha256_hex(plain)


@pytest.mark.parametrize("column,value,code,message", [
    ("milestone.2026-Q5.win-rate", "1", "BP415", "'2026-Q5' is not a valid key for milestones"),
    ("milestone.2026-Q2.Win-Rate", "1", "BP415", "'Win-Rate' is not a valid key for milestones"),
    ("milestone.2026-Q2.win-rate", "soon", "BP420", '"soon" is not a number'),
    ("milestone.2026-Q2.win-rate", "-1", "BP414", "must be >= 0, got -1"),
    ("milestone.2026-Q2", "1", "BP412", "'milestone.2026-Q2' names no priority"),
])
def test_bad_milestone_cells_name_the_row_and_column(column, value, code, message):
    with pytest.raises(DataError) as exc:
        record_to_initiative({**BASE, column: value}, WHERE)
    (d,) = exc.value.diagnostics
    assert (d.code, d.location.file, d.location.row, d.location.field) == (code, "initiatives.csv", 2, column)
    assert message in d.message


def test_a_misspelt_prefix_is_an_unknown_column_with_did_you_mean(tmp_path, registry):
    csv = tmp_path / "i.csv"
    csv.write_text("id,title,kind,department,cost,milstone.2026-Q2.win-rate\nINI-001,t,training,Sales,1,1\n",
                   encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_initiatives(str(csv), registry)
    (d,) = exc.value.diagnostics
    assert (d.code, d.location.field, d.hint) == ("BP412", "milstone.2026-Q2.win-rate",
                                                  "did you mean 'milestone.2026-Q2.win-rate'?")
