"""Helpers for the budget-year tests: the bundled example, file hashes, the command line in a subprocess."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import budgetpolicy
from budgetpolicy.audit.record import record_evaluation

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
PLANNED_AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)
AT = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.timezone.utc)
PLAN_SEQ = 2  # record 1 stores the policy

# The example plan's pending decisions: initiative -> (required roles, funding).
PENDING = {"INI-001": (("vp",), 48000), "INI-002": (("vp",), 36000), "INI-009": (("vp", "finance"), 52000),
           "INI-011": (("vp",), 26000), "INI-021": (("vp",), 32000)}
HOLDERS = {"vp": ("e1042", "e1187"), "finance": ("e2210",), "director": ("e0315", "e0877")}
OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
REQUESTS = str(ROOT / "policies" / "acme-2026.requests.csv")
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3")
# The sign-offs `make demo` records before Q1: every pending decision of the plan (the example readings
# spend on all of them from Q1).
PLAN_SIGNOFFS = (("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210"), ("INI-001", "vp", "e1187"),
                 ("INI-002", "vp", "e1187"), ("INI-011", "vp", "e1187"), ("INI-021", "vp", "e1187"))


def sign(ledger: Path, signoffs: tuple[tuple[str, str, str], ...], at: dt.datetime = AT) -> None:
    """Record each (initiative, role, signer) sign-off through the API."""
    for initiative, role, by in signoffs:
        budgetpolicy.approve(ledger, initiative, role=role, by=by, at=at)


def record_plan(path: Path, policy: str) -> Path:
    """A ledger at ``path`` holding the example's plan under ``policy`` (recorded as evaluate --ledger does)."""
    evaluation = budgetpolicy.run_cycle(policy, INITIATIVES, evaluated_at=PLANNED_AT)
    record_evaluation(path, evaluation, evaluation.initiatives)
    return path


def copied(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def flag_policy(directory: Path) -> Path:
    """The bundled policy with ``[spend] on_mismatch = "flag"``: its year records readings that spend on
    unsigned, refused or unfunded bets, flagged, instead of refusing the review."""
    path = directory / "acme-flag.toml"
    path.write_text(Path(POLICY).read_text(encoding="utf-8") + '\n[spend]\non_mismatch = "flag"\n', encoding="utf-8")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``budgetpolicy ARGS`` with the package under test first on the path and only the built-in plugins."""
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=120)


def one_line_error(result: subprocess.CompletedProcess[str], code: str) -> str:
    """The single stderr line of a refused command (exit 2, no traceback, nothing on stdout)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert f" {code} error: " in line, line
    return line
