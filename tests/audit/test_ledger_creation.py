"""A new ledger file appears whole (issue #18's kill finding): the schema is committed in a temporary
file and hard-linked into place, so a kill at any moment leaves no ledger or a complete empty one, never
a SQLite file without the ledger's tables (which `verify` had to call BP802)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.storage import _create_in_place

# Creates ledgers one after another (l0.db, l1.db, ...) until killed: a kill lands mid-creation.
CREATOR = """
import sys
from budgetpolicy.audit.ledger import Ledger
print("ready", flush=True)
n = 0
while True:
    Ledger(f"{sys.argv[1]}/l{n}.db").close()
    n += 1
"""


def test_a_new_ledger_is_complete_with_its_settings_and_nothing_left_beside_it(tmp_path):
    path = tmp_path / "new.db"
    Ledger(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA page_size").fetchone() == (8192,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} >= \
        {"meta", "records", "policies"}
    conn.close()
    assert Ledger(path, create=False, readonly=True).verify().ok
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("new.db")) == []


def test_creating_over_a_ledger_another_process_made_keeps_it(tmp_path):
    path = tmp_path / "l.db"
    with Ledger(path) as first:
        head = first.checkpoint()
    before = path.read_bytes()
    _create_in_place(str(path))  # as a second creator that lost the race would
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir() if ".new-" in p.name] == []
    with Ledger(path) as again:
        assert again.checkpoint() == head


def test_a_kill_during_creation_never_leaves_a_file_without_the_schema(tmp_path):
    rng = random.Random(18)
    for trial in range(6):
        where = tmp_path / f"t{trial}"
        where.mkdir()
        child = subprocess.Popen([sys.executable, "-c", CREATOR, str(where)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.05, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        ledgers = sorted(p for p in where.iterdir() if p.suffix == ".db")
        assert ledgers, "the creator made no ledger before the kill"
        for path in ledgers:  # each one there opens read-only as a ledger and verifies
            with Ledger(path, create=False, readonly=True) as ledger:
                assert ledger.verify().ok, path
