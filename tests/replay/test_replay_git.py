"""Replay under another git revision: record under commit 1, replay with policy.toml@HEAD (commit 2).

Commit 2 raises the VP threshold from 25,000 to 30,000. By hand: INI-B (cost
28,000, score 4/5 = 0.8) no longer needs a VP, so it goes from pending
approval to approved; its allocation (28,000, rank 3 by score per dollar) is
unchanged; nothing else moves (INI-C at 40,000 still needs the VP).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from replay_helpers import SMALL_INITIATIVES, SMALL_POLICY, cli, record
from table_text import cell

from budgetpolicy.audit.git import load_policy_ref
from budgetpolicy.audit.replay import replay

if shutil.which("git") is None:  # pragma: no cover - git is part of the development set-up
    pytest.fail("git is required for the replay-under-a-revision tests")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "governance"
    repo.mkdir()
    _git(repo, "init", "-q")
    text = SMALL_POLICY.read_text()
    (repo / "policy.toml").write_text(text)
    _git(repo, "add", "policy.toml")
    _git(repo, "commit", "-q", "-m", "v1")
    (repo / "policy.toml").write_text(text.replace("cost > 25000", "cost > 30000")
                                      .replace('version = "1"', 'version = "2"'))
    _git(repo, "commit", "-q", "-am", "raise the VP threshold")
    return repo


def test_replay_under_head_reports_exactly_the_raised_threshold(repo: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "audit.db"
    record(ledger, "policy.toml@HEAD~1", SMALL_INITIATIVES, cwd=repo)
    # Against its own version (commit 1, from the ledger's store) everything reproduces.
    assert replay(str(ledger)).reproduced == 5
    report = replay(str(ledger), policy=load_policy_ref(str(repo / "policy.toml@HEAD")))
    assert (report.replayed, report.reproduced, report.target) == (5, 4, "replay-test 2")
    (change,) = report.changes
    assert change.initiative_id == "INI-B" and change.seq == 3
    assert (change.before.outcome, change.after.outcome) == ("pending_approval", "approved")
    assert (change.before.required_approvers, change.after.required_approvers) == (("vp",), ())
    assert change.before.allocation == change.after.allocation == 28000
    assert change.before.score == change.after.score
    assert change.changed[:2] == ("outcome", "required_approvers")
    assert change.values["reasons"] == (["vp-over-25k"], [])
    assert report.money.gained == report.money.lost == 0


def test_cli_replay_at_head(repo: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "audit.db"
    record(ledger, "policy.toml@HEAD~1", SMALL_INITIATIVES, cwd=repo)
    done = cli("replay", "--ledger", str(ledger), "--policy", "policy.toml@HEAD", cwd=repo)
    assert done.returncode == 0, done.stderr  # a report, not a failure
    assert "1 of 5 decisions change" in done.stdout
    lines = done.stdout.splitlines()
    row = next(line for line in lines if " INI-B " in line)  # SEQ, then ID
    assert cell(lines, row, "OUTCOME") == "pending_approval -> approved"
    fail = cli("replay", "--ledger", str(ledger), "--policy", "policy.toml@HEAD", "--fail-on-change",
               "--format", "json", cwd=repo)
    assert fail.returncode == 1
    data = json.loads(fail.stdout)
    assert (data["exact"], data["unchanged"], data["changed"]) == (False, 4, 1)
    (change,) = data["changes"]
    assert change["before"] == {"outcome": "pending_approval", "allocation": "28000",
                                "required_approvers": ["vp"], "score": "0.8"}
    assert change["after"] == {"outcome": "approved", "allocation": "28000", "required_approvers": [],
                               "score": "0.8"}
    same = cli("replay", "--ledger", str(ledger), "--policy", "policy.toml@HEAD~1", cwd=repo)
    assert same.returncode == 0 and "0 of 5 decisions change" in same.stdout


def test_unknown_revision_is_one_line_exit_2(repo: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "audit.db"
    record(ledger, "policy.toml@HEAD", SMALL_INITIATIVES, cwd=repo)
    done = cli("replay", "--ledger", str(ledger), "--policy", "policy.toml@v9.9", cwd=repo)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "BP833" in done.stderr and "unknown revision 'v9.9'" in done.stderr
