"""The bundled example's outputs, byte for byte, as they were before the code moved into one package per stage.

The files under ``tests/golden/house/`` were written once by the CLI at the commit before the move
(with only the built-in plugins loaded) and are kept, never regenerated: a structural change that alters
one byte of a decision, a review, the report or the ledger fails here. When behaviour changes on purpose,
the change is a separate commit that says so and updates these files with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import budgetpolicy

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "house"
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
AT = "2026-01-15T09:00:00+00:00"
PLAN = ("-P", POLICY, "-i", INITIATIVES, "--evaluated-at", AT)
LEARNING = str(ROOT / "policies" / "acme-2026.learning.csv")
REVIEW = (*PLAN, "-O", OUTCOMES, "--period", "2026-Q3")
# The review and the year take the learning system's readings too, as `make demo` does (merged per initiative
# and quarter).
CHAIN = (*REVIEW, "-O", LEARNING)


def _run(*args: str, cwd: Path) -> str:
    # The code under test (the package this process imported) first on the path: cwd is a temporary
    # directory, where a relative PYTHONPATH would silently fall back to another installed copy.
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    # Tables off a terminal are COLUMNS wide (else 100); pytest-xdist workers set COLUMNS=80: pinned.
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path, "COLUMNS": "100"}
    result = subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                            cwd=cwd, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("house")
    _run("evaluate", *PLAN, "-f", "json", "-o", "eval.json", cwd=out)
    _run("evaluate", *PLAN, "-f", "csv", "-o", "eval.csv", cwd=out)
    (out / "eval.txt").write_text(_run("evaluate", *PLAN, cwd=out))
    (out / "whatif.txt").write_text(_run("evaluate", *PLAN, "--what-if-pool", "+50000", cwd=out))
    (out / "explain.txt").write_text(_run("explain", *PLAN, "INI-019", cwd=out))
    _run("review", *CHAIN, "-f", "json", "-o", "review.json", cwd=out)
    (out / "review.txt").write_text(_run("review", *CHAIN, cwd=out))
    _run("report", *REVIEW, "-o", "report.md", cwd=out)
    _run("evaluate", *PLAN, "--ledger", "l.db", cwd=out)
    # The sign-offs the example readings need (they spend on every pending bet), as `make demo` records them.
    for initiative, role, by in (("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210"),
                                 ("INI-001", "vp", "e1187"), ("INI-002", "vp", "e1187"), ("INI-011", "vp", "e1187"),
                                 ("INI-021", "vp", "e1187")):
        _run("approve", "l.db", initiative, "--role", role, "--by", by, "--at", "2026-01-20T10:00:00+00:00", cwd=out)
    # With the plan in the ledger, the review works from it, one quarter at a time, in order.
    for quarter, at in (("2026-Q1", "2026-04-01"), ("2026-Q2", "2026-07-01"), ("2026-Q3", "2026-10-01")):
        _run("review", "--ledger", "l.db", "-O", OUTCOMES, "-O", LEARNING, "--period", quarter, "--evaluated-at", f"{at}T09:00:00+00:00",
             cwd=out)
    _run("ledger", "export", "l.db", "-f", "jsonl", "-o", "ledger.jsonl", cwd=out)
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir()))
def test_output_is_byte_identical_to_the_kept_copy(outputs: Path, name: str) -> None:
    got = (outputs / name).read_bytes()
    want = (GOLDEN / name).read_bytes()
    assert got == want, f"{name} differs from tests/golden/house/{name}"


def test_every_kept_file_is_checked() -> None:
    assert {p.name for p in GOLDEN.iterdir()} == {
        "eval.json", "eval.csv", "eval.txt", "whatif.txt", "explain.txt", "review.json", "review.txt",
        "report.md", "ledger.jsonl"}
