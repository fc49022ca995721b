"""SIGKILL trials during ``evaluate --ledger`` and ``review --ledger`` (part of benchmarks/stress.py).

Each trial starts the real command in its own process and kills it: either at a random moment of its
run, or right after the ledger's write-ahead log is first touched (the moment the transaction writes),
plus a random few milliseconds. After each trial the ledger is checked from outside: ``ledger verify``
exits 0; it grew by nothing or by exactly one whole batch (no partial record); every record seen
before has the same hash (no lost committed record); a run that exited 0 added its whole batch.
Ledgers start afresh every BLOCK trials, so kills also land while a ledger file is being created.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from stress import ROOT, Tally, time_up

from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.cli import main as cli_main

POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
OUTCOMES = ROOT / "policies" / "acme-2026.outcomes.csv"
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3")
BLOCK = 25  # trials per fresh ledger
CODE = re.compile(r"\bBP\d{3}\b")


def cli(*argv: str) -> tuple[int, str, str]:
    """Run ``budgetpolicy ARGV`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "budgetpolicy", *argv]


def _evaluate_argv(ledger: Path) -> list[str]:
    return _command("evaluate", "--policy", str(POLICY), "--initiatives", str(INITIATIVES),
                    "--evaluated-at", "2026-01-15T09:00:00+00:00", "--ledger", str(ledger),
                    "--format", "json", "--output", os.devnull)


def _review_argv(ledger: Path, period: str) -> list[str]:
    return _command("review", "--ledger", str(ledger), "--outcomes", str(OUTCOMES), "--period", period,
                    "--evaluated-at", "2026-10-02T09:00:00+00:00", "--format", "json")


def _wal_state(ledger: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(f"{ledger}-wal")
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def _run_and_kill(argv: list[str], ledger: Path, rng: random.Random, typical: float) -> tuple[str, int, str]:
    """Start ``argv``, kill it (how: 'random' or 'at-write'); returns (how, returncode, stderr)."""
    how = "at-write" if rng.random() < 0.5 else "random"
    before = _wal_state(ledger)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    deadline = started + (rng.uniform(0, typical * 1.2) if how == "random" else typical * 20)
    while proc.poll() is None and time.monotonic() < deadline:
        if how == "at-write" and _wal_state(ledger) != before:
            time.sleep(rng.uniform(0, 0.004))
            break
        time.sleep(0.0005)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    return how, proc.returncode, err


def _typical(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - started


class LedgerWatch:
    """What the ledger held after each trial: its size and the hash at every size seen."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.hashes: dict[int, str] = {}

    def check(self, tally: Tally, trial: str, exited: int, whole: int) -> int:
        """Check the invariants after a trial whose process exited with ``exited``; returns the growth."""
        if not self.path.exists():
            if exited == 0:
                tally.problem(f"{trial}: exited 0 but no ledger file")
            return 0
        code, out, err = cli("ledger", "verify", str(self.path))
        if code == 2 and "BP802" in err and self.size == 0 and exited != 0:
            # Killed after SQLite made the file but before the schema's transaction committed: the file
            # holds no ledger (verify says so, typed) and the next write creates the schema in it.
            tally.count("left a SQLite file without a ledger schema (verify: BP802)")
            return 0
        if code != 0:
            tally.problem(f"{trial}: ledger verify exit {code}: {(out + err).strip()[:300]}", internal=code == 3)
            return 0
        with Ledger(self.path, create=False, readonly=True) as ledger:
            size, head = ledger.head()
            lost = [s for s, h in self.hashes.items() if s > size or ledger.checkpoint(s).head_hash != h]
        growth = size - self.size
        if lost:
            tally.problem(f"{trial}: records lost or changed at sizes {sorted(lost)[:5]}")
        if growth not in (0, whole):
            tally.problem(f"{trial}: the ledger grew by {growth} records, a whole batch is {whole}")
        if exited == 0 and growth != whole:
            tally.problem(f"{trial}: exited 0 but the ledger grew by {growth}, not {whole}")
        self.size = size
        self.hashes[size] = head
        return growth


def _count_exit(tally: Tally, trial: str, how: str, code: int, err: str) -> None:
    if code == -signal.SIGKILL:
        tally.count(f"killed ({how})")
    elif code == 0:
        tally.count("finished before the kill")
    elif code == 3 or "internal error" in err:
        tally.problem(f"{trial}: internal error: {err.strip()[:300]}", internal=True)
    else:
        codes = CODE.findall(err) or [f"exit {code}"]
        tally.count(f"typed error {codes[0]}")


def kill_evaluate(trials: int, seed: int) -> Tally:
    tally = Tally("kill-evaluate")
    tally.facts["size"] = f"{trials:,} trials"
    rng = random.Random(seed)
    growths: Counter[int] = Counter()
    with tempfile.TemporaryDirectory(prefix="stress-kill-") as tmp:
        typical = _typical(_evaluate_argv(Path(tmp) / "probe.db"))
        with Ledger(Path(tmp) / "probe.db", create=False) as probe:
            first = len(list(probe.iter_records()))  # the plan plus the policy's registration
        tally.facts["typical_run_seconds"] = round(typical, 3)
        watch = LedgerWatch(Path(tmp) / "block0.db")
        for trial in range(trials):
            if time_up():
                tally.facts["stopped_early"] = True
                break
            tally.count("trials run")
            if trial % BLOCK == 0:
                watch = LedgerWatch(Path(tmp) / f"block{trial // BLOCK}.db")
            how, code, err = _run_and_kill(_evaluate_argv(watch.path), watch.path, rng, typical)
            name = f"evaluate trial {trial}"
            _count_exit(tally, name, how, code, err)
            growth = watch.check(tally, name, code, first if watch.size == 0 else first - 1)
            growths[growth] += 1
            if code == -signal.SIGKILL and growth:
                tally.count("killed after its batch committed")
    tally.facts["growth"] = dict(sorted(growths.items()))
    return tally


def _signed_plan(path: Path) -> None:
    """The plan of the bundled example with every pending bet signed, as `make demo` does."""
    steps = [("evaluate", "--policy", str(POLICY), "--initiatives", str(INITIATIVES),
              "--evaluated-at", "2026-01-15T09:00:00+00:00", "--ledger", str(path), "--output", os.devnull),
             ("approve", str(path), "INI-009", "--role", "vp", "--by", "e1042", "--at", "2026-01-20T10:00:00+00:00"),
             ("approve", str(path), "INI-009", "--role", "finance", "--by", "e2210",
              "--at", "2026-01-21T08:30:00+00:00")]
    steps += [("approve", str(path), i, "--role", "vp", "--by", "e1187", "--at", "2026-01-22T09:00:00+00:00")
              for i in ("INI-001", "INI-002", "INI-011", "INI-021")]
    for step in steps:
        code, _, err = cli(*step)
        if code != 0:
            raise SystemExit(f"setting up the signed plan failed: {' '.join(step)}: {err}")
    with Ledger(path, create=False) as ledger:  # one file, no -wal beside it: copied as it is
        ledger.storage.close()


def _reset(template: Path, path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)


def kill_review(trials: int, seed: int) -> Tally:
    """Kills during ``review --ledger``: quarters Q1, Q2, Q3 recorded in order on a signed plan, then afresh."""
    tally = Tally("kill-review")
    tally.facts["size"] = f"{trials:,} trials"
    rng = random.Random(seed + 1)
    with tempfile.TemporaryDirectory(prefix="stress-review-") as tmp:
        template, path = Path(tmp) / "plan.db", Path(tmp) / "year.db"
        _signed_plan(template)
        whole: dict[str, int] = {}
        _reset(template, path)
        before = Ledger(path, create=False).head()[0]
        for quarter in QUARTERS:  # the records each quarter's review appends, measured uncut
            typical = _typical(_review_argv(path, quarter))
            with Ledger(path, create=False) as ledger:
                size = ledger.head()[0]
            whole[quarter], before = size - before, size
        tally.facts["records_per_quarter"] = whole
        tally.facts["typical_run_seconds"] = round(typical, 3)
        _reset(template, path)
        watch, recorded = LedgerWatch(path), 0
        watch.size = Ledger(path, create=False).head()[0]
        for trial in range(trials):
            if time_up():
                tally.facts["stopped_early"] = True
                break
            tally.count("trials run")
            if recorded == len(QUARTERS):
                _reset(template, path)
                watch, recorded = LedgerWatch(path), 0
                watch.size = Ledger(path, create=False).head()[0]
            quarter = QUARTERS[recorded]
            how, code, err = _run_and_kill(_review_argv(path, quarter), path, rng, typical)
            name = f"review trial {trial} ({quarter})"
            _count_exit(tally, name, how, code, err)
            if watch.check(tally, name, code, whole[quarter]):
                recorded += 1
                if code == -signal.SIGKILL:
                    tally.count("killed after its quarter committed")
    return tally
