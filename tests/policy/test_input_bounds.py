"""Hostile input gets one located line and exit 2 (or 1 from validate), never an internal error (issue #18
item 4): lone surrogates, nesting depth, file size, string length, amounts beyond the documented bound.
Each case runs the CLI as a user would; where a ledger is given, its bytes must not change."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from budgetpolicy.policy.load import check_policy_text

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
AT = "2026-01-15T09:00:00+00:00"
TEXT = POLICY.read_text(encoding="utf-8")


def bp(*args: str | bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, errors="backslashreplace")


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if not line.endswith("error(s), 0 warning(s))")]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("ledger")
    path = where / "l.db"
    done = bp("evaluate", "-P", str(POLICY), "-i", str(INITIATIVES), "--evaluated-at", AT, "--ledger", str(path),
              cwd=where)
    assert done.returncode == 0, done.stderr
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the policy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, text, expected", [
    ("deep-50000", TEXT + "\nx = " + "[" * 50_000 + "]" * 50_000 + "\n",
     ":296:37: BP107 error: arrays or tables nested too deeply to read"),
    ("deep-40", TEXT.replace("[metadata]", "[metadata]\nx = " + "[" * 40 + "]" * 40),
     ":12: metadata.x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: "
     "BP107 error: values nested more than 32 levels deep"),
    ("long-string", TEXT.replace("[metadata]", '[metadata]\nx = "' + "a" * 70_000 + '"'),
     ":12: metadata.x: BP108 error: a string of 70,000 characters (the limit is 65,536)"),
    ("too-large", TEXT + ("# " + "x" * 100 + "\n") * 11_000,
     ": BP106 error: the policy is 1,140,436 bytes; the limit is 1,048,576 (1 MiB)"),
    ("surrogate-escape", TEXT.replace('condition = "len(priorities) == 0"', "condition = 'title == \"\\ud800\"'", 1),
     ":129:11: approval.rules[0].condition: BP301 error: rule 'must-link-priority': '\\ud800' is a lone surrogate, "
     "not a character"),
    ("pool-1e400", TEXT.replace("pool = 480000", "pool = 1e400"),
     ":217: allocation.pool: BP114 error: expected positive amount, got number 1E+400"),
])
def test_a_hostile_policy_is_one_located_error(tmp_path, ledger, name, text, expected):
    policy = tmp_path / f"{name}.toml"
    policy.write_text(text, encoding="utf-8")
    for strict in ((), ("--strict",)):
        assert one_line(bp("validate", *strict, str(policy), cwd=tmp_path), 1).startswith(f"{policy}{expected}")
    before = digest(ledger)
    done = bp("evaluate", "-P", str(policy), "-i", str(INITIATIVES), "--evaluated-at", AT, "--ledger", str(ledger),
              cwd=tmp_path)
    assert one_line(done, 2).startswith(f"{policy}{expected}")
    assert done.stdout == "" and digest(ledger) == before


def test_a_policy_text_with_a_lone_surrogate_is_refused_by_the_api():
    _, (problem,) = check_policy_text(TEXT.replace("Sales win rate", "Sales \ud800 rate"), "given.toml")
    assert problem.format() == ("given.toml:23:15: BP109 error: not valid Unicode: a lone surrogate U+D800 "
                            "(pass text decoded from UTF-8 (a surrogate is half of a character))")


def test_the_largest_pool_allowed_still_adds_up_exactly(tmp_path):
    policy = tmp_path / "big.toml"
    policy.write_text(TEXT.replace("pool = 480000", 'pool = "999999999999999.99"'), encoding="utf-8")
    done = bp("evaluate", "-P", str(policy), "-i", str(INITIATIVES), "--evaluated-at", AT, "-f", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["allocation"]
    assert D(summary["pool"]) == D("999999999999999.99")
    assert D(summary["allocated"]) + D(summary["leftover"]) == D(summary["pool"])


# -- the data and the command line ------------------------------------------------------------------------


def _json(tmp_path: Path, title_json: str) -> Path:
    path = tmp_path / "i.json"
    path.write_text('[{"id": "X-1", "title": ' + title_json + ', "kind": "training", "department": "Sales", '
                    '"cost": "10", "priorities": ["win-rate"]}]', encoding="utf-8")
    return path


@pytest.mark.parametrize("name, make, expected", [
    ("surrogate-title", lambda p: _json(p, '"a\\ud800"'),
     ": record 1: field 'title': BP422 error: text with a lone surrogate U+D800 at character 2"),
    ("long-title", lambda p: _json(p, json.dumps("a" * 70_000)),
     ": record 1: field 'title': BP422 error: a string of 70,000 characters (the limit is 65,536)"),
    ("deep-json", lambda p: _json(p, "[" * 100_000 + "]" * 100_000),
     ":1:55: BP403 error: malformed JSON: arrays or objects nested more than 32 levels deep"),
    ("deep-attribute", lambda p: _json(p, '"t", "attributes": {"a": ' + "[" * 40 + "1" + "]" * 40 + "}"),
     ": record 1: field 'attributes.a': BP422 error: values nested more than 32 levels deep"),
])
def test_a_hostile_data_file_is_one_located_error(tmp_path, ledger, name, make, expected):
    data = make(tmp_path)
    before = digest(ledger)
    done = bp("evaluate", "-P", str(POLICY), "-i", str(data), "--evaluated-at", AT, "--ledger", str(ledger),
              cwd=tmp_path)
    assert one_line(done, 2).startswith(f"{data}{expected}")
    assert digest(ledger) == before


def test_deep_toml_data_is_one_located_error(tmp_path):
    data = tmp_path / "i.toml"
    data.write_text('[[initiatives]]\nid = "X"\ntitle = ' + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    done = bp("evaluate", "-P", str(POLICY), "-i", str(data), cwd=tmp_path)
    assert one_line(done, 2).startswith(f"{data}:3:41: BP403 error: malformed TOML: arrays or tables nested more "
                                        "than 32 levels deep")


def test_an_argument_that_is_not_utf8_is_refused(tmp_path, ledger):
    before = digest(ledger)
    done = bp(b"evaluate", b"-P", str(POLICY).encode(), b"-i", b"\xff.csv", b"--ledger", str(ledger).encode(),
              cwd=tmp_path)
    assert one_line(done, 2) == ("budgetpolicy: argument 5 (\\udcff.csv): BP002 error: not valid UTF-8 (byte 0xFF at "
                                 "character 1) (rename the file or retype the argument in UTF-8)")
    assert digest(ledger) == before
    assert os.listdir(tmp_path) == []
