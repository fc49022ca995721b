"""The house rules, checked: layers and cycles (import-linter), types (mypy), sizes, honest values.

docs/architecture.md explains each rule; pyproject.toml holds the import-linter contracts and the mypy
configuration, so running ``lint-imports`` or ``mypy`` by hand gives the same answer as this test.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import budgetpolicy

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(budgetpolicy.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _env() -> dict[str, str]:
    # The package under test first on the path, as the editable install (or PYTHONPATH) has it.
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")])}


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=300)


def test_import_contracts_hold() -> None:
    # lint-imports is installed beside the interpreter running the suite (the test extra).
    result = _run(str(Path(sys.executable).with_name("lint-imports")), "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_mypy_finds_no_error() -> None:
    result = _run(sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_the_values_the_expression_language_and_the_engine_hold_to_strict() -> None:
    # The pyproject override says so too; checking the files with --strict itself keeps that honest.
    core = [str(PACKAGE / "model.py"), str(PACKAGE / "expr"), str(PACKAGE / "engine")]
    result = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, *core)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _stated_reason(tree: ast.Module) -> bool:
    doc = ast.get_docstring(tree) or ""
    return "over 400 lines because" in doc.replace("\n", " ")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_and_function_sizes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.count("\n")
    assert lines <= MAX_MODULE_LINES or _stated_reason(tree), \
        f"{path.name} has {lines} lines; split it, or say in its docstring why it is over 400 lines because ..."
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


def test_no_value_is_rewritten_after_construction() -> None:
    offenders = [str(p.relative_to(PACKAGE)) for p in MODULES if "object.__setattr__" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_plugin_manager_module_stays_small() -> None:
    lines = (PACKAGE / "plugins.py").read_text(encoding="utf-8").count("\n")
    assert lines < 100, f"plugins.py has {lines} lines: the manager only (registry and descriptions live elsewhere)"


def test_public_api_is_exported_and_documented() -> None:
    missing = [name for name in budgetpolicy.__all__ if not hasattr(budgetpolicy, name)]
    assert missing == []
    undocumented = [name for name in budgetpolicy.__all__ if not (getattr(budgetpolicy, name).__doc__ or "").strip()]
    assert undocumented == []
    for name in ("load_policy", "check_policy", "compile_policy", "read_initiatives", "evaluate",
                 "Evaluation", "Decision", "Explanation", "Ledger", "replay", "hookimpl", "BudgetPolicyError", "run_review"):
        assert name in budgetpolicy.__all__, name


def test_public_methods_and_fields_are_documented() -> None:
    """A notebook user's help(): every public method and property of every public class has a docstring,
    and the docstrings of the values a notebook holds name each of their fields."""
    import attrs
    import inspect

    undocumented = []
    for name in budgetpolicy.__all__:
        cls = getattr(budgetpolicy, name)
        if not inspect.isclass(cls):
            continue
        for attr, value in vars(cls).items():
            function = value.fget if isinstance(value, property) else getattr(value, "func", value)
            if not attr.startswith("_") and callable(function) and not (function.__doc__ or "").strip():
                undocumented.append(f"{name}.{attr}")
    assert undocumented == []
    for name in ("Evaluation", "Decision"):
        cls = getattr(budgetpolicy, name)
        unnamed = [f.name for f in attrs.fields(cls) if not f.name.startswith("_") and f"``{f.name}``" not in cls.__doc__]
        assert unnamed == [], name
    assert "to_records" in budgetpolicy.Evaluation.__doc__ and "to_pandas" in budgetpolicy.Evaluation.__doc__
