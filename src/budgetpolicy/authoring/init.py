"""Scaffold a policy repository (``budgetpolicy init DIR``).

The starter files live beside this module in ``scaffold/`` (package data):
a policy with its tests, sample initiatives, and the JSON Schemas copied into
``schemas/`` so the policy's ``#:schema ../schemas/policy.schema.json`` line
(and the test file's ``#:schema ../schemas/policy-test.schema.json``) works
offline in any editor (Taplo / Even Better TOML need a path or URL).
``.pre-commit-config.yaml`` runs ``validate``, ``fmt --check`` and ``test``
as ``repo: local`` hooks (``language: system``: the budgetpolicy installed
in the environment, so no repository URL is needed), the same checks the
project's ``.pre-commit-hooks.yaml`` offers to other repositories. The
README says how to install budgetpolicy honestly: it is not on PyPI, so from
a clone, a path or a git URL the user fills in. The starter passes its own checks.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from budgetpolicy.errors import Location, UsageError
from budgetpolicy.policy.schema import schema_path

PRE_COMMIT = """\
# Policy checks on every commit, run by the budgetpolicy installed in this environment (language: system):
#   pip install pre-commit, install budgetpolicy (see README.md), then: pre-commit install
# Only policies/*.toml reach the validate and fmt hooks; data files and pyproject.toml never do.
repos:
  - repo: local
    hooks:
      - id: budgetpolicy-validate
        name: budgetpolicy validate
        entry: budgetpolicy validate --strict
        language: system
        files: ^policies/.*\\.toml$
        exclude: _test\\.toml$
      - id: budgetpolicy-fmt
        name: budgetpolicy fmt --check
        entry: budgetpolicy fmt --check
        language: system
        files: ^policies/.*\\.toml$
      - id: budgetpolicy-test
        name: budgetpolicy test
        entry: budgetpolicy test policies
        language: system
        pass_filenames: false
        always_run: true
"""

README = """\
# Development-budget policy

Managed with budgetpolicy, a rules-driven policy engine for development budgets.

## Setting up

budgetpolicy is not published on PyPI: install it from the copy your organisation keeps, a clone of its
repository or a git URL (fill in your own):

```sh
python -m venv .venv && . .venv/bin/activate
pip install /path/to/budgetpolicy                  # a local clone
# or: pip install "budgetpolicy @ git+https://YOUR-GIT-HOST/budgetpolicy.git@COMMIT"
pip install pre-commit && pre-commit install      # the checks in .pre-commit-config.yaml on every commit
```

The hooks in `.pre-commit-config.yaml` are `repo: local` hooks that run the `budgetpolicy` installed in
the environment, so they need no repository URL and no network.

| path | what |
| --- | --- |
| `policies/policy.toml` | the policy (the `#:schema` line gives editors validation and completion) |
| `policies/policy_test.toml` | expected decisions for sample initiatives (`#:schema` line: the test-file schema) |
| `data/initiatives.csv` | sample initiatives |
| `schemas/` | JSON Schemas used by editors (`policy.schema.json`, `policy-test.schema.json`, data rows) |
| `.pre-commit-config.yaml` | validate, fmt --check and test on every commit |

```sh
budgetpolicy validate --strict policies/policy.toml
budgetpolicy fmt --check policies
budgetpolicy test policies
budgetpolicy evaluate --policy policies/policy.toml --initiatives data/initiatives.csv
budgetpolicy report --policy policies/policy.toml --initiatives data/initiatives.csv -o report.html --format html
```
"""


def scaffold_files() -> dict[str, str]:
    """Relative path -> content of every file ``init`` writes."""
    here = resources.files("budgetpolicy.authoring") / "scaffold"
    files = {
        "policies/policy.toml": (here / "policy.toml").read_text(encoding="utf-8"),
        "policies/policy_test.toml": (here / "policy_test.toml").read_text(encoding="utf-8"),
        "data/initiatives.csv": (here / "initiatives.csv").read_text(encoding="utf-8"),
        ".pre-commit-config.yaml": PRE_COMMIT,
        "README.md": README,
    }
    for name, text in schema_files().items():
        files[f"schemas/{name}"] = text
    return files


def schema_files() -> dict[str, str]:
    """The JSON Schemas shipped with the package (the repository copy when running from a checkout)."""
    folder = schema_path().parent
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.schema.json"))}


def init_repository(directory: str, *, force: bool = False) -> list[str]:
    """Write the starter repository into ``directory``; returns the paths written.

    Refuses a non-empty directory unless ``force`` (then only the scaffold's own files are overwritten).
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{directory} exists and is not a directory", Location(file=directory),
                         hint="choose a new directory name")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise UsageError(f"{directory} is not empty", Location(file=directory),
                         hint="choose an empty or new directory, or pass --force to overwrite the starter files")
    written = []
    for rel, text in scaffold_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(str(path))
    return written
