"""Start-up benchmark: ``budgetpolicy --help`` and ``budgetpolicy validate`` on the example policy; target < 300 ms.

    python3 benchmarks/bench_startup.py [--runs 15] [--json]

Each command runs ``--runs`` times as a fresh process (the installed console
script, found next to this interpreter); the table gives the median and best
wall time and the median CPU time (user + system) of the child, which is far
less sensitive than wall time to other work on the machine. Two settings:

* ``bytecode cached``: the usual case for an installed package. Bytecode goes
  to a temporary ``PYTHONPYCACHEPREFIX``, warmed by one run, so nothing is
  written into the repository.
* ``no bytecode``: the same caches with the project's own modules removed and
  ``PYTHONDONTWRITEBYTECODE=1``, so budgetpolicy's modules are compiled from
  source on every start (how some sandboxes and CI images run, this one included).

``python -c pass`` is measured the same way: the interpreter's own floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "acme-2026.toml"
TARGET_MS = 300


def _script() -> str:
    script = Path(sys.executable).with_name("budgetpolicy")
    return str(script) if script.exists() else "budgetpolicy"


def measure(cmd: list[str], env: dict[str, str], runs: int) -> dict:
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[:500]}")
    return {"median_ms": statistics.median(walls) * 1000, "best_ms": min(walls) * 1000,
            "cpu_ms": statistics.median(cpus) * 1000}


def run(runs: int) -> dict:
    script = _script()
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "budgetpolicy --help": [script, "--help"],
                "budgetpolicy validate policies/acme-2026.toml": [script, "validate", str(POLICY.relative_to(ROOT))]}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        settings = {"bytecode cached": {**base, "PYTHONPYCACHEPREFIX": cache},
                    "no bytecode": {**base, "PYTHONPYCACHEPREFIX": cache, "PYTHONDONTWRITEBYTECODE": "1"}}
        for setting, env in settings.items():
            if setting == "no bytecode":
                # Keep the caches of the standard library and dependencies, drop the project's own.
                shutil.rmtree(cache + str(ROOT), ignore_errors=True)
            for label, cmd in commands.items():
                subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
                rows.append({"setting": setting, "command": label, **measure(cmd, env, runs)})
    return {"runs": runs, "load": os.getloadavg()[0], "rows": rows}


def table(result: dict) -> str:
    lines = [f"| command | bytecode | median wall | best wall | median CPU | < {TARGET_MS} ms |",
             "|---|---|---:|---:|---:|---|"]
    for row in result["rows"]:
        target = "" if row["command"].startswith("python") else ("yes" if row["median_ms"] < TARGET_MS else "NO")
        lines.append(f"| `{row['command']}` | {row['setting']} | {row['median_ms']:.0f} ms | {row['best_ms']:.0f} ms "
                     f"| {row['cpu_ms']:.0f} ms | {target} |")
    lines.append(f"\n{result['runs']} runs each; 1-minute load average at the end: {result['load']:.1f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.runs)
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
