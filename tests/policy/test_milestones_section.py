"""``[milestones]``: the ramp and the completion target, with their defaults and located errors."""

from __future__ import annotations

from decimal import Decimal as D

from conftest import MINIMAL

from budgetpolicy.model import MilestonePolicy
from budgetpolicy.policy.load import check_policy_text


def test_absent_table_means_the_defaults(check):
    policy, diags = check(MINIMAL)
    assert diags == [] and policy.milestones is None  # the review then uses MilestonePolicy()
    assert MilestonePolicy() == MilestonePolicy(ramp="linear", completed_at=D(1))


def test_keys_are_read_exactly(check):
    policy, diags = check(MINIMAL + '\n[milestones]\nramp = "back-loaded"\ncompleted_at = 0.85\n')
    assert diags == []
    assert policy.milestones == MilestonePolicy(ramp="back-loaded", completed_at=D("0.85"))
    policy, _ = check(MINIMAL + '\n[milestones]\nramp = "none"\n')
    assert policy.milestones == MilestonePolicy(ramp="none")


def test_bad_values_are_located_with_a_fix():
    text = MINIMAL + '\n[milestones]\nramp = "lineer"\ncompleted_at = -1\ntarget = 1\n'
    policy, diags = check_policy_text(text, "p.toml")
    assert policy is None
    found = {d.location.key: (d.location.line, d.hint) for d in diags}
    assert found["milestones.ramp"] == (24, "did you mean 'linear'?")
    assert found["milestones.completed_at"][0] == 25
    assert "expected non-negative ratio, got number -1" in [d.message for d in diags]
    assert found["milestones.target"][0] == 26  # an unknown key
