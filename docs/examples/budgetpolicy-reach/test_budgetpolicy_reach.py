from decimal import Decimal

import pytest

import budgetpolicy_reach
from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.testing import evaluate_with, evaluation_with, with_criterion


def test_registers_scorer_and_function(register_plugin):
    registry = register_plugin(budgetpolicy_reach)
    assert registry.scorers["reach"].plugin == "budgetpolicy_reach"
    assert "per_head" in registry.functions


def test_scores_in_a_policy(sample_policy, sample_initiatives):
    policy = with_criterion(sample_policy, "reach", {"target": 12}, weight=1)
    evaluation = evaluation_with(budgetpolicy_reach, policy, sample_initiatives)
    line = evaluation.explanation("SMP-1").scores[-1]
    assert (line.criterion, line.raw, line.detail) == ("reach", Decimal(1), "12 of 12 people")
    assert evaluation.explanation("SMP-2").scores[-1].raw == Decimal("0.5")  # 6 of 12


def test_bad_target_is_a_validation_error(sample_policy, sample_initiatives):
    policy = with_criterion(sample_policy, "reach", {"target": 0})
    with pytest.raises(PolicyLoadError, match="'target' must be > 0"):
        evaluate_with(budgetpolicy_reach, policy, sample_initiatives)
