"""Concurrent writers (part of benchmarks/stress.py): N processes x M decisions into one ledger at once.

Each writer compiles the bundled example policy, then decides one initiative at a time (its id made
unique per writer: ``W03-0042``) and records that decision with ``Ledger.record_evaluation``, one
transaction each, so the writers contend for the write lock M times each. A writer appends the id to
a side file only after the append returned: an id on a side file is a decision the ledger promised to
keep. Afterwards: ``ledger verify`` exits 0, the ledger holds every writer's M decisions exactly once
and every promised id, and the policy is registered once.

    python benchmarks/stress_writers.py child LEDGER SIDE WRITER DECISIONS GO_FILE   (one writer)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

POLICY = Path(__file__).resolve().parents[1] / "policies" / "acme-2026.toml"
INITIATIVES = POLICY.with_name("acme-2026.initiatives.csv")


def child(ledger_path: str, side: str, writer: str, decisions: int, go: str) -> int:
    import datetime as dt

    import attrs

    from budgetpolicy.api import open_policy, read_initiatives
    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.engine.compile import EvaluationContext
    from budgetpolicy.errors import BudgetPolicyError

    compiled = open_policy(str(POLICY))
    initiatives = read_initiatives(str(INITIATIVES), compiled.registry, attribute_types=compiled.policy.attributes)
    context = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, 9, tzinfo=dt.timezone.utc))
    ledger = Ledger(ledger_path)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    refused = 0
    for k in range(decisions):
        initiative = attrs.evolve(initiatives[k % len(initiatives)], id=f"{writer}-{k:04d}")
        evaluation = compiled.evaluate((initiative,), context)
        try:
            ledger.record_evaluation(evaluation, (initiative,))
        except BudgetPolicyError as exc:  # a typed refusal (a busy ledger): counted, never promised
            refused += 1
            print(f"refused {exc.diagnostics[0].code}", flush=True)
            continue
        os.write(fd, f"{initiative.id}\n".encode())
    ledger.close()
    return 0


def writers(count: int, decisions: int):
    from stress import Tally
    from stress_kill import cli

    from budgetpolicy.audit.ledger import Ledger

    tally = Tally("writers")
    tally.facts["size"] = f"{count} writers x {decisions:,} decisions"
    with tempfile.TemporaryDirectory(prefix="stress-writers-") as tmp:
        path, go = Path(tmp) / "shared.db", Path(tmp) / "go"
        procs = [subprocess.Popen([sys.executable, __file__, "child", str(path), f"{tmp}/side{w}", f"W{w:02d}",
                                   str(decisions), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for w in range(count)]
        for proc in procs:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if line != "ready\n":
                tally.problem(f"a writer did not start: {line!r} {proc.stderr.read()[:300]}")  # type: ignore[union-attr]
        started = time.monotonic()
        go.touch()
        for w, proc in enumerate(procs):
            out, err = proc.communicate(timeout=3600)
            for line in out.split("\n"):
                if line.startswith("refused"):
                    tally.count(f"typed error {line.split()[1]}")
            if proc.returncode != 0:
                tally.problem(f"writer W{w:02d} exit {proc.returncode}: {err.strip()[-300:]}",
                              internal="Traceback" in err)
        seconds = time.monotonic() - started
        code, out, err = cli("ledger", "verify", str(path))
        if code != 0:
            tally.problem(f"ledger verify exit {code}: {(out + err).strip()[:300]}")
        promised = set()
        for w in range(count):
            side = Path(tmp) / f"side{w}"
            promised.update(side.read_text().split() if side.exists() else ())
        with Ledger(path, create=False) as ledger:
            ids = Counter(r.entry.initiative_id for r in ledger.iter_records() if r.entry.kind == "decision")
            policies = sum(1 for r in ledger.iter_records() if r.entry.kind == "policy")
        duplicates = [i for i, n in ids.items() if n > 1]
        missing = promised - set(ids)
        if duplicates:
            tally.problem(f"decisions recorded twice: {duplicates[:5]}")
        if missing:
            tally.problem(f"{len(missing)} promised decisions are missing (lost committed records): {sorted(missing)[:5]}")
        if policies != 1:
            tally.problem(f"the policy is registered {policies} times")
        tally.count("decisions recorded", sum(ids.values()))
        tally.count("decisions promised", len(promised))
        tally.facts["decisions_per_second"] = round(sum(ids.values()) / seconds, 1)
    return tally


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        os.environ["BUDGETPOLICY_PLUGINS"] = ""
        ledger_arg, side_arg, writer_arg, decisions_arg, go_arg = sys.argv[2:7]
        sys.exit(child(ledger_arg, side_arg, writer_arg, int(decisions_arg), go_arg))
    sys.exit("run benchmarks/stress.py --only writers")
