"""Helpers for the budget-year tests: the bundled example, file hashes, the command line in a subprocess."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import budgetpolicy

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
