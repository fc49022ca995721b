"""Semantic checks (BP2xx): what the schema cannot say, with exact codes, key paths and lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from budgetpolicy.errors import Diagnostic, Location, PolicyLoadError
from budgetpolicy.model import KPI, Approval, Criterion, Policy, PolicyTest, Priority, Scoring
from budgetpolicy.policy.load import check_policy, check_policy_text, load_policy, load_policy_text
from budgetpolicy.policy.checks import semantic_diagnostics

from conftest import FIXTURES, MINIMAL, triples


def test_every_semantic_problem_at_once():
    policy, diags = check_policy(FIXTURES / "semantic_errors.toml")
    assert policy is None
    assert [(d.code, d.location.key, d.location.line, d.severity) for d in diags] == [
        ("BP210", "effective_until", 6, "error"),
        ("BP203", "priorities[0].kpi.target", 18, "error"),
        ("BP201", "priorities[1].id", 21, "error"),
        ("BP205", "priorities[1].weight", 23, "error"),
        ("BP202", "priorities[1].kpi.target", 29, "error"),
        ("BP206", "scoring.criteria", 33, "error"),
        ("BP208", "approval.rules[0]", 42, "error"),
        ("BP209", "approval.rules[1].role", 52, "error"),
        ("BP210", "approval.rules[1].effective_until", 55, "error"),
        ("BP212", "calibration.shrinkage", 58, "error"),
        ("BP211", "calibration.min_factor", 59, "error"),
        ("BP213", "reallocation.release_share", 63, "error"),
        ("BP213", "reallocation.scale_max_share", 64, "error"),
        ("BP214", "sunset.criteria[0]", 66, "error"),
        ("BP219", "sunset.criteria[1].threshold", 74, "warning"),
        ("BP216", "tests[0].expect.reasons[0]", 80, "error"),
        ("BP218", "tests[0].expect.approvers", 81, "warning"),
        ("BP217", "tests[0].expect.score_min", 82, "error"),
    ]
    by_code = {d.code: d for d in diags}
    assert by_code["BP201"].hint == "already used by priorities[0] (line 9); ids must be unique"
    assert by_code["BP206"].message == ('criterion weights sum to 0.8, not exactly 1 '
                                        '(scoring.weights = "strict")')
    assert "0.5 + 0.3 = 0.8" in by_code["BP206"].hint
    assert by_code["BP216"].hint == "did you mean 'big'?"


def test_load_policy_raises_with_errors_only():
    with pytest.raises(PolicyLoadError) as info:
        load_policy(FIXTURES / "semantic_errors.toml")
    assert all(d.severity == "error" for d in info.value.diagnostics)
    assert len(info.value.diagnostics) == 16
    assert len(str(info.value).splitlines()) == 16


PRIORITY = """
[[priorities]]
id = "{id}"
name = "{id}"
weight = {weight}
[priorities.kpi]
metric = "m"
unit = "%"
direction = "higher"
baseline = 1
target = 2
"""


def test_priority_weights_not_summing_to_one_is_a_warning_with_normalised_values():
    text = MINIMAL.replace("weight = 1\n[priorities.kpi]", "weight = 0.5\n[priorities.kpi]", 1)
    text += PRIORITY.format(id="b", weight="0.3") + PRIORITY.format(id="c", weight="0.4")
    policy, diags = check_policy_text(text, "p.toml")
    assert policy is not None  # warnings do not stop loading
    assert triples(diags) == [("BP204", "priorities", 6)]
    assert diags[0].severity == "warning"
    assert diags[0].message == "priority weights sum to 1.2, not 1"
    # 0.5/1.2, 0.3/1.2, 0.4/1.2 to six places
    assert diags[0].hint == "normalised: a = 0.416667, b = 0.25, c = 0.333333"
    assert load_policy_text(text).priorities[2].weight == Decimal("0.4")


def test_strict_weights_sum_exactly_in_decimal():
    # 0.1 + 0.2 + 0.7 is exactly 1 in decimal (binary floats would miss it).
    criteria = "".join(f'[[scoring.criteria]]\nid = "c{i}"\nscorer = "rating"\nweight = {w}\n'
                       for i, w in enumerate(["0.1", "0.2", "0.7"]))
    text = MINIMAL.split("[[scoring.criteria]]")[0] + criteria
    policy = load_policy_text(text)
    assert [c.weight for c in policy.scoring.criteria] == [Decimal("0.1"), Decimal("0.2"), Decimal("0.7")]


def test_normalise_mode_allows_any_positive_weights_but_not_zero(check):
    base = MINIMAL.replace("[scoring]\n", '[scoring]\nweights = "normalise"\n')
    policy, found = check(base[: base.rindex("weight = 1")] + "weight = 3\n")
    assert found == [] and policy.scoring.criteria[0].weight == Decimal(3)
    _, found = check(base[: base.rindex("weight = 1")] + "weight = 0\n")
    assert found == [("BP207", "scoring.criteria[0].weight", 22)]


def test_duplicate_rule_ids():
    rules = "".join(f'\n[[approval.rules]]\nid = "{rid}"\ncondition = "x"\neffect = "flag"\nmessage = "m"\n'
                    for rid in ("a", "b", "a"))
    _, diags = check_policy_text(MINIMAL + rules, "p.toml")
    assert triples(diags) == [("BP201", "approval.rules[2].id", 36)]
    assert diags[0].hint == "already used by approval.rules[0] (line 23); ids must be unique"


def _bare_policy(**changes) -> Policy:
    kpi = KPI(metric="m", unit="%", direction="higher", baseline=Decimal(1), target=Decimal(2))
    values = dict(id="p", version="1", effective_date=dt.date(2026, 1, 1), currency="USD",
                  priorities=(Priority(id="a", name="A", kpi=kpi, weight=Decimal(1)),),
                  scoring=Scoring(criteria=(Criterion(id="v", scorer="expected_value", weight=Decimal(1)),)),
                  approval=Approval())
    values.update(changes)
    return Policy(**values)


def test_policies_built_in_python_are_checked_without_lines():
    policy = _bare_policy(tests=(PolicyTest(name="t", initiative={"id": "x"}, expect={"outcome": "aproved"}),))
    diags = semantic_diagnostics(policy)
    assert diags == [Diagnostic("BP215", "unknown outcome 'aproved'",
                                Location(key="tests[0].expect.outcome"), "did you mean 'approved'?")]
    assert semantic_diagnostics(_bare_policy()) == []


def test_allocation_is_left_to_the_compile_stage(check):
    # Baselines over the pool are the allocation stage's check (with the plugin registry), not this one.
    policy, found = check(MINIMAL + '\n[allocation]\npool = 10\n[[allocation.baselines]]\nid = "b"\n'
                                    'amount = 50\nkind = "coaching"\n')
    assert found == [] and policy.allocation.baselines[0].amount == Decimal(50)
