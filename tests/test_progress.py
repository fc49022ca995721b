"""Progress on stderr (issue 17, target 8): drawn by rich on a terminal (a real pseudo-terminal here),
never on a pipe, never with --quiet, never in the output itself.

``BUDGETPOLICY_PROGRESS_DELAY=0`` shows it from the start: the example runs in well under the second a
user waits before progress appears.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from terminal_run import run_on_terminal

import budgetpolicy

ROOT = Path(__file__).resolve().parents[1]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
AT = "2026-01-15T09:00:00+00:00"
PLAN = ("-P", POLICY, "-i", INITIATIVES, "--evaluated-at", AT)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def unwarned(text: str) -> str:
    """``text`` without the example's BP677 lines (its funded forecasts overclaim every KPI's gap, which
    evaluate rightly warns about on stderr, progress or not): what is left is progress alone."""
    return "".join(line for line in text.splitlines(keepends=True) if " BP677 warning: " not in line)


def _env(**extra: str) -> dict[str, str]:
    src = str(Path(budgetpolicy.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return {**env, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]), "TERM": "xterm",
            "BUDGETPOLICY_PROGRESS_DELAY": "0", **extra}


def on_terminal(*args: str, **env: str) -> tuple[str, str]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe: (stdout, what the terminal got)."""
    # stdout is read after the terminal closes; -o keeps large outputs off the pipe in these tests.
    code, terminal, out = run_on_terminal([sys.executable, "-m", "budgetpolicy", *args], terminal="stderr",
                                          env=_env(**env), cwd=ROOT)
    assert code == 0, terminal.decode("utf-8", "replace")
    return out.decode("utf-8"), terminal.decode("utf-8", "replace")


def piped(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=ROOT,
                          env=_env(**env), timeout=300)


def test_evaluate_shows_its_phases_and_a_bar_on_a_terminal(tmp_path):
    out_file = tmp_path / "eval.json"
    stdout, terminal = on_terminal("evaluate", *PLAN, "-f", "json", "-o", str(out_file))
    terminal = unwarned(terminal)
    plain = ANSI.sub("", terminal)
    assert "loading the policy" in plain
    assert "reading, checking and deciding the initiatives, allocating the pool" in plain
    assert "writing json" in plain and "44/44" in plain  # the bar counts the decisions written
    assert stdout == ""
    # Transient: the terminal is left clean (rich erases its lines and shows the cursor again).
    assert terminal.rstrip().endswith("\x1b[2K") and "\x1b[?25h" in terminal
    # The output is the same bytes as without a terminal.
    again = piped("evaluate", *PLAN, "-f", "json")
    assert unwarned(again.stderr) == ""
    assert out_file.read_text(encoding="utf-8") == again.stdout


def test_piped_stderr_is_clean_and_quiet_silences_a_terminal(tmp_path):
    for fmt in ("table", "jsonl"):
        done = piped("evaluate", *PLAN, "-f", fmt)
        assert done.returncode == 0 and unwarned(done.stderr) == "", (fmt, done.stderr)
    stdout, terminal = on_terminal("evaluate", *PLAN, "-f", "csv", "--quiet")
    assert unwarned(terminal) == "" and stdout.startswith("id,outcome,score")
    _, terminal = on_terminal("evaluate", *PLAN, "-f", "csv", "-q", "-o", str(tmp_path / "e.csv"))
    assert unwarned(terminal) == ""


def test_progress_waits_before_it_shows(tmp_path):
    # A command that ends before the delay draws nothing (a minute here, so the test does not race a clock).
    _, terminal = on_terminal("evaluate", *PLAN, "-f", "csv", "-o", str(tmp_path / "e.csv"),
                              BUDGETPOLICY_PROGRESS_DELAY="60")
    assert unwarned(terminal) == ""


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("progress") / "ledger.db"
    done = piped("evaluate", *PLAN, "--ledger", str(path), "-f", "csv")
    assert done.returncode == 0, done.stderr
    return str(path)


def test_replay_counts_every_record_as_it_goes(ledger):
    stdout, terminal = on_terminal("replay", "--ledger", ledger)
    plain = ANSI.sub("", terminal)
    # 44 decision records and the policy copy: done and total count the same records, and it ends at 45/45.
    assert "replaying records" in plain and "45/45" in plain
    counts = [tuple(map(int, m)) for m in re.findall(r"(\d+)/(\d+)", plain)]
    assert counts and all(total == 45 for _, total in counts) and max(done for done, _ in counts) == 45
    assert "44 of 44 reproduced (100%)" in stdout
    _, quiet = on_terminal("replay", "--ledger", ledger, "--quiet")
    assert quiet == ""


def test_review_diff_and_report_show_a_spinner_on_a_terminal(tmp_path):
    review = ("review", "-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "--period", "2026-Q3", "-f", "csv")
    for args, words in ((review, "reviewing the quarter"),
                        (("diff", "--base", POLICY, "--head", POLICY, "-i", INITIATIVES, "-f", "csv"),
                         "evaluating the initiatives under both policies"),
                        (("report", "-P", POLICY, "-i", INITIATIVES, "-o", str(tmp_path / "r.md")),
                         "computing and rendering the report")):
        stdout, terminal = on_terminal(*args)
        assert words in ANSI.sub("", terminal), args[0]
        _, quiet = on_terminal(*args, "--quiet")
        assert quiet == "", args[0]
