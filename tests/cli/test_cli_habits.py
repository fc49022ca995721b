"""Small habits a user of ruff, opa or pytest expects from the command line (issue #21 items)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def test_version_goes_to_stdout():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("budgetpolicy ") and result.stderr == ""


def test_a_misspelt_blocked_plugin_is_refused_with_a_suggestion():
    result = run("-p", "no:scorer", "plugins")
    assert result.returncode == 2 and result.stdout == ""
    assert "cannot block plugin 'scorer'" in result.stderr and "did you mean 'scorers'?" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    blocked = run("-p", "no:scorers", "plugins", "--format", "json")
    assert blocked.returncode == 0 and '"status": "blocked"' in blocked.stdout


def test_report_output_suffix_chooses_html(tmp_path):
    html = tmp_path / "report.html"
    result = run("report", "-P", POLICY, "-i", INITIATIVES, "-o", str(html))
    assert result.returncode == 0, result.stderr
    assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
    markdown = tmp_path / "report.md"
    assert run("report", "-P", POLICY, "-i", INITIATIVES, "-o", str(markdown)).returncode == 0
    assert markdown.read_text(encoding="utf-8").startswith("# ")
    forced = tmp_path / "forced.html"
    assert run("report", "-P", POLICY, "-i", INITIATIVES, "-f", "markdown", "-o", str(forced)).returncode == 0
    assert forced.read_text(encoding="utf-8").startswith("# ")  # an explicit --format wins over the suffix
