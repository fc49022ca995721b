"""Shared paths and helpers for the replay and diff tests (a module, not conftest: unique basename)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_POLICY = ROOT / "policies" / "acme-2026.toml"
EXAMPLE_INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
SMALL_POLICY = FIXTURES / "policy.toml"
SMALL_HEAD = FIXTURES / "policy_head.toml"
SMALL_INITIATIVES = FIXTURES / "initiatives.csv"
AT = "2026-01-15T09:00:00+00:00"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python3 -m budgetpolicy`` with only the built-in plugins."""
    env = dict(os.environ, BUDGETPOLICY_PLUGINS="")
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, check=False, timeout=120)


def record(ledger: Path, policy: Path | str, initiatives: Path, at: str = AT, *extra: str,
           cwd: Path | None = None) -> None:
    """``evaluate --ledger`` through the CLI, as a user would record decisions."""
    done = cli("evaluate", "--policy", str(policy), "--initiatives", str(initiatives), "--evaluated-at", at,
               "--ledger", str(ledger), *extra, cwd=cwd)
    assert done.returncode == 0, done.stderr
