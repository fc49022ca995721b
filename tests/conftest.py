"""Suite-wide test settings for the core tests under ``tests/``.

Installed third-party plugins (the examples under ``plugins/`` are installed
into the same environment) must not change core results, so the core suite
runs with ``BUDGETPOLICY_PLUGINS=""``: only the built-ins load. Tests that
exercise entry points set the variable explicitly (``monkeypatch.setenv`` or
the ``env`` of a subprocess). The fixture is session-scoped so module- and
session-scoped fixtures that build a registry already see it.

Tables written off a terminal are ``COLUMNS`` characters wide (else 100); pytest-xdist workers set
``COLUMNS=80`` and a developer's shell may export another width, so the suite pins it to the default:
the same text whether the suite runs in one process or two. Tests of other widths set it themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from budgetpolicy.plugins import PINNED_ENV


@pytest.fixture(scope="session", autouse=True)
def _default_table_width() -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


@pytest.fixture(scope="session", autouse=True)
def _no_third_party_plugins() -> Iterator[None]:
    saved = os.environ.get(PINNED_ENV)
    os.environ[PINNED_ENV] = ""
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(PINNED_ENV, None)
        else:
            os.environ[PINNED_ENV] = saved
