"""Fixtures for the budget-year tests: the example plan recorded once, and a fresh copy of it per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from year_helpers import PLAN_SIGNOFFS, POLICY, copied, flag_policy, record_plan, sign


@pytest.fixture(scope="session")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding the bundled example's plan (the policy at record 1, 44 decisions from record 2)."""
    return record_plan(tmp_path_factory.mktemp("plan") / "plan.db", POLICY)


@pytest.fixture
def ledger(plan_file: Path, tmp_path: Path) -> Path:
    """A copy of the plan ledger this test may write to."""
    return copied(plan_file, tmp_path / "audit.db")


@pytest.fixture(scope="session")
def signed_plan_file(plan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan with every pending decision signed, as `make demo` signs it."""
    path = copied(plan_file, tmp_path_factory.mktemp("signed") / "signed.db")
    sign(path, PLAN_SIGNOFFS)
    return path


@pytest.fixture
def signed(signed_plan_file: Path, tmp_path: Path) -> Path:
    """A copy of the signed plan ledger this test may write to."""
    return copied(signed_plan_file, tmp_path / "signed.db")


@pytest.fixture(scope="session")
def flag_plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan under the policy that flags spend instead of refusing it (nothing signed)."""
    directory = tmp_path_factory.mktemp("flag")
    return record_plan(directory / "flag.db", str(flag_policy(directory)))


@pytest.fixture
def flagged(flag_plan_file: Path, tmp_path: Path) -> Path:
    """A copy of the flag-policy plan ledger this test may write to."""
    return copied(flag_plan_file, tmp_path / "flag.db")
