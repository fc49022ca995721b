"""What a policy repository meets outside budgetpolicy: editors (the #:schema lines, checked with
check-jsonschema as an editor would check them) and pre-commit (run for real, with the installed
budgetpolicy, on a local repository that also holds a pyproject.toml and data files)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from budgetpolicy.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
PYPROJECT = '[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n'
# Every TOML policy or policy-test file the project ships or keeps as a fixture of a valid policy.
BUNDLED = sorted([*ROOT.glob("policies/*.toml"), *ROOT.glob("src/budgetpolicy/authoring/scaffold/*.toml"),
                  *ROOT.glob("tests/cases/*/*.toml"), *ROOT.glob("tests/authoring/fixtures/*.toml")])


def _schema_line(path: Path) -> Path | None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return (path.parent / first.split(" ", 1)[1]).resolve() if first.startswith("#:schema ") else None


def _check_jsonschema(schema: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema),
                           *map(str, files)], capture_output=True, text=True, timeout=120)


def test_the_test_file_schema_is_the_policy_schemas_tests():
    test_schema = json.loads((SCHEMAS / "policy-test.schema.json").read_text(encoding="utf-8"))
    policy = json.loads((SCHEMAS / "policy.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(test_schema)
    assert test_schema["properties"] == {"tests": policy["properties"]["tests"]}
    assert test_schema["required"] == ["tests"] and test_schema["additionalProperties"] is False
    assert test_schema["$defs"] == {k: policy["$defs"][k] for k in test_schema["$defs"]}
    assert re.findall(r"#/\$defs/(\w+)", json.dumps(test_schema)) and all(
        name in test_schema["$defs"] for name in re.findall(r"#/\$defs/(\w+)", json.dumps(test_schema)))


def test_every_bundled_file_names_its_schema_and_passes_check_jsonschema():
    by_schema: dict[Path, list[Path]] = {}
    for path in BUNDLED:
        schema = _schema_line(path)
        if path.name.endswith("_test.toml"):
            assert schema is None or schema.name == "policy-test.schema.json", path
        else:
            assert schema is not None and schema.name == "policy.schema.json", path
        if schema is not None and "scaffold" in path.parts:
            schema = SCHEMAS.resolve() / schema.name  # relative to the repository init writes (tested below)
        if schema is not None:
            assert schema.is_file(), path
            by_schema.setdefault(schema, []).append(path)
    assert {s.name for s in by_schema} == {"policy.schema.json", "policy-test.schema.json"}
    assert ROOT / "policies/acme-2026_test.toml" in by_schema[SCHEMAS.resolve() / "policy-test.schema.json"]
    for schema, files in by_schema.items():
        result = _check_jsonschema(schema, files)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok -- validation done" in result.stdout


def test_check_jsonschema_catches_a_misspelt_key_in_a_test_file(tmp_path):
    bad = tmp_path / "p_test.toml"
    bad.write_text((ROOT / "policies/acme-2026_test.toml").read_text().replace("[tests.expect]", "[tests.expects]", 1))
    result = _check_jsonschema(SCHEMAS / "policy-test.schema.json", [bad])
    assert result.returncode == 1
    assert "'expects' was unexpected" in result.stdout


def test_init_scaffold_files_pass_their_own_schema_lines(tmp_path, capsys):
    assert main(["init", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    policies = tmp_path / "r" / "policies"
    for name, schema in (("policy.toml", "policy.schema.json"), ("policy_test.toml", "policy-test.schema.json")):
        assert _schema_line(policies / name) == (tmp_path / "r" / "schemas" / schema).resolve()
        result = _check_jsonschema(_schema_line(policies / name), [policies / name])
        assert result.returncode == 0, result.stdout


def test_budgetpolicy_test_reads_the_test_file_schema(tmp_path, capsys):
    """The runner and the editor use one schema: a key the schema refuses is BP110 with its line."""
    (tmp_path / "p.toml").write_text((ROOT / "tests/authoring/fixtures/mini.toml").read_text())
    (tmp_path / "p_test.toml").write_text('[[tests]]\nname = "t"\nexpekt = {}\n[tests.initiative]\nid = "X"\n')
    assert main(["test", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "p_test.toml:3" in err and "BP110" in err and "expect" in err


# ---------------------------------------------------------------------------
# pre-commit, for real
# ---------------------------------------------------------------------------


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
           # the hooks run the budgetpolicy installed beside this Python (language: system)
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


def _policy_repository(tmp_path: Path) -> Path:
    """init's scaffold in a git repository, plus a pyproject.toml that must never be touched."""
    repo = tmp_path / "repo"
    assert main(["init", str(repo)]) == 0
    (repo / "pyproject.toml").write_text(PYPROJECT)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return repo


def _shared_hooks_as_local(config: Path) -> None:
    """.pre-commit-hooks.yaml as a `repo: local` config running the installed budgetpolicy: the same ids,
    entries and file filters, without installing budgetpolicy from a URL (no network in the suite)."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        hook["language"] = "system"
    config.write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False))


@pytest.mark.parametrize("config", ["init", "shared"])
def test_hooks_pass_on_a_clean_repository_and_leave_pyproject_alone(tmp_path, capsys, config):
    repo = _policy_repository(tmp_path)
    capsys.readouterr()
    if config == "shared":
        _shared_hooks_as_local(repo / ".pre-commit-config.yaml")
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    result = _pre_commit(repo, "run", "--all-files", "--verbose")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("budgetpolicy validate", "budgetpolicy fmt --check", "budgetpolicy test"):
        assert re.search(rf"^{re.escape(name)}.*\.Passed$", result.stdout, re.M), result.stdout
    assert "pyproject.toml" not in result.stdout
    assert "6 passed, 0 failed" in result.stdout
    assert (repo / "pyproject.toml").read_text() == PYPROJECT


def test_shared_fmt_hook_fails_on_a_policy_only_and_its_fix_keeps_pyproject(tmp_path, capsys, monkeypatch):
    repo = _policy_repository(tmp_path)
    capsys.readouterr()
    _shared_hooks_as_local(repo / ".pre-commit-config.yaml")
    policy = repo / "policies" / "policy.toml"
    policy.write_text(policy.read_text().replace("pool = 100000", "pool = 100_000", 1))
    assert "100_000" in policy.read_text()
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    result = _pre_commit(repo, "run", "budgetpolicy-fmt", "--all-files")
    assert result.returncode == 1
    assert "would reformat policies/policy.toml" in result.stdout
    assert "pyproject.toml" not in result.stdout
    # The suggested fix, run as printed, reformats the policy only.
    fix = re.search(r"\(run: (budgetpolicy fmt [^)]*)\)", result.stdout).group(1)
    assert fix == "budgetpolicy fmt policies/policy.toml"
    monkeypatch.chdir(repo)
    assert main(fix.split()[1:] + ["pyproject.toml"]) == 0
    assert "pool = 100000" in policy.read_text()
    assert (repo / "pyproject.toml").read_text() == PYPROJECT
    assert "left pyproject.toml alone" in capsys.readouterr().err


def test_shared_validate_hook_is_strict_like_inits(tmp_path, capsys):
    """A lint warning (BP909: a rating no criterion reads) fails both configs' validate hook."""
    repo = _policy_repository(tmp_path)
    capsys.readouterr()
    policy = repo / "policies" / "policy.toml"
    text = policy.read_text()
    policy.write_text(text + '\n[[approval.rules]]\nid = "odd-rating"\ncondition = "ratings.feasability > 9"\n'
                      'effect = "flag"\nmessage = "odd rating"\n')
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    local = _pre_commit(repo, "run", "budgetpolicy-validate", "--all-files")
    _shared_hooks_as_local(repo / ".pre-commit-config.yaml")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    shared = _pre_commit(repo, "run", "budgetpolicy-validate", "--all-files")
    for result in (local, shared):
        assert result.returncode == 1, result.stdout
        assert "BP909" in result.stdout and "policies/policy.toml" in result.stdout


def test_shared_hooks_never_name_data_or_project_files():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert hooks["budgetpolicy-validate"]["entry"] == "budgetpolicy validate --strict"
    for hook_id in ("budgetpolicy-validate", "budgetpolicy-fmt"):
        hook = hooks[hook_id]
        chosen = [f for f in ("policies/acme.toml", "policies/acme_test.toml", "pyproject.toml",
                              "policies/initiatives.toml", "sub/pyproject.toml", "data/initiatives.toml")
                  if re.search(hook["files"], f) and not re.search(hook.get("exclude", "^$"), f)]
        assert chosen == (["policies/acme.toml"] if hook_id == "budgetpolicy-validate"
                          else ["policies/acme.toml", "policies/acme_test.toml"])
