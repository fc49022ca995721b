"""Helpers for the governance tests: run the CLI in-process and capture its output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from budgetpolicy.cli import main

from authoring_helpers import FIXTURES


@pytest.fixture
def cli(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of the mini policy and its sibling tests in a temporary directory."""
    for name in ("mini.toml", "mini_test.toml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "schemas").mkdir()
    return tmp_path
