"""The initiative index (schema version 2): segmented lookups, and the upgrade from version 1.

The index is keyed by (seq >> SEGMENT_BITS, initiative_id) so appends touch only the
current segment's pages; a lookup searches it once per segment. These tests pin down
that lookups still return exactly one initiative's records in chain order, across
segment boundaries and with other filters, that they use the index, and that a
version-1 ledger is read as it is and upgraded (index only) when opened for writing.
"""

from __future__ import annotations

import sqlite3

from audit_helpers import make_entry

from budgetpolicy.audit.ledger import SCHEMA_VERSION, SEGMENT_BITS, Ledger, LedgerEntry
from budgetpolicy.audit.storage import upgrade

SEGMENT = 1 << SEGMENT_BITS


def tiny(initiative_id: str, kind: str = "decision") -> LedgerEntry:
    return LedgerEntry.of(kind, initiative_id, None, "acme", "2026.1", "a" * 64, "2026-01-05T09:00:00+00:00", {})


def index_names(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL")}
    finally:
        conn.close()


def plans(ledger: Ledger, **filters: str) -> tuple[list[int], list[str]]:
    """The seqs a filtered read returns, and the plan of every SELECT it ran by initiative."""
    statements: list[str] = []
    conn = ledger.storage.conn
    conn.set_trace_callback(statements.append)  # the statements with their values bound
    try:
        seqs = [record.seq for record in ledger.iter_records(**filters)]
    finally:
        conn.set_trace_callback(None)
    details = [row[3] for sql in statements if sql.startswith("SELECT") and "initiative_id =" in sql
               for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return seqs, details


def test_lookups_cross_segment_boundaries_in_chain_order(tmp_path):
    path = tmp_path / "ledger.db"
    # INI-X at the first seq, the last of segment 0, the first of segment 1 and in segment 2;
    # a review of INI-X between them; everything else another initiative.
    wanted = {1: "decision", SEGMENT - 1: "decision", SEGMENT: "decision",
              SEGMENT + 5: "review", 2 * SEGMENT + 3: "decision"}
    last = 2 * SEGMENT + 10
    with Ledger(path, durable=False) as ledger:
        for start in range(1, last + 1, 20_000):
            ledger.append([tiny("INI-X", wanted[seq]) if seq in wanted else tiny(f"OTHER-{seq % 7}")
                           for seq in range(start, min(start + 20_000, last + 1))])
        assert ledger.head()[0] == last
        seqs, details = plans(ledger, initiative_id="INI-X")
        assert seqs == sorted(wanted)
        assert [r.entry.kind for r in ledger.iter_records(initiative_id="INI-X")] == [wanted[s] for s in sorted(wanted)]
        assert [r.seq for r in ledger.iter_records(initiative_id="INI-X", kind="review")] == [SEGMENT + 5]
        assert list(ledger.iter_records(initiative_id="INI-NONE")) == []
        # One search of the segmented index per segment; never a scan of the records.
        assert len(details) == 3
        assert all("USING INDEX records_by_segment_initiative" in d for d in details), details
        assert ledger.verify().ok


def test_lookup_on_an_empty_ledger(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        assert list(ledger.iter_records(initiative_id="INI-001")) == []


def make_version_1(path) -> None:
    """Turn a fresh ledger into the version-1 layout: a plain index on initiative_id."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP INDEX records_by_segment_initiative")
    conn.execute("CREATE INDEX records_by_initiative ON records (initiative_id)")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()


def test_version_1_ledger_is_read_as_is_and_upgraded_when_opened_for_writing(ledger_path):
    before = Ledger(ledger_path, readonly=True)
    head, history = before.head(), [r.seq for r in before.iter_records(initiative_id="INI-004")]
    before.close()
    make_version_1(ledger_path)

    with Ledger(ledger_path, create=False, readonly=True) as old:
        seqs, details = plans(old, initiative_id="INI-004")
        assert seqs == history == [5]
        assert any("USING COVERING INDEX records_by_initiative" in d or "USING INDEX records_by_initiative " in d
                   for d in details), details
        assert old.storage.meta("schema_version") == "1"
    assert index_names(ledger_path) == {"records_by_initiative"}

    with Ledger(ledger_path, create=False) as upgraded:
        assert upgraded.storage.meta("schema_version") == str(SCHEMA_VERSION) == "2"
        assert upgraded.head() == head  # records and hashes untouched
        assert upgraded.verify().ok
        upgraded.append([make_entry(4)])
        assert [r.seq for r in upgraded.iter_records(initiative_id="INI-004")] == [5, 12]
    assert index_names(ledger_path) == {"records_by_segment_initiative"}


def test_upgrade_twice_is_harmless(ledger_path):
    """Two writers may both see version 1 before one takes the lock: the second finds nothing to do."""
    make_version_1(ledger_path)
    conn = sqlite3.connect(ledger_path, isolation_level=None)
    for _ in range(2):
        conn.execute("BEGIN IMMEDIATE")
        upgrade(conn)
        conn.execute("COMMIT")
    conn.close()
    assert index_names(ledger_path) == {"records_by_segment_initiative"}
    with Ledger(ledger_path, create=False, readonly=True) as ledger:
        assert ledger.storage.meta("schema_version") == "2"
        assert [r.seq for r in ledger.iter_records(initiative_id="INI-004")] == [5]
