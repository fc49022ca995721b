"""Fixtures for the audit tests: the example policy and a small ledger holding it."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_helpers import EXAMPLE_POLICY, make_entry

from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.policy.load import load_policy


@pytest.fixture
def example_policy():
    return load_policy(EXAMPLE_POLICY)


@pytest.fixture
def ledger_path(tmp_path: Path, example_policy) -> Path:
    """A ledger with the example policy (record 1) and 10 decisions (records 2-11)."""
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        src = example_policy.source
        ledger.put_policy(src.text, src.sha256, example_policy.id, example_policy.version)
        ledger.append([make_entry(i) for i in range(1, 11)])
    return path
