"""The ledger API: appends, chain, policy store, queries, export, schema and bad files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from decimal import Decimal

import pytest

from budgetpolicy.audit.chain import GENESIS
from budgetpolicy.audit.ledger import Ledger, LedgerEntry, entry_for_decision
from budgetpolicy.canonical import canonical_json
from budgetpolicy.errors import LedgerError
from budgetpolicy.model import Decision, Funding, Provenance, Reason

from audit_helpers import make_entry, raw


def test_append_numbers_records_and_chains_them(tmp_path):
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        assert ledger.append([make_entry(1), make_entry(2)]) == [1, 2]
        assert ledger.append([]) == []
        assert ledger.append(make_entry(i) for i in (3, 4, 5)) == [3, 4, 5]
        records = list(ledger.iter_records())
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:]))
    # Decimals are stored exactly, as strings; keys sorted (canonical JSON); a record holds the stored text.
    assert records[0].entry.data()["decision"]["funding"]["amount"] == "1001"
    text = sqlite3.connect(path).execute("SELECT payload FROM records WHERE seq = 1").fetchone()[0]
    assert text.startswith('{"decision":{"funding":{"amount":"1001"},"initiative_id":"INI-001"')
    assert records[0].entry == make_entry(1)
    with Ledger(path) as again:  # reopening continues the same chain
        assert again.append([make_entry(6)]) == [6]
        assert again.head() == (6, list(again.iter_records())[-1].hash)
        assert again.verify().ok


def test_hash_rule_is_the_documented_one(tmp_path):
    # docs/audit.md: sha256(prev + "\n" + header JSON array + "\n" + payload text)
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        ledger.append([make_entry(1)])
    row = sqlite3.connect(path).execute("SELECT * FROM records").fetchone()
    header = json.dumps(list(row[:8]), ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(f"{GENESIS}\n{header}\n{row[8]}".encode()).hexdigest()
    assert row[10] == expected


def test_floats_and_nan_are_refused(tmp_path):
    # An entry encodes its payload when it is built, so a float never reaches an append.
    with pytest.raises(LedgerError, match="BP805.*floats"):
        LedgerEntry.of("decision", "I", None, "p", "1", "a" * 64, "t", {"x": 0.1})
    for bad in (float("inf"), float("nan")):
        with pytest.raises(LedgerError, match="BP805.*floats"):
            LedgerEntry.of("decision", "I", None, "p", "1", "a" * 64, "t", {"x": [bad]})
    with pytest.raises(TypeError, match="payload"):  # data given where the encoded text belongs
        LedgerEntry("decision", "I", None, "p", "1", "a" * 64, "t", {"x": 1})  # type: ignore[arg-type]
    with Ledger(tmp_path / "l.db") as ledger:
        assert len(ledger) == 0 and ledger.head() == (0, GENESIS)


def test_put_policy_is_idempotent_and_content_addressed(tmp_path, example_policy):
    src = example_policy.source
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.put_policy(src.text, src.sha256, "acme-people-dev", "2026.1") is True
        assert ledger.put_policy(src.text, src.sha256, "acme-people-dev", "2026.1") is False
        assert ledger.get_policy(src.sha256) == src.text  # the exact bytes, comments included
        assert ledger.get_policy(src.sha256[:10]) == src.text
        assert [p.version for p in ledger.find_policies("acme-people-dev")] == ["2026.1"]
        (record,) = ledger.iter_records(kind="policy")
        assert record.entry.data()["text_sha256"] == hashlib.sha256(src.text.encode()).hexdigest()
        with pytest.raises(LedgerError, match="BP806"):
            ledger.get_policy("f" * 64)
        with pytest.raises(LedgerError, match="BP807.*does not match"):
            ledger.put_policy(src.text, "b" * 64, "acme-people-dev", "2026.1")
        with pytest.raises(LedgerError, match="BP807"):
            ledger.put_policy("this is = = not toml", "b" * 64, "x", "1")
        assert len(ledger) == 1


def test_record_stores_policy_and_decisions_atomically(tmp_path, example_policy):
    with Ledger(tmp_path / "l.db") as ledger:
        entries = [make_entry(1), make_entry(2)]
        assert ledger.record(example_policy, entries) == [2, 3]
        assert ledger.record(example_policy, [make_entry(3)]) == [4]  # policy stored once
        assert [r.entry.kind for r in ledger.iter_records()] == ["policy", "decision", "decision", "decision"]
        report = ledger.verify()
        assert (report.ok, report.records, report.policies) == (True, 4, 1)


def test_entry_for_decision_keeps_decision_input_and_provenance():
    prov = Provenance("acme", "2026.1", "c" * 64, "d" * 64, "0.1.0", (("budgetpolicy.builtins", "0.1.0"),),
                      "2026-01-05T09:00:00+00:00", "2026-01-05")
    decision = Decision("INI-7", "approved", Decimal("0.8125"), Decimal("1500.00"),
                        reasons=(Reason("vp", "over 25,000"),),
                        funding=Funding(Decimal("30000"), Decimal("30000"), "expected_value"),
                        provenance=prov)
    entry = entry_for_decision(decision, {"id": "INI-7", "cost": Decimal("30000")},
                               [{"period": "2026-Q1", "kpis": {"win_rate": Decimal("0.31")}}],
                               period="2026-Q1")
    assert entry.header() == ("decision", "INI-7", "2026-Q1", "acme", "2026.1", "c" * 64,
                              "2026-01-05T09:00:00+00:00")
    payload = entry.data()
    assert payload["decision"]["score"] == "0.8125"
    assert payload["decision"]["funding"]["amount"] == "30000"
    assert payload["input"] == {"id": "INI-7", "cost": "30000"}
    assert payload["outcomes"][0]["kpis"] == {"win_rate": "0.31"}
    assert payload["provenance"]["plugins"] == [["budgetpolicy.builtins", "0.1.0"]]
    assert entry.payload == canonical_json(payload)  # the stored text: canonical JSON
    with pytest.raises(LedgerError, match="BP805.*no provenance"):
        entry_for_decision(Decision("INI-8", "approved", Decimal(0), Decimal(0)), {"id": "INI-8"})


def test_filters_and_exports(ledger_path):
    with Ledger(ledger_path) as ledger:
        ledger.append([make_entry(20, period="2026-Q2", version="2026.2", outcome="rejected")])
        assert [r.seq for r in ledger.iter_records(initiative_id="INI-003")] == [4]
        assert [r.entry.initiative_id for r in ledger.iter_records(period="2026-Q2")] == ["INI-020"]
        assert [r.seq for r in ledger.iter_records(policy_version="2026.2")] == [12]
        assert len(list(ledger.iter_records(kind="decision"))) == 11
        out = io.StringIO()
        assert ledger.export("jsonl", out) == 12
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        out = io.StringIO()
        assert ledger.export("csv", out, period="2026-Q2") == 1
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert lines[11]["payload"]["decision"]["outcome"] == "rejected"
    # The JSONL alone is enough to recompute every hash (an auditor needs nothing else).
    prev = GENESIS
    for line in lines:
        header = json.dumps([line[k] for k in ("seq", "kind", "initiative_id", "period", "policy_id",
                                               "policy_version", "policy_sha256", "evaluated_at")],
                            ensure_ascii=False, separators=(",", ":"))
        payload = json.dumps(line["payload"], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        assert line["prev_hash"] == prev
        prev = hashlib.sha256(f"{prev}\n{header}\n{payload}".encode()).hexdigest()
        assert line["hash"] == prev
    assert rows == [{**rows[0], "seq": "12", "initiative_id": "INI-020", "outcome": "rejected",
                     "allocation": "1020", "score": "0.75", "policy_version": "2026.2"}]


def test_append_only_triggers_refuse_update_and_delete(ledger_path):
    conn = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE records SET payload = '{}' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM records WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM policies")


def test_missing_file_not_a_ledger_and_newer_schema(tmp_path, ledger_path):
    with pytest.raises(LedgerError, match="BP801.*does not exist"):
        Ledger(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not sqlite at all" * 10)
    with pytest.raises(LedgerError, match="BP802"):
        Ledger(text, create=False)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError, match="BP802.*not a budgetpolicy ledger"):
        Ledger(other, create=False, readonly=True)
    raw(ledger_path).execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="BP803.*version 99 is newer.*supports \\(2\\)"):
        Ledger(ledger_path)


def test_readonly_open_cannot_write(ledger_path):
    with Ledger(ledger_path, create=False, readonly=True) as ledger:
        assert ledger.verify().ok
        with pytest.raises((LedgerError, sqlite3.DatabaseError)):
            ledger.append([make_entry(99)])


def test_entry_payload_is_canonical_json_and_refuses_floats():
    import datetime as dt

    from budgetpolicy.model import FrozenMap, ScoreLine

    value = {"b": (Decimal("1.50"), Decimal("2E+3")), "a": FrozenMap({"z": 1, "y": dt.date(2026, 1, 5)}),
             "line": ScoreLine("impact", "rubric", Decimal("0.4"), Decimal("0.5"), Decimal("0.2")),
             "flag": True, "none": None}
    entry = LedgerEntry.of("note", "I", None, "p", "1", "a" * 64, "t", value)
    assert entry.payload == canonical_json(value)
    assert entry.payload == json.dumps(json.loads(entry.payload), ensure_ascii=False, separators=(",", ":"),
                                       sort_keys=True)
    assert entry.payload.startswith('{"a":{"y":"2026-01-05","z":1},"b":["1.50","2000"]')
    with pytest.raises(LedgerError, match="BP805.*floats"):
        LedgerEntry.of("note", "I", None, "p", "1", "a" * 64, "t", {"x": [1.5]})
    prov = Provenance("acme", "1", "c" * 64, "d" * 64, "0.1.0")
    with pytest.raises(LedgerError, match="BP805.*cannot be recorded"):
        entry_for_decision(Decision("I", "approved", Decimal(0), Decimal(0), provenance=prov), {"cost": 0.5})


def test_append_checked_reads_and_appends_in_one_transaction(ledger_path):
    seen = []

    def entries():
        with Ledger(ledger_path, create=False, timeout=0.05) as other:  # the lock is held: nobody else writes
            with pytest.raises(LedgerError) as busy:
                other.append([make_entry(99)])
            assert busy.value.diagnostics[0].code == "BP804"
        seen.append(len(list(ledger.iter_records(kind="decision"))))
        return [make_entry(11)]

    with Ledger(ledger_path) as ledger:
        assert ledger.append_checked(entries) == [12]
        assert seen == [10] and ledger.verify().ok


def test_append_checked_that_raises_leaves_the_file_byte_identical(ledger_path):
    before = hashlib.sha256(ledger_path.read_bytes()).hexdigest()

    def refuse():
        raise LedgerError("no", code="BP850")

    with Ledger(ledger_path, create=False) as ledger:
        with pytest.raises(LedgerError):
            ledger.append_checked(refuse)
        assert ledger.append_checked(lambda: []) == []
    assert hashlib.sha256(ledger_path.read_bytes()).hexdigest() == before


def test_records_newest_first_and_from_a_seq(ledger_path):
    with Ledger(ledger_path, create=False, readonly=True) as ledger:
        assert [r.seq for r in ledger.iter_newest_first()] == list(range(11, 0, -1))
        assert [r.seq for r in ledger.iter_records_from(9)] == [9, 10, 11]
