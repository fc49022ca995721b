"""Damaged or hostile ledgers get one typed, located line (BP82x), never an internal error, and are left
byte for byte as they were. ``verify`` reports damage as a finding (exit 1); other commands refuse (exit 2).
"""

from __future__ import annotations

import hashlib
import os

import pytest
from audit_helpers import raw
from test_checkpoints import rechain

from budgetpolicy.audit.storage import SqliteEventStore
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.cli import main
from budgetpolicy.errors import LedgerError

from audit_helpers import make_entry


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path) -> str:
    """The ledger's content: the file and its write-ahead log (a reader may leave an empty one beside it)."""
    wal = path.with_name(path.name + "-wal")
    return hashlib.sha256(path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).hexdigest()


def edit(path, *statements):
    conn = raw(path)
    for statement in statements:
        conn.execute(statement)
    conn.close()  # the last connection folds the -wal into the file: the file alone is then the ledger


def head_count_abc(path):
    edit(path, "UPDATE meta SET value = 'abc' WHERE key = 'head_count'")


def records_dropped(path):
    edit(path, "DROP TABLE records")


def garbled_page(path):
    data = path.read_bytes()
    page = data.index(b"INI-005") // 8192 * 8192  # the page holding record 6's row: its b-tree header garbled
    with open(path, "r+b") as handle:
        handle.seek(page)
        handle.write(bytes((i * 7 + 3) % 256 for i in range(512)))


def lone_surrogate(path):  # \ud800 as the bytes a non-UTF-8 writer would store (ED A0 80)
    edit(path, "UPDATE records SET payload = CAST(X'7B2261223A22EDA080227D' AS TEXT) WHERE seq = 6")


def not_json(path):  # a consistent rewrite: the chain is recomputed over a payload that is not JSON
    conn = raw(path)
    conn.execute("UPDATE records SET payload = 'not json {' WHERE seq = 5")
    rechain(conn, 5)
    conn.close()


CASES = {
    # name: (damage, verify's line (exit 1 unless None), another command's line (exit 2))
    "head_count": (head_count_abc, "DAMAGED: BP822 the ledger's meta head_count 'abc' is not a record count",
                   "BP822 error: the ledger's meta head_count 'abc' is not a record count"),
    "dropped": (records_dropped, None, "BP822 error: '{path}' is damaged: its records table is missing"),
    "garbled": (garbled_page, "DAMAGED: ", "BP822 error: "),
    "surrogate": (lone_surrogate, "DAMAGED: record 6: BP823 its payload is not valid UTF-8 text (a lone surrogate "
                                  "or a garbled byte): it was written outside budgetpolicy",
                  "record 6: BP823 error: its payload is not valid UTF-8 text"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_damaged_ledger_is_one_typed_line_and_stays_unchanged(ledger_path, capsys, name):
    damage, verify_line, other_line = CASES[name]
    damage(ledger_path)
    before = sha(ledger_path)
    code, out, err = run(capsys, "ledger", "verify", ledger_path)
    if verify_line is None:  # the file is no ledger any more: unreadable, exit 2
        assert code == 2 and out == "" and err.count("\n") == 1
        assert other_line.format(path=ledger_path) in err
    else:
        assert code == 1 and err == "" and out.count("\n") == 1, (out, err)
        assert out.startswith(f"{ledger_path}: {verify_line}"), out
    for argv in (("ledger", "export", ledger_path), ("ledger", "checkpoint", ledger_path),
                 ("replay", "--ledger", ledger_path)):
        code, out, err = run(capsys, *argv)
        if name == "head_count" and argv[1] == "export":
            assert code == 0  # an export reads the records, which are intact, not the head
            continue
        assert code in (1, 2) and "internal error" not in err and err.count("\n") == 1, (argv, code, err)
        assert "BP82" in err and str(ledger_path) in err, (argv, err)
    assert sha(ledger_path) == before


def test_a_payload_that_is_not_json_names_the_record_for_replay_and_export(ledger_path, capsys):
    not_json(ledger_path)
    before = sha(ledger_path)
    code, out, err = run(capsys, "replay", "--ledger", ledger_path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"{ledger_path}: record 5: BP824 error: record 5's payload is not JSON")
    code, out, err = run(capsys, "ledger", "export", ledger_path, "--format", "csv")
    assert code == 2 and err.startswith(f"{ledger_path}: BP824 error: a decision record of INI-004 holds a payload")
    assert sha(ledger_path) == before


def test_a_full_disk_is_bp820_not_locked(tmp_path):
    """SQLite's own SQLITE_FULL, reached by capping the file at its current size (no mock)."""
    path = tmp_path / "full.db"
    with Ledger(path) as ledger:
        ledger.append([make_entry(1)])
    store = SqliteEventStore(path)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    with Ledger(store) as ledger, pytest.raises(LedgerError) as caught:
        ledger.append([make_entry(i) for i in range(2, 200)])
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "BP820" and "the disk is full" in diagnostic.message
    assert "free space" in diagnostic.hint
    with Ledger(path, create=False, readonly=True) as ledger:
        assert len(ledger) == 1 and ledger.verify().ok


def test_locked_stays_bp804_with_its_own_hint(tmp_path):
    path = tmp_path / "locked.db"
    with Ledger(path) as ledger:
        ledger.append([make_entry(1)])
    holder = SqliteEventStore(path)
    holder.conn.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(path, timeout=0.2) as ledger, pytest.raises(LedgerError) as caught:
            ledger.append([make_entry(2)])
    finally:
        holder.conn.execute("ROLLBACK")
        holder.close()
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "BP804" and "another process may hold it" in diagnostic.hint
