"""budgetpolicy init: the scaffolded repository passes its own pre-commit checks."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from budgetpolicy.cli import main


def _hooks(config: str) -> list[dict[str, str]]:
    """The local hooks of a .pre-commit-config.yaml (a flat list of `key: value` lines per hook)."""
    hooks: list[dict[str, str]] = []
    for line in config.splitlines():
        match = re.match(r"\s*(- )?(\w+): (.*)$", line)
        if not match or match.group(2) in ("repo",):
            continue
        if match.group(2) == "id":
            hooks.append({})
        if hooks:
            hooks[-1][match.group(2)] = match.group(3)
    return hooks


def test_scaffolded_repository_passes_its_own_hooks(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "policy-repo"
    assert main(["init", str(repo)]) == 0
    capsys.readouterr()
    monkeypatch.chdir(repo)
    hooks = _hooks((repo / ".pre-commit-config.yaml").read_text())
    assert [h["id"] for h in hooks] == ["budgetpolicy-validate", "budgetpolicy-fmt", "budgetpolicy-test"]
    files = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file())
    for hook in hooks:
        argv = shlex.split(hook["entry"])
        assert argv[0] == "budgetpolicy" and hook["language"] == "system"
        if hook.get("pass_filenames") != "false":
            included = [f for f in files if re.search(hook["files"], f)]
            if "exclude" in hook:
                included = [f for f in included if not re.search(hook["exclude"], f)]
            assert included, hook
            argv += included
        code = main(argv[1:])
        out, err = capsys.readouterr()
        assert code == 0, (hook["id"], out, err)
        if hook["id"] == "budgetpolicy-test":
            assert out.splitlines()[-1] == "6 passed, 0 failed"


def test_schema_line_points_at_the_copied_schema(tmp_path):
    main(["init", str(tmp_path / "r")])
    policy = tmp_path / "r" / "policies" / "policy.toml"
    first = policy.read_text().splitlines()[0]
    assert first == "#:schema ../schemas/policy.schema.json"
    schema = (policy.parent / first.split(" ", 1)[1]).resolve()
    assert json.loads(schema.read_text())["properties"]["priorities"]


def test_sample_initiatives_evaluate(tmp_path, capsys):
    repo = tmp_path / "r"
    main(["init", str(repo)])
    capsys.readouterr()
    code = main(["evaluate", "-P", str(repo / "policies/policy.toml"), "-i", str(repo / "data/initiatives.csv"),
                 "--evaluated-at", "2026-01-15T00:00:00+00:00"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "6 initiatives under starter-people-dev 2026.1: 4 approved, 1 pending approval, 1 rejected" in out


def test_refuses_a_non_empty_directory_unless_forced(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert not (tmp_path / "policies").exists()
    assert main(["init", "--force", str(tmp_path)]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "policies" / "policy.toml").is_file()
