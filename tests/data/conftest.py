"""Shared fixtures for the data-loading tests: the built-in registry and file writers."""

from __future__ import annotations

import pytest

from budgetpolicy.plugins import get_plugin_manager
from budgetpolicy.registry import Registry


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.build(get_plugin_manager(entry_points=False))


@pytest.fixture
def write(tmp_path):
    """write(name, text_or_bytes) -> path as str."""
    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)
    return _write
