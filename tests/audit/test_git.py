"""Policy versions from git history: path@REV for tags, branches, commits, and the errors around it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from audit_helpers import EXAMPLE_POLICY

from budgetpolicy.audit.git import load_policy_ref, read_policy_revision, split_policy_ref
from budgetpolicy.errors import PolicyLoadError

V1 = EXAMPLE_POLICY.read_text(encoding="utf-8")
V2 = V1.replace('version = "2026.1"', 'version = "2026.2"', 1)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Audit Test", "-c", "user.email=audit@example.com",
                           "-c", "commit.gpgsign=false", "-C", str(repo), *args],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "governance"
    (root / "policies").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "policies" / "acme.toml").write_text(V1, encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "policy 2026.1")
    git(root, "tag", "v1")
    (root / "policies" / "acme.toml").write_text(V2, encoding="utf-8")
    git(root, "commit", "-q", "-am", "policy 2026.2")
    return root


def test_split_policy_ref(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert split_policy_ref("policies/acme.toml@v1.2") == ("policies/acme.toml", "v1.2")
    assert split_policy_ref("policies/acme.toml") == ("policies/acme.toml", None)
    assert split_policy_ref("p.toml@HEAD@{1}") == ("p.toml", "HEAD@{1}")
    (tmp_path / "odd@name.toml").write_text("x")
    assert split_policy_ref("odd@name.toml") == ("odd@name.toml", None)  # a literal file wins
    assert split_policy_ref("odd@name.toml@v2") == ("odd@name.toml", "v2")
    with pytest.raises(PolicyLoadError, match="BP830.*no revision"):
        split_policy_ref("policies/acme.toml@")


def test_reads_each_revision_with_its_commit(repo):
    path = str(repo / "policies" / "acme.toml")
    text1, commit1, rel1 = read_policy_revision(f"{path}@v1")
    text2, commit2, rel2 = read_policy_revision(f"{path}@HEAD")
    assert (text1, text2) == (V1, V2)
    assert rel1 == rel2 == "policies/acme.toml"
    assert commit1 == git(repo, "rev-parse", "v1^{commit}")
    assert commit2 == git(repo, "rev-parse", "HEAD")
    assert read_policy_revision(f"{path}@HEAD~1")[1] == commit1
    assert read_policy_revision(f"{path}@{commit1[:10]}")[0] == V1


def test_load_policy_ref_records_version_hash_and_revision(repo):
    path = repo / "policies" / "acme.toml"
    old, new, plain = load_policy_ref(f"{path}@v1"), load_policy_ref(f"{path}@HEAD"), load_policy_ref(str(path))
    assert (old.version, new.version, plain.version) == ("2026.1", "2026.2", "2026.2")
    assert old.source.revision == git(repo, "rev-parse", "v1^{commit}")
    assert old.source.path == f"{path}@v1"
    assert old.source.sha256 != new.source.sha256 and new.source.sha256 == plain.source.sha256
    assert plain.source.revision is None


def test_file_deleted_from_worktree_is_still_readable_from_history(repo):
    git(repo, "rm", "-q", "-r", "policies")
    git(repo, "commit", "-q", "-m", "move policies")
    assert read_policy_revision(f"{repo / 'policies' / 'acme.toml'}@v1")[0] == V1


def test_relative_path_from_inside_the_repo(repo, monkeypatch):
    monkeypatch.chdir(repo / "policies")
    assert read_policy_revision("acme.toml@v1")[2] == "policies/acme.toml"


def test_unknown_revision(repo):
    with pytest.raises(PolicyLoadError) as err:
        read_policy_revision(f"{repo / 'policies' / 'acme.toml'}@v9")
    (diag,) = err.value.diagnostics
    assert diag.code == "BP833" and "unknown revision 'v9'" in diag.message
    assert "git tag" in diag.hint and "git log" in diag.hint


def test_path_absent_at_revision(repo):
    (repo / "policies" / "new.toml").write_text(V2)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add new")
    with pytest.raises(PolicyLoadError, match="BP834.*'policies/new.toml' does not exist at revision 'v1'"):
        read_policy_revision(f"{repo / 'policies' / 'new.toml'}@v1")
    with pytest.raises(PolicyLoadError, match="did you mean 'policies/acme.toml'"):
        read_policy_revision(f"{repo / 'policies' / 'acme.tom'}@v1")


def test_not_a_git_repository(tmp_path):
    (tmp_path / "p.toml").write_text(V1)
    with pytest.raises(PolicyLoadError, match="BP832.*not inside a git repository"):
        read_policy_revision(f"{tmp_path / 'p.toml'}@v1")


def test_revision_is_not_an_option(repo):
    # A revision starting with '-' must never reach git as an option.
    with pytest.raises(PolicyLoadError, match="BP833"):
        read_policy_revision(f"{repo / 'policies' / 'acme.toml'}@--output=/tmp/pwned")
    assert not Path("/tmp/pwned").exists()
