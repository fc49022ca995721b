"""What `validate` accepts, `evaluate` accepts: a condition's constant parts are computed when it compiles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.mark.parametrize("condition, code", [("9**9**9 > 1", "BP305"), ("2**10**8 > 1", "BP305"),
                                             ("cost > 1 / 0", "BP350")])
def test_a_constant_that_cannot_be_computed_fails_validate_as_it_fails_evaluate(tmp_path, condition, code):
    text = POLICY.read_text(encoding="utf-8")
    at = text.index("[[approval.rules]]")
    rule = f'[[approval.rules]]\nid = "constant"\ncondition = "{condition}"\neffect = "flag"\nmessage = "m"\n\n'
    path = tmp_path / "policy.toml"
    path.write_text(text[:at] + rule + text[at:], encoding="utf-8")
    line = text[:at].count("\n") + 1  # the rule's line (the key path names the condition)
    checked = run("validate", "--strict", str(path))
    assert checked.returncode == 1
    assert f"{path}:{line}:" in checked.stderr and "approval.rules[0].condition" in checked.stderr and f"{code} error: rule 'constant'" in checked.stderr
    evaluated = run("evaluate", "-P", str(path), "-i", INITIATIVES)
    assert evaluated.returncode == 2 and evaluated.stdout == ""
    assert f"{code} error: rule 'constant'" in evaluated.stderr and "Traceback" not in evaluated.stderr
