"""Checkpoints against honest growth, rewrite, truncation, fork and a lost batch, through the CLI.

The fixture ledger (conftest): record 1 registers the example policy, records 2-11 are decisions.
Every check also asserts that verifying left the ledger file byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from audit_helpers import make_entry, raw
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from budgetpolicy.audit.chain import record_hash
from budgetpolicy.audit.checkpoint import parse_checkpoint
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.notekeys import sign
from budgetpolicy.cli import main


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def checkpoint(capsys, ledger: Path, out: Path, *extra: str) -> Path:
    code, _, err = cli(capsys, "ledger", "checkpoint", ledger, "-o", out, *extra)
    assert code == 0, err
    return out


def verify(capsys, ledger: Path, *extra: str) -> tuple[int, str, str]:
    before = sha(ledger)
    result = cli(capsys, "ledger", "verify", ledger, *extra)
    assert sha(ledger) == before
    return result


def grow(path: Path, first: int, count: int) -> None:
    with Ledger(path) as ledger:
        ledger.append([make_entry(i) for i in range(first, first + count)])


@pytest.fixture
def keys(tmp_path):
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "key.pem", tmp_path / "pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_a_checkpoint_is_c2sp_text_and_honest_growth_passes(ledger_path, tmp_path, capsys, keys):
    cp1 = checkpoint(capsys, ledger_path, tmp_path / "cp1", "--key", keys[0], "--origin", "example.org/ledger")
    text = cp1.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[:2] == ["example.org/ledger", "11"] and lines[3] == "" and lines[4].startswith("\u2014 example.org/ledger ")
    parsed = parse_checkpoint(text)
    with Ledger(ledger_path, create=False, readonly=True) as ledger:
        assert parsed.root == ledger.verify().root
    grow(ledger_path, 11, 5)
    cp2 = checkpoint(capsys, ledger_path, tmp_path / "cp2", "--key", keys[0], "--origin", "example.org/ledger")
    code, out, _ = verify(capsys, ledger_path, "--checkpoint", cp1, "--checkpoint", cp2, "--key", keys[1])
    assert code == 0, out
    assert f"checkpoint {cp1} (size 11): consistent, the ledger extends it by 5 records" in out
    assert f"checkpoint {cp2} (size 16): consistent, the ledger is at it" in out


def test_the_same_ledger_gives_the_same_checkpoint_bytes(ledger_path, tmp_path, capsys, keys):
    a = checkpoint(capsys, ledger_path, tmp_path / "a", "--key", keys[0]).read_bytes()
    b = checkpoint(capsys, ledger_path, tmp_path / "b", "--key", keys[0]).read_bytes()
    assert a == b and a.startswith(b"budgetpolicy/ledger.db\n11\n")


def test_an_old_head_after_honest_growth_is_not_called_rewritten(ledger_path, capsys):
    with Ledger(ledger_path, create=False) as ledger:
        _, head = ledger.head()
    grow(ledger_path, 11, 3)
    code, out, _ = verify(capsys, ledger_path, "--expect-head", head)
    assert code == 0
    assert "the expected head is record 11's hash: records 1 to 11 are unchanged; 3 records follow it" in out
    conn = raw(ledger_path)
    conn.execute("UPDATE records SET payload = replace(payload, '1010', '9010') WHERE seq = 11")  # rewrite 11...
    rechain(conn, 11)  # ...and recompute the chain after it, consistently
    code, out, _ = verify(capsys, ledger_path, "--expect-head", head)
    assert code == 1
    assert f"BP816 the expected head {head} is not the hash of any record in this ledger" in out


def rechain(conn, first: int) -> None:
    """Recompute every hash from record ``first`` on and the head: a consistent rewrite."""
    from budgetpolicy.audit.entry import LedgerEntry

    prev = conn.execute("SELECT hash FROM records WHERE seq = ?", (first - 1,)).fetchone()[0]
    rows = conn.execute("SELECT seq, kind, initiative_id, period, policy_id, policy_version, policy_sha256, "
                        "evaluated_at, payload FROM records WHERE seq >= ? ORDER BY seq", (first,)).fetchall()
    for row in rows:
        digest = record_hash(prev, row[0], LedgerEntry(*row[1:]))
        conn.execute("UPDATE records SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0]))
        prev = digest
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))


def test_a_consistent_rewrite_fails_the_checkpoint_and_is_placed_between_checkpoints(ledger_path, tmp_path, capsys):
    cp1 = checkpoint(capsys, ledger_path, tmp_path / "cp1")
    grow(ledger_path, 11, 5)
    cp2 = checkpoint(capsys, ledger_path, tmp_path / "cp2")
    conn = raw(ledger_path)
    conn.execute("UPDATE records SET payload = replace(payload, '\"approved\"', '\"rejected\"') WHERE seq = 14")
    rechain(conn, 14)
    code, out, _ = verify(capsys, ledger_path)
    assert code == 0  # the chain alone cannot see a consistent rewrite...
    code, out, _ = verify(capsys, ledger_path, "--checkpoint", cp1, "--checkpoint", cp2)
    assert code == 1  # ...the checkpoint does, and the one before it bounds where
    assert (f"TAMPERED: BP828 the root of the first 16 records differs from checkpoint {cp2}: history was "
            "rewritten, or this ledger is a fork of the one checkpointed; the first changed record is among "
            "records 12 to 16 (records 1 to 11 still match an earlier checkpoint)") in out


def test_truncation_fails_the_checkpoint_naming_the_first_missing_record(ledger_path, tmp_path, capsys):
    cp = checkpoint(capsys, ledger_path, tmp_path / "cp")
    conn = raw(ledger_path)
    conn.execute("DELETE FROM records WHERE seq > 8")
    conn.execute("UPDATE meta SET value = '8' WHERE key = 'head_count'")
    rechain(conn, 9)  # the head hash only: records 9.. are gone
    conn.execute("UPDATE meta SET value = (SELECT hash FROM records WHERE seq = 8) WHERE key = 'head_hash'")
    conn.close()
    assert verify(capsys, ledger_path)[0] == 0
    code, out, _ = verify(capsys, ledger_path, "--checkpoint", cp)
    assert code == 1
    assert (f"TAMPERED: record 9: BP827 checkpoint {cp} records 11 records but the ledger holds 8: records 9 to 11 "
            "are gone (truncated, or a committed batch was lost)") in out


def test_a_fork_fails_the_other_branch_checkpoint(ledger_path, tmp_path, capsys):
    fork = tmp_path / "fork.db"
    shutil.copy(ledger_path, fork)
    grow(ledger_path, 11, 3)
    with Ledger(fork) as ledger:
        ledger.append([make_entry(i, outcome="rejected") for i in range(11, 14)])
    cp = checkpoint(capsys, ledger_path, tmp_path / "cp")
    code, out, _ = verify(capsys, fork, "--checkpoint", cp)
    assert code == 1 and "BP828 the root of the first 14 records differs" in out and "fork" in out


def test_a_lost_batch_is_caught_against_a_checkpoint(tmp_path, capsys):
    """A writer's last batch is still in its -wal; a copy made with the -wal cut back loses exactly that
    batch, and the copy's own head agrees, so only a checkpoint taken after the batch sees it."""
    live = tmp_path / "live.db"
    with Ledger(live) as writer:
        writer.append([make_entry(i) for i in range(1, 45)])
        wal_before = (tmp_path / "live.db-wal").stat().st_size
        writer.append([make_entry(i) for i in range(45, 89)])
        cp = checkpoint(capsys, live, tmp_path / "cp")
        copy = tmp_path / "copy"
        copy.mkdir()
        shutil.copy(live, copy / "live.db")
        (copy / "live.db-wal").write_bytes((tmp_path / "live.db-wal").read_bytes()[:wal_before])
    code, out, _ = cli(capsys, "ledger", "verify", copy / "live.db")
    assert code == 0 and "OK: 44 records" in out
    code, out, _ = cli(capsys, "ledger", "verify", copy / "live.db", "--checkpoint", cp)
    assert code == 1 and "record 45: BP827" in out and "records 45 to 88 are gone" in out


def test_signatures_by_another_key_or_of_an_altered_checkpoint_fail(ledger_path, tmp_path, capsys, keys):
    cp = checkpoint(capsys, ledger_path, tmp_path / "cp", "--key", keys[0])
    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    code, out, _ = verify(capsys, ledger_path, "--checkpoint", cp, "--key", other)
    assert code == 1 and f"BAD SIGNATURE: BP829 checkpoint {cp} has no signature by the key in {other}" in out
    grow(ledger_path, 11, 1)
    text = cp.read_text(encoding="utf-8")
    forged = tmp_path / "forged"
    with Ledger(ledger_path, create=False) as ledger:
        root = __import__("base64").b64encode(ledger.verify().root).decode()
    forged.write_text(text.replace("\n11\n", "\n12\n").replace(text.split("\n")[2], root), encoding="utf-8")
    code, out, _ = verify(capsys, ledger_path, "--checkpoint", forged, "--key", keys[1])
    assert code == 1 and "does not verify with the key" in out and "altered after it was signed" in out


@pytest.mark.parametrize(("content", "message"), [
    ("budgetpolicy/x\n11\n", "BP825 error: not a checkpoint: no blank line after the root hash"),
    ("budgetpolicy/x\neleven\nAAAA\n\n", "BP825 error: not a checkpoint: the tree size 'eleven' is not a decimal number"),
    ("budgetpolicy/x\n11\nAAAA\n\n", "BP825 error: not a checkpoint: the root hash is not 32 bytes of base64"),
])
def test_a_bad_checkpoint_file_is_one_located_line_exit_2(ledger_path, tmp_path, capsys, content, message):
    bad = tmp_path / "bad"
    bad.write_text(content, encoding="utf-8")
    code, out, err = verify(capsys, ledger_path, "--checkpoint", bad)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"{bad}:") and message in err


def test_bad_keys_and_a_bad_expected_head_are_usage_errors(ledger_path, tmp_path, capsys):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key\n", encoding="utf-8")
    code, out, err = cli(capsys, "ledger", "checkpoint", ledger_path, "--key", junk)
    assert code == 2 and out == "" and err.count("\n") == 1 and f"{junk}: BP826 error: key '{junk}'" in err
    code, _, err = cli(capsys, "ledger", "verify", ledger_path, "--expect-head", "abc")
    assert code == 2 and "--expect-head 'abc': not a record hash" in err
    code, _, err = cli(capsys, "ledger", "checkpoint", ledger_path, "--origin", "has space")
    assert code == 2 and "BP825" in err


def test_a_tampered_ledger_gets_no_checkpoint(ledger_path, tmp_path, capsys):
    raw(ledger_path).execute("UPDATE records SET payload = replace(payload, '1003', '9003') WHERE seq = 4")
    code, out, err = cli(capsys, "ledger", "checkpoint", ledger_path, "-o", tmp_path / "cp")
    assert code == 1 and out == "" and "TAMPERED: record 4: BP810" in err and "no checkpoint issued" in err
    assert not (tmp_path / "cp").exists()


def test_the_signed_note_vector_of_the_go_reference_is_reproduced():
    """golang.org/x/mod/sumdb/note: the PeterNeumann key signs its note to the published signature."""
    import base64

    from budgetpolicy.audit.checkpoint import TreeCheckpoint

    seed = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"

    class Note(TreeCheckpoint):  # the note's body is not a checkpoint's; only the signing rule is under test
        def body(self) -> str:
            return text

    signed = sign(Note("o", 0, b"\0" * 32), key, "PeterNeumann")
    assert signed.signatures[0].line() == ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
                                           "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
    from budgetpolicy.audit.notekeys import verifier_key
    assert verifier_key("PeterNeumann", key.public_key()) == \
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


def test_unknown_policy_sha_and_the_stored_text(ledger_path, capsys, example_policy):
    code, out, _ = cli(capsys, "ledger", "policy", ledger_path, example_policy.source.sha256[:12])
    assert code == 0 and out == example_policy.source.text
    code, out, err = cli(capsys, "ledger", "policy", ledger_path, "0" * 64)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "BP806" in err and f"'budgetpolicy ledger show {ledger_path} --kind policy'" in err


def test_subprocess_checkpoint_goes_to_stdout(ledger_path):
    import sys
    done = subprocess.run([sys.executable, "-m", "budgetpolicy", "ledger", "checkpoint", str(ledger_path)],
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0 and done.stdout.startswith("budgetpolicy/ledger.db\n11\n") and done.stdout.endswith("=\n\n")
