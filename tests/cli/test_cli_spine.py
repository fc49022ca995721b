"""The spine through the command line, as a user runs it (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = "2026-01-15T09:00:00+00:00"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_validate_bundled_policy_ok():
    result = run("validate", POLICY)
    assert result.returncode == 0, result.stderr
    assert "ok (acme-people-dev 2026.1: 4 priorities, 6 criteria, 12 rules" in result.stdout


def test_evaluate_table_lists_every_initiative():
    result = run("evaluate", "--policy", POLICY, "--initiatives", INITIATIVES)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # A header may wrap onto a second line when the columns need the width (tables fit the screen).
    assert next(line for line in lines if line.startswith("ID")).split()[:3] == ["ID", "OUTCOME", "SCORE"]
    assert sum(1 for line in lines if line.startswith("INI-")) == 44
    assert "44 initiatives under acme-people-dev 2026.1" in result.stdout


def test_evaluate_json_is_byte_identical_across_runs(tmp_path):
    a = run("evaluate", "-P", POLICY, "-i", INITIATIVES, "--format", "json", "--evaluated-at", AT)
    b = run("evaluate", "-P", POLICY, "-i", INITIATIVES, "--format", "json", "--evaluated-at", AT,
            "-o", str(tmp_path / "out.json"))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert a.stdout.encode() == (tmp_path / "out.json").read_bytes()
    doc = json.loads(a.stdout)
    d1 = next(d for d in doc["decisions"] if d["initiative_id"] == "INI-001")
    assert d1["score"] == "0.5236" and d1["required_approvers"] == ["vp"]
    assert doc["evaluated_at"] == AT


def test_evaluate_csv():
    result = run("evaluate", "-P", POLICY, "-i", INITIATIVES, "--format", "csv")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.startswith("id,outcome,score,expected_value,requested,allocated")
    assert len(rows) == 44
    assert rows[0].startswith("INI-001,")


def test_explain_shows_scores_rules_and_why():
    result = run("explain", "-P", POLICY, "-i", INITIATIVES, "INI-040")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Decision: rejected" in out
    assert "FIRED" in out and "probability-floor" in out and "[saw probability=0.15]" in out
    assert "impact" in out and "expected_value" in out


def test_explain_unknown_id_suggests(tmp_path):
    result = run("explain", "-P", POLICY, "-i", INITIATIVES, "INI-0011")
    assert_one_line_error(result, "no initiative 'INI-0011'", "did you mean")
    assert result.returncode == 2


@pytest.mark.parametrize("text, needles", [
    ("id = \n", ["bad.toml:1", "BP1"]),                    # malformed TOML
    ("", ["bad.toml", "empty"]),                           # empty file
])
def test_validate_bad_policy_files(tmp_path, text, needles):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_validate_non_utf8(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes("id = \"caf\xe9\"\n".encode("latin-1"))
    result = run("validate", str(path))
    assert result.returncode == 1 and "UTF-8" in result.stderr and "Traceback" not in result.stderr


def test_validate_reports_every_problem_with_key_and_line(tmp_path):
    text = Path(POLICY).read_text(encoding="utf-8")
    text = text.replace('condition = "cost > 25000"', 'condition = "cots > 25000"')
    text = text.replace("weight = 0.4\n", "wieght = 0.4\n", 1)
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1
    err = result.stderr
    assert "did you mean 'weight'" in err
    assert "Traceback" not in err


def test_expression_error_points_at_rule_and_column(tmp_path):
    text = Path(POLICY).read_text(encoding="utf-8").replace(
        'condition = "cost > 25000"', 'condition = "cost > 25000 and mentr"')
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1
    line = next(line for line in result.stderr.splitlines() if "mentr" in line)
    assert "approval.rules[6].condition" in line and "vp-over-25k" in line
    assert ":18:" in line  # 'mentr' starts at column 18 of the condition
    assert "did you mean 'mentor'" in line


def test_unknown_cli_option_is_a_usage_error():
    result = run("evaluate", "--policy", POLICY, "--initiatives", INITIATIVES, "--frobnicate")
    assert result.returncode == 2
    assert "unrecognized arguments: --frobnicate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_files_are_one_line_errors(tmp_path):
    result = run("evaluate", "-P", str(tmp_path / "nope.toml"), "-i", INITIATIVES)
    assert_one_line_error(result, "nope.toml")
    result = run("evaluate", "-P", POLICY, "-i", str(tmp_path / "nope.csv"))
    assert_one_line_error(result, "nope.csv")


def test_bad_initiative_rows_name_file_row_and_field(tmp_path):
    lines = Path(INITIATIVES).read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",14000,", ",-14000,")  # INI-003: negative cost, CSV line 4
    lines[4] = lines[4].replace(",6000,", ",NaN,")      # INI-004, CSV line 5
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("evaluate", "-P", POLICY, "-i", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad.csv" in result.stderr and "row 4" in result.stderr and "cost" in result.stderr
    skipped = run("evaluate", "-P", POLICY, "-i", str(path), "--skip-invalid", "--format", "csv")
    assert skipped.returncode == 0
    assert "skipped" in skipped.stderr and "row 4" in skipped.stderr
    assert len(skipped.stdout.splitlines()) == 1 + 44 - 2


def test_duplicate_initiative_ids(tmp_path):
    lines = Path(INITIATIVES).read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])
    path = tmp_path / "dup.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("evaluate", "-P", POLICY, "-i", str(path))
    assert_one_line_error(result, "INI-001", "duplicate")


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("validate", "evaluate", "explain"):
        assert command in result.stdout


def test_bundled_policy_is_formatted_and_its_policy_tests_pass():
    fmt = run("fmt", "--check", "policies")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    tests = run("test", "policies")
    assert tests.returncode == 0, tests.stdout
    assert tests.stdout.strip().splitlines()[-1] == "9 passed, 0 failed"


def test_every_command_is_documented_in_the_cli_reference():
    from budgetpolicy.cli import COMMANDS

    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"## budgetpolicy {name}" not in doc]
    assert missing == []


def test_validate_warns_of_expired_rules_as_of_today(tmp_path):
    text = (ROOT / "tests" / "cases" / "gates-and-signoffs" / "policy.toml").read_text(encoding="utf-8")
    path = tmp_path / "expiring.toml"
    path.write_text(text.replace('message = "pilot"\n', 'message = "pilot"\neffective_until = 2026-03-31\n'),
                    encoding="utf-8")
    before = run("validate", str(path), "--today", "2026-03-31")
    assert before.returncode == 0 and "BP247" not in before.stdout
    after = run("validate", str(path), "--today", "2026-04-01")
    assert after.returncode == 0 and "BP247 warning: rule 'pilot' expired on 2026-03-31" in after.stdout
    strict = run("validate", str(path), "--today", "2026-04-01", "--strict")
    assert strict.returncode == 1


def test_validate_a_directory_checks_its_policies_not_its_test_files():
    result = run("validate", "policies")
    assert result.returncode == 0, result.stderr
    checked = [line.split(":")[0] for line in result.stdout.splitlines() if ": ok (" in line]
    assert checked == ["policies/acme-2026.toml"]
