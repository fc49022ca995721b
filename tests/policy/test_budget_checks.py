"""Budget-specific static checks (BP24x): each fires on a crafted policy, none on the bundled example."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from budgetpolicy.api import check_policy
from budgetpolicy.policy.budget_checks import Interval, condition_region, region_within, static_diagnostics
from budgetpolicy.policy.load import load_policy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STATIC = str(HERE / "fixtures" / "static.toml")
ACME = str(ROOT / "policies" / "acme-2026.toml")


def _by_code():
    out: dict[str, list] = {}
    for d in static_diagnostics(load_policy(STATIC)):
        out.setdefault(d.code, []).append(d)
    return out


def test_unreachable_require_after_a_broader_reject():
    [d] = [d for d in _by_code()["BP240"] if d.location.key == "approval.rules[1].condition"]
    assert d.severity == "warning"
    assert "'finance-over-50k'" in d.message and "'too-expensive'" in d.message
    assert "approval.rules[0]" in d.message
    assert d.location.line == 34


def test_condition_that_can_never_hold():
    [d] = [d for d in _by_code()["BP240"] if d.location.key == "approval.rules[4].condition"]
    assert "can never fire" in d.message


def test_nested_thresholds_with_same_effect_and_role():
    [d] = _by_code()["BP241"]
    assert d.location.key == "approval.rules[3].condition"
    assert "'director-over-20k'" in d.message and "'director-over-10k'" in d.message


def test_baselines_over_their_department_cap_is_an_error():
    [d] = _by_code()["BP242"]
    assert d.severity == "error"
    assert d.location.key == "allocation.baselines[1].amount"
    assert "55,000" in d.message and "50,000" in d.message


def test_reserve_that_its_kind_caps_can_never_spend():
    [d] = _by_code()["BP243"]
    assert d.location.key == "allocation.reserve"
    assert "only 14,000" in d.message and "6,000 can never be spent" in d.message


def test_kinds_the_policy_always_rejects():
    keys = sorted(d.location.key for d in _by_code()["BP244"])
    assert keys == ["allocation.baselines[2].kind", "allocation.reserve.kinds[1]"]


def test_sunset_criteria_that_never_trigger():
    found = {d.location.key: d.message for d in _by_code()["BP245"]}
    assert set(found) == {"sunset.criteria[1]", "sunset.criteria[2].threshold"}
    assert "'low'" in found["sunset.criteria[1]"]


def test_rule_expired_before_the_policy_starts():
    [d] = _by_code()["BP246"]
    assert d.location.key == "approval.rules[6].effective_until"
    assert "2025-06-30" in d.message


def test_rule_expired_before_today_only_when_today_is_given():
    policy = load_policy(STATIC)
    assert not [d for d in static_diagnostics(policy) if d.code == "BP247"]
    on_31 = [d for d in static_diagnostics(policy, dt.date(2026, 3, 31)) if d.code == "BP247"]
    assert on_31 == []  # spring-gate is still in force on its last day
    [d] = [d for d in static_diagnostics(policy, dt.date(2026, 4, 1)) if d.code == "BP247"]
    assert d.location.key == "approval.rules[7].effective_until"


def test_reserve_with_no_kinds(tmp_path):
    text = Path(STATIC).read_text().replace('kinds = ["stretch", "conference"]', "kinds = []")
    path = tmp_path / "p.toml"
    path.write_text(text)
    codes = [(d.code, d.location.key) for d in static_diagnostics(load_policy(str(path)))]
    assert ("BP244", "allocation.reserve.kinds") in codes


def test_bundled_policy_is_clean_and_check_policy_reports_them():
    assert static_diagnostics(load_policy(ACME)) == []
    _, diagnostics = check_policy(STATIC)
    assert {d.code for d in diagnostics} >= {"BP240", "BP241", "BP242", "BP243", "BP244", "BP245", "BP246"}


def test_regions_of_simple_conditions():
    assert condition_region("cost > 25000") == {"cost": Interval(low=25000)}
    assert condition_region("cost / headcount > 6000") is None  # not simple: no claim
    assert condition_region("kind == 'stretch' and not mentor") == {
        "kind": frozenset({"stretch"}), "mentor?": frozenset({False})}
    assert region_within(condition_region("cost >= 50000"), condition_region("cost > 25000"))
    assert not region_within(condition_region("cost >= 25000"), condition_region("cost > 25000"))
    assert not region_within(condition_region("cost > 50000"), condition_region("cost > 25000 and pilot"))


def test_validate_cli_fails_on_the_crafted_policy():
    run = subprocess.run([sys.executable, "-m", "budgetpolicy", "validate", STATIC],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1
    assert "BP242 error" in run.stderr and "BP240 warning" in run.stdout
