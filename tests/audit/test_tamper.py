"""verify() finds every kind of tampering and names the first bad record and what happened.

Each case edits the file the way an attacker with sqlite3 would (triggers
dropped first). The fixture ledger: record 1 registers the example policy,
records 2-11 are decisions.
"""

from __future__ import annotations

import subprocess
import sys

from audit_helpers import raw

from budgetpolicy.audit.chain import record_hash
from budgetpolicy.audit.entry import LedgerEntry
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.cli import main


def verify(path):
    with Ledger(path, create=False, readonly=True) as ledger:
        return ledger.verify()


def test_untouched_ledger_verifies(ledger_path):
    report = verify(ledger_path)
    assert (report.ok, report.records, report.policies, report.first_bad) == (True, 11, 1, None)
    assert report.warnings == ("records refer to policy sha256 aaaaaaaaaaaa but the ledger does not store it",)


def test_edited_payload_field(ledger_path):
    raw(ledger_path).execute("UPDATE records SET payload = replace(payload, '\"approved\"', '\"rejected\"') "
                             "WHERE seq = 5")
    report = verify(ledger_path)
    assert (report.ok, report.first_bad, report.code) == (False, 5, "BP810")
    assert "record 5's content does not match its hash (edited)" == report.problem
    assert report.records == 4


def test_edited_metadata_column(ledger_path):
    raw(ledger_path).execute("UPDATE records SET initiative_id = 'INI-999' WHERE seq = 7")
    report = verify(ledger_path)
    assert (report.first_bad, report.code) == (7, "BP810")


def test_deleted_middle_record(ledger_path):
    raw(ledger_path).execute("DELETE FROM records WHERE seq = 6")
    report = verify(ledger_path)
    assert (report.ok, report.first_bad, report.code) == (False, 6, "BP811")
    assert report.problem == "record 6 missing before record 7 (deleted)"


def test_deleted_and_renumbered(ledger_path):
    conn = raw(ledger_path)
    conn.execute("DELETE FROM records WHERE seq = 6")
    conn.execute("UPDATE records SET seq = seq - 1 WHERE seq > 6")
    report = verify(ledger_path)
    assert (report.first_bad, report.code) == (6, "BP812")
    assert "does not link to record 5" in report.problem


def test_forged_record_appended_with_valid_hash(ledger_path):
    conn = raw(ledger_path)
    prev = conn.execute("SELECT hash FROM records WHERE seq = 11").fetchone()[0]
    fields = ("decision", "INI-666", "2026-Q1", "acme", "2026.1", "a" * 64, "2026-01-05T09:00:00+00:00",
              '{"decision":{"outcome":"approved"}}')
    conn.execute("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 (12, *fields, prev, record_hash(prev, 12, LedgerEntry(*fields))))
    report = verify(ledger_path)
    assert (report.ok, report.first_bad, report.code) == (False, 12, "BP812")
    assert "added outside the ledger" in report.problem and "(inserted)" in report.problem


def test_forged_record_replacing_one_in_the_middle(ledger_path):
    conn = raw(ledger_path)
    prev = conn.execute("SELECT hash FROM records WHERE seq = 4").fetchone()[0]
    fields = ("decision", "INI-004", "2026-Q1", "acme", "2026.1", "a" * 64, "2026-01-05T09:00:00+00:00",
              '{"decision":{"outcome":"approved"}}')
    conn.execute("DELETE FROM records WHERE seq = 5")
    conn.execute("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 (5, *fields, prev, record_hash(prev, 5, LedgerEntry(*fields))))
    report = verify(ledger_path)
    # The forged record is self-consistent; the break shows where the next record links back.
    assert (report.first_bad, report.code) == (6, "BP812")
    assert "record 6 does not link to record 5" in report.problem
    assert "inserted or replaced" in report.problem


def test_reordered_by_swapping_payloads(ledger_path):
    conn = raw(ledger_path)
    a, b = (conn.execute("SELECT payload FROM records WHERE seq = ?", (s,)).fetchone()[0] for s in (4, 5))
    conn.execute("UPDATE records SET payload = ? WHERE seq = 4", (b,))
    conn.execute("UPDATE records SET payload = ? WHERE seq = 5", (a,))
    report = verify(ledger_path)
    assert (report.first_bad, report.code) == (4, "BP810")
    assert report.problem == "record 4 holds the content of record 5 and vice versa: records were reordered"


def test_reordered_by_swapping_whole_rows(ledger_path):
    conn = raw(ledger_path)
    conn.execute("UPDATE records SET seq = -1 WHERE seq = 8")
    conn.execute("UPDATE records SET seq = 8 WHERE seq = 9")
    conn.execute("UPDATE records SET seq = 9 WHERE seq = -1")
    report = verify(ledger_path)
    assert (report.first_bad, report.code) == (8, "BP812")
    assert "record 8 does not link to record 7, but record 9 does: records were reordered" == report.problem


def test_truncated_tail(ledger_path):
    raw(ledger_path).execute("DELETE FROM records WHERE seq > 8")
    report = verify(ledger_path)
    assert (report.ok, report.first_bad, report.code, report.records) == (False, 9, "BP813", 8)
    assert "ends at record 8 but its head records 11" in report.problem
    assert "last 3 records were removed (truncated)" in report.problem


def test_truncated_and_head_rewritten_is_caught_by_the_anchor(ledger_path):
    head = verify(ledger_path).head_hash
    conn = raw(ledger_path)
    conn.execute("DELETE FROM records WHERE seq > 8")
    last = conn.execute("SELECT hash FROM records WHERE seq = 8").fetchone()[0]
    conn.execute("UPDATE meta SET value = '8' WHERE key = 'head_count'")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (last,))
    assert verify(ledger_path).ok  # a consistent rewrite is invisible from inside the file...
    with Ledger(ledger_path, create=False) as ledger:  # ...but not against a head recorded elsewhere
        report = ledger.verify(expect_head=head)
    assert (report.ok, report.code) == (False, "BP816")


def test_edited_policy_text(ledger_path):
    raw(ledger_path).execute("UPDATE policies SET text = replace(text, 'pool = ', 'pool = 1')")
    report = verify(ledger_path)
    assert (report.ok, report.first_bad, report.code) == (False, 1, "BP814")
    assert "acme-people-dev 2026.1" in report.problem and "(edited)" in report.problem


def test_edited_policy_text_with_its_hash_column_updated(ledger_path):
    from budgetpolicy.audit.store import text_sha256

    conn = raw(ledger_path)
    text = conn.execute("SELECT text FROM policies").fetchone()[0] + "\n# a harmless-looking comment\n"
    conn.execute("UPDATE policies SET text = ?, text_sha256 = ?", (text, text_sha256(text)))
    report = verify(ledger_path)
    assert (report.first_bad, report.code) == (1, "BP814")  # the chain still holds the original hash


def test_deleted_policy(ledger_path):
    raw(ledger_path).execute("DELETE FROM policies")
    report = verify(ledger_path)
    assert (report.first_bad, report.code) == (1, "BP815")
    assert "missing from the store (deleted)" in report.problem


def test_cli_verify_exit_codes(ledger_path, capsys):
    assert main(["ledger", "verify", str(ledger_path)]) == 0
    assert "OK: 11 records, 1 policies, chain intact" in capsys.readouterr().out
    raw(ledger_path).execute("DELETE FROM records WHERE seq = 3")
    assert main(["ledger", "verify", str(ledger_path)]) == 1
    assert f"{ledger_path}: TAMPERED: record 3: BP811 record 3 missing before record 4 (deleted)" in \
        capsys.readouterr().out


def test_cli_verify_subprocess_missing_file(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "budgetpolicy", "ledger", "verify", str(tmp_path / "no.db")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "BP801" in proc.stderr and "does not exist" in proc.stderr
