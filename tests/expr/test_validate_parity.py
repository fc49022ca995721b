"""What `validate` accepts, `evaluate` accepts (issue #18 item 4): a condition that fails for every
initiative is a compile error, reported by `validate` and `validate --strict` exactly as `evaluate`
meets it, with the rule's line and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
FIRST_RULE = 'condition = "len(priorities) == 0"'


def bp(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.mark.parametrize("condition, column, says", [
    ("9**9**9 > 1", 2, "BP305 error: rule 'must-link-priority': the exponent must be a whole number from -64 to 64, "
                       "got 387420489"),
    ("2**10**8 > 1", 2, "BP305 error: rule 'must-link-priority': the exponent must be a whole number from -64 to 64, "
                        "got 100000000"),
    ("cost / 0 > 1", 6, "BP350 error: rule 'must-link-priority': division by zero: the divisor is always 0"),
    ("cost % (2 - 2) > 1", 6, "BP350 error: rule 'must-link-priority': division by zero: the divisor is always 0"),
    ("round(cost, 99999) > 1", 1, "BP350 error: rule 'must-link-priority': round() always fails: places must be a "
                                  "whole number from -28 to 28, got 99999"),
])
def test_validate_refuses_what_evaluate_refuses(tmp_path, condition, column, says):
    text = POLICY.read_text(encoding="utf-8")
    line = text[:text.index(FIRST_RULE)].count("\n") - 1  # an expression's line is its rule's (the [[...]] line)
    policy = tmp_path / "p.toml"
    policy.write_text(text.replace(FIRST_RULE, f'condition = "{condition}"', 1), encoding="utf-8")
    where = f"{policy}:{line}:{column}: approval.rules[0].condition: {says}"
    for strict in ((), ("--strict",)):
        done = bp("validate", *strict, str(policy), cwd=tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr
        assert where in done.stdout + done.stderr
    evaluated = bp("evaluate", "-P", str(policy), "-i", str(INITIATIVES), "--evaluated-at", "2026-01-15T09:00:00Z",
                   cwd=tmp_path)
    assert evaluated.returncode == 2 and evaluated.stdout == ""
    assert evaluated.stderr.startswith(where), evaluated.stderr


@pytest.mark.parametrize("condition", ["cost / 2 > 1", "round(cost, 2) > 1", "cost % 7 == 1",
                                       "cost / headcount > 1"])
def test_conditions_that_can_succeed_still_validate(tmp_path, condition):
    policy = tmp_path / "p.toml"
    policy.write_text(POLICY.read_text(encoding="utf-8").replace(FIRST_RULE, f'condition = "{condition}"', 1),
                      encoding="utf-8")
    done = bp("validate", str(policy), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
