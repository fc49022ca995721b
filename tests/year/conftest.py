"""Fixtures for the budget-year tests: the example plan recorded once, and a fresh copy of it per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from year_helpers import INITIATIVES, PLAN_SIGNOFFS, PLANNED_AT, POLICY, flag_policy, sign

import budgetpolicy as bp
from budgetpolicy.audit.record import record_evaluation


@pytest.fixture(scope="session")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding the bundled example's plan (the policy at record 1, 44 decisions from record 2)."""
    path = tmp_path_factory.mktemp("plan") / "plan.db"
    evaluation = bp.run_cycle(POLICY, INITIATIVES, evaluated_at=PLANNED_AT)
    record_evaluation(path, evaluation, evaluation.initiatives)
    return path


@pytest.fixture
def ledger(plan_file: Path, tmp_path: Path) -> Path:
    """A copy of the plan ledger this test may write to."""
    path = tmp_path / "audit.db"
    shutil.copyfile(plan_file, path)
    return path


@pytest.fixture(scope="session")
def signed_plan_file(plan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan with every pending decision signed, as `make demo` signs it."""
    path = tmp_path_factory.mktemp("signed") / "signed.db"
    shutil.copyfile(plan_file, path)
    sign(path, PLAN_SIGNOFFS)
    return path


@pytest.fixture
def signed(signed_plan_file: Path, tmp_path: Path) -> Path:
    """A copy of the signed plan ledger this test may write to."""
    path = tmp_path / "signed.db"
    shutil.copyfile(signed_plan_file, path)
    return path


@pytest.fixture(scope="session")
def flag_plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan under the policy that flags spend instead of refusing it (nothing signed)."""
    directory = tmp_path_factory.mktemp("flag")
    path = directory / "flag.db"
    evaluation = bp.run_cycle(str(flag_policy(directory)), INITIATIVES, evaluated_at=PLANNED_AT)
    record_evaluation(path, evaluation, evaluation.initiatives)
    return path


@pytest.fixture
def flagged(flag_plan_file: Path, tmp_path: Path) -> Path:
    """A copy of the flag-policy plan ledger this test may write to."""
    path = tmp_path / "flag.db"
    shutil.copyfile(flag_plan_file, path)
    return path
