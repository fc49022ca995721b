"""Real crashes and real concurrency: SIGKILLed writers and eight writers at once (no mocks).

A writer (ledger_writer.py) reports each batch on a side file only after
append() returned, so a batch on the side file is a batch the ledger promised
to keep. After every kill: the ledger verifies, every reported batch is
there whole, and no batch is there in part.
"""

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

WRITER = Path(__file__).with_name("ledger_writer.py")
BATCH = 20


def _start(ledger: Path, side: Path, writer: str, batches: int, go: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, str(WRITER), str(ledger), str(side), writer, str(BATCH), str(batches)]
    return subprocess.Popen(args + ([str(go)] if go else []), stdout=subprocess.PIPE, text=True)


def _batches_in_ledger(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT json_extract(payload, '$.batch'), COUNT(*) FROM records "
                                 "GROUP BY 1").fetchall())
    finally:
        conn.close()


def _wait_for_first_batch(side: Path, prefix: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if side.exists() and any(line.startswith(prefix) for line in side.read_text().split()):
            return
        time.sleep(0.001)
    raise AssertionError(f"writer {prefix} committed nothing within {timeout}s")


def test_sigkill_during_appends_never_loses_or_splits_a_batch(tmp_path):
    ledger, side = tmp_path / "crash.db", tmp_path / "committed.txt"
    rng = random.Random(20260105)
    trials, killed_mid_run = 60, 0
    started = time.monotonic()
    for trial in range(trials):
        proc = _start(ledger, side, f"t{trial}", batches=10_000)
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0, 0.02))  # sometimes kill while it is still opening / creating the schema
        else:
            assert proc.stdout.readline() == "ready\n"
            _wait_for_first_batch(side, f"t{trial}-")  # so the kill lands mid-run even on a loaded machine
            time.sleep(rng.uniform(0.0, 0.03))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        if not ledger.exists():
            continue
        with Ledger(ledger, create=False) as opened:
            report = opened.verify()
        assert report.ok, f"trial {trial}: {report.describe()}"
        present = _batches_in_ledger(ledger)
        reported = side.read_text().split() if side.exists() else []
        assert all(present.get(b) == BATCH for b in reported), f"trial {trial}: a reported batch is missing"
        partial = {b: n for b, n in present.items() if n != BATCH}
        assert not partial, f"trial {trial}: partial batches {partial}"
        killed_mid_run += any(b.startswith(f"t{trial}-") for b in present)
    assert time.monotonic() - started < 90
    # Most trials must have been killed while writing, or the test proves little.
    assert killed_mid_run >= trials // 2
    with Ledger(ledger, create=False) as opened:
        assert len(opened) == sum(_batches_in_ledger(ledger).values())


def test_eight_concurrent_writers_lose_nothing(tmp_path):
    ledger, go = tmp_path / "shared.db", tmp_path / "go"
    writers, batches = 8, 25  # 8 x 25 batches x 20 records = 4,000 records, all racing from an empty file
    procs = [_start(ledger, tmp_path / f"side{w}", f"w{w}", batches, go) for w in range(writers)]
    for proc in procs:
        assert proc.stdout.readline() == "ready\n"
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=120) == 0
        proc.stdout.close()
    with Ledger(ledger, create=False) as opened:
        report = opened.verify()
        assert report.ok and report.records == writers * batches * BATCH
        per_writer: dict[str, list[int]] = {}
        for record in opened.iter_records():
            payload = record.entry.data()
            per_writer.setdefault(payload["writer"], []).append(payload["i"])
    assert sorted(per_writer) == [f"w{w}" for w in range(writers)]
    assert all(len(items) == batches * BATCH for items in per_writer.values())
    # Batches are contiguous: each writer's records come in whole runs of 0..BATCH-1.
    assert all(items == list(range(BATCH)) * batches for items in per_writer.values())
    assert all(len((tmp_path / f"side{w}").read_text().split()) == batches for w in range(writers))
