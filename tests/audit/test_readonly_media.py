"""A ledger on read-only media (an archived copy, a read-only mount) opens read-only and verifies.

A SQLite reader of a WAL-mode file needs its ``-shm`` index, which it cannot create on a read-only
filesystem, and a ledger closed cleanly has none: before, ``ledger verify`` on such a copy failed with
BP802 "unable to open database file". The tests mount a directory read-only in a private mount
namespace (``unshare -m``, which needs root or user namespaces) and read it from a child process
there; where that is not possible they are skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from budgetpolicy.audit.ledger import Ledger

from audit_helpers import make_entry

READER = """
import json, sys
from budgetpolicy.audit.ledger import Ledger, LedgerEntry
from budgetpolicy.errors import LedgerError
out = {}
try:
    with Ledger(sys.argv[1], create=False, readonly=True) as ledger:
        report = ledger.verify()
        out.update(ok=report.ok, records=report.records, head=list(ledger.head()),
                   history=[r.seq for r in ledger.iter_records(initiative_id="INI-004")])
        try:
            ledger.append([LedgerEntry.of("note", "I", None, "a", "1", "a" * 64, "t", {})])
        except LedgerError as exc:
            out["append"] = exc.diagnostics[0].code
except LedgerError as exc:
    out.update(open=exc.diagnostics[0].code, message=str(exc))
print(json.dumps(out))
"""


def read_on_a_read_only_mount(media: Path) -> dict:
    """What READER finds reading ``media/ledger.db`` through a read-only bind mount of ``media``."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a directory read-only")
    view = media.with_name("view")
    view.mkdir()
    script = (f'mount --bind "{media}" "{view}" && mount -o remount,bind,ro "{view}" && '
              f'! touch "{view}/probe" 2>/dev/null && exec "{sys.executable}" -c "$0" "{view}/ledger.db"')
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, READER], capture_output=True, text=True,
                          timeout=60)
    if not done.stdout.strip():
        pytest.skip(f"cannot mount a directory read-only here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_cleanly_closed_ledger_on_read_only_media_is_read_and_verified(ledger_path, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(ledger_path, media / "ledger.db")  # closed: no -wal and no -shm beside it
    with Ledger(ledger_path, create=False, readonly=True) as original:
        head = list(original.head())
    found = read_on_a_read_only_mount(media)
    assert found == {"ok": True, "records": 11, "head": head, "history": [5], "append": "BP804"}
    assert sorted(p.name for p in media.iterdir()) == ["ledger.db"]


def test_a_write_ahead_log_on_read_only_media_is_refused_not_ignored(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    with Ledger(tmp_path / "live.db") as writer:  # open: its last batch is still in the -wal
        writer.append([make_entry(i) for i in range(1, 4)])
        shutil.copy(tmp_path / "live.db", media / "ledger.db")
        shutil.copy(tmp_path / "live.db-wal", media / "ledger.db-wal")
    found = read_on_a_read_only_mount(media)
    assert found["open"] == "BP802" and "ledger.db-wal" in found["message"], found


CLI = """
import json, subprocess, sys
view = sys.argv[1]
bp = [sys.executable, "-m", "budgetpolicy"]
out = {}
for name, argv in (("verify", ["ledger", "verify", f"{view}/ledger.db"]),
                   ("export", ["ledger", "export", f"{view}/ledger.db"]),
                   ("checkpoint", ["ledger", "checkpoint", f"{view}/ledger.db"]),
                   ("prove", ["ledger", "prove", f"{view}/ledger.db", "3", "--checkpoint", f"{view}/cp"]),
                   ("replay", ["replay", "--ledger", f"{view}/ledger.db"]),
                   ("write", ["evaluate", "--policy", sys.argv[2], "--initiatives", sys.argv[3],
                              "--ledger", f"{view}/ledger.db", "--format", "csv"])):
    done = subprocess.run(bp + argv, capture_output=True, text=True)
    out[name] = [done.returncode, done.stdout[:600], done.stderr]
print(json.dumps(out))
"""


def test_the_cli_verifies_exports_proves_and_replays_a_ledger_on_read_only_media(tmp_path):
    """Through the CLI, as root too: a read-only bind mount stops root's writes where chmod does not."""
    from audit_helpers import ROOT

    from budgetpolicy.cli import main

    media = tmp_path / "media"
    media.mkdir()
    policy, initiatives = ROOT / "policies" / "acme-2026.toml", ROOT / "policies" / "acme-2026.initiatives.csv"
    assert main(["evaluate", "--policy", str(policy), "--initiatives", str(initiatives), "--ledger",
                 str(media / "ledger.db"), "--evaluated-at", "2026-01-15T09:00:00+00:00", "-o", str(tmp_path / "x")]) == 0
    assert main(["ledger", "checkpoint", str(media / "ledger.db"), "-o", str(media / "cp")]) == 0
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a directory read-only")
    before = {p.name: p.read_bytes() for p in media.iterdir()}
    view = media.with_name("view")
    view.mkdir()
    script = (f'mount --bind "{media}" "{view}" && mount -o remount,bind,ro "{view}" && '
              f'! touch "{view}/probe" 2>/dev/null && exec "{sys.executable}" -c "$0" "{view}" "{policy}" "{initiatives}"')
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, CLI], capture_output=True, text=True, timeout=300)
    if not done.stdout.strip():
        pytest.skip(f"cannot mount a directory read-only here: {done.stderr.strip()[:200]}")
    found = json.loads(done.stdout)
    assert found["verify"][0] == 0 and "OK: 45 records" in found["verify"][1]
    assert found["export"][0] == 0 and found["export"][1].startswith('{"seq":1,')
    assert found["checkpoint"][0] == 0 and found["checkpoint"][1] == (media / "cp").read_text(encoding="utf-8")
    assert found["prove"][0] == 0 and '"leaf_index": 2,' in found["prove"][1]
    assert found["replay"][0] == 0 and "44 of 44 reproduced (100%)" in found["replay"][1]
    code, _, err = found["write"]
    err = "".join(line for line in err.splitlines(keepends=True) if "BP677 warning" not in line)  # the example's gaps
    assert code == 2 and err.count("\n") == 1 and "BP821 error: cannot write ledger" in err, err
    assert {p.name: p.read_bytes() for p in media.iterdir()} == before  # nothing written, byte for byte
