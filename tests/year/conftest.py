"""Fixtures for the budget-year tests: the example plan recorded once, and a fresh copy of it per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from year_helpers import INITIATIVES, PLANNED_AT, POLICY

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
