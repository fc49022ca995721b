"""``[roles]``: who holds each approver role; schema errors, the model value, and BP220 for a role nobody holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetpolicy.model import FrozenMap
from budgetpolicy.policy.load import check_policy, check_policy_text, load_policy_text

from conftest import MINIMAL

ROOT = Path(__file__).resolve().parents[2]

# Lines 22-33 of the policy: two require rules (vp, finance) after MINIMAL's 21 lines.
RULES = """
[[approval.rules]]
id = "vp-over-25k"
condition = "cost > 25000"
effect = "require"
role = "vp"
message = "m"
[[approval.rules]]
id = "finance-over-50k"
condition = "cost > 50000"
effect = "require"
role = "finance"
message = "m"
"""


def test_roles_become_a_frozen_map_of_holder_tuples():
    policy = load_policy_text(MINIMAL + RULES + '[roles]\nvp = ["e1042", "e1187"]\nfinance = ["Dana Lee"]\n')
    assert policy.roles == {"vp": ("e1042", "e1187"), "finance": ("Dana Lee",)}
    assert isinstance(policy.roles, FrozenMap) and policy.roles["vp"] == ("e1042", "e1187")


def test_without_a_roles_table_the_policy_has_none_and_no_warning(check):
    policy, found = check(MINIMAL + RULES)
    assert policy.roles == {} and found == []


def test_a_required_role_the_table_does_not_list_is_a_warning_with_did_you_mean(check):
    policy, found = check(MINIMAL + RULES + '[roles]\nvp = ["e1042"]\nfinanse = ["e2210"]\n')
    assert policy is not None  # a warning: the policy still loads
    assert found == [("BP220", "approval.rules[1].role", 33)]
    _, diags = check_policy_text(MINIMAL + RULES + '[roles]\nvp = ["e1042"]\nfinanse = ["e2210"]\n', "p.toml")
    (warning,) = diags
    assert warning.severity == "warning"
    assert warning.message == "rule 'finance-over-50k' requires role 'finance', which [roles] does not list"
    assert warning.hint == "did you mean 'finanse'?"


def test_a_role_with_no_near_name_says_how_to_add_it():
    _, diags = check_policy_text(MINIMAL + RULES + '[roles]\nvp = ["e1042"]\n', "p.toml")
    (warning,) = diags
    assert warning.hint == 'add finance = ["..."] to [roles], naming who may sign off for it'


@pytest.mark.parametrize("roles, code, key, message", [
    ('vp = []', "BP116", "roles.vp", "needs at least 1 item(s)"),
    ('vp = ["e1", "e1"]', "BP116", "roles.vp", "contains duplicate items"),
    ('vp = [""]', "BP115", "roles.vp[0]", "must not be empty"),
    ('vp = "e1042"', "BP112", "roles.vp", None),
    ('vp = [1042]', "BP112", "roles.vp[0]", None),
])
def test_bad_holders_are_schema_errors(roles, code, key, message):
    policy, diags = check_policy_text(MINIMAL + RULES + "[roles]\n" + roles + "\n", "p.toml")
    assert policy is None
    (diag,) = diags
    assert (diag.code, diag.location.key, diag.location.line) == (code, key, 36)
    if message:
        assert diag.message == message


def test_the_bundled_policy_names_a_holder_for_every_role_its_rules_require():
    policy, diags = check_policy(ROOT / "policies" / "acme-2026.toml")
    assert policy is not None and not [d for d in diags if d.code == "BP220"]
    required = {r.role for r in policy.approval.rules if r.effect == "require"}
    assert required == {"vp", "finance", "director"} <= set(policy.roles)
    assert all(policy.roles[role] for role in required)
