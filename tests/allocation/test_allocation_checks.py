"""Bad [allocation] settings: each gives its BP6xx code at the right key (and line, from a file)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import attrs
import pytest

from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.model import Baseline, Caps, Reserve
from budgetpolicy.allocation.checks import allocation_diagnostics
from budgetpolicy.engine.compile import compile_policy
from budgetpolicy.policy.load import load_policy, load_policy_text
from budgetpolicy.plugins import build_registry

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "tests" / "policy" / "fixtures" / "acme.toml"


@pytest.fixture(scope="module")
def policy():
    return load_policy(ACME)


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def check(policy, registry, **changes):
    changed = attrs.evolve(policy, allocation=attrs.evolve(policy.allocation, **changes))
    return [(d.code, d.location.key, d.severity) for d in allocation_diagnostics(changed, registry)]


def test_the_fixture_policy_is_clean(policy, registry):
    assert allocation_diagnostics(policy, registry) == []


@pytest.mark.parametrize("pool", [D(0), D(-5)])
def test_pool_must_be_positive(policy, registry, pool):
    assert ("BP601", "allocation.pool", "error") in check(policy, registry, pool=pool)


def test_baselines_over_the_pool(policy, registry):
    baselines = (Baseline("a", D(700000), department="Sales"), Baseline("b", D(600000), department="Ops"))
    assert check(policy, registry, baselines=baselines) == [("BP602", "allocation.baselines", "error")]


def test_baselines_plus_reserve_over_the_pool(policy, registry):
    # 1,100,000 of baselines fits in the 1,200,000 pool, but not with the 10% reserve (120,000).
    baselines = (Baseline("a", D(1100000), department="Sales"),)
    diags = allocation_diagnostics(attrs.evolve(policy, allocation=attrs.evolve(policy.allocation,
                                                                                 baselines=baselines)), registry)
    assert [d.code for d in diags] == ["BP602"]
    assert "plus the reserve 120000" in diags[0].message


def test_reserve_share_over_one(policy, registry):
    assert check(policy, registry, reserve=Reserve(share=D("1.5"))) == [("BP603", "allocation.reserve.share", "error")]


def test_reserve_needs_share_or_amount(policy, registry):
    assert check(policy, registry, reserve=Reserve()) == [("BP603", "allocation.reserve", "error")]
    assert check(policy, registry, reserve=Reserve(amount=D(2000000))) == \
        [("BP603", "allocation.reserve.amount", "error")]


def test_caps_below_minimum_viable(policy, registry):
    caps = Caps(per_initiative=D(1000), per_department={"Sales": D(500)}, per_kind={"conference": D(4000)})
    assert check(policy, registry, min_viable=D(2000), caps=caps) == [
        ("BP604", "allocation.caps.per_initiative", "error"),
        ("BP604", "allocation.caps.per_department.Sales", "error"),
    ]


def test_unknown_strategy_lists_registered_ones(policy, registry):
    changed = attrs.evolve(policy, allocation=attrs.evolve(policy.allocation, strategy="optimall"))
    [d] = allocation_diagnostics(changed, registry)
    assert (d.code, d.location.key) == ("BP605", "allocation.strategy")
    assert d.hint == "did you mean 'optimal'?; registered strategies: greedy, optimal"


def test_other_bad_values(policy, registry):
    assert check(policy, registry, unit=D(0)) == [("BP606", "allocation.unit", "error")]
    assert check(policy, registry, min_viable_share=D("1.2")) == [("BP607", "allocation.min_viable_share", "error")]
    assert check(policy, registry, tie_break=("score", "sccore")) == [("BP608", "allocation.tie_break[1]", "error")]
    assert check(policy, registry, baselines=(Baseline("x", D(0), department="Sales"),)) == \
        [("BP609", "allocation.baselines[0].amount", "error")]
    assert check(policy, registry, caps=Caps(per_kind={"conference": D(-1)})) == \
        [("BP610", "allocation.caps.per_kind.conference", "error")]
    assert check(policy, registry, baselines=(Baseline("x", D(10)),)) == [("BP611", "allocation.baselines[0]", "warning")]


def test_compile_reports_allocation_errors_with_file_and_line(registry):
    text = ACME.read_text().replace('strategy = "greedy"', 'strategy = "greedyy"')
    text = text.replace("amount = 150000", "amount = 1500000")
    policy = load_policy_text(text, path="acme.toml")
    with pytest.raises(PolicyLoadError) as err:
        compile_policy(policy, registry)
    found = {(d.code, d.location.key, d.location.file) for d in err.value.diagnostics}
    assert ("BP605", "allocation.strategy", "acme.toml") in found
    assert ("BP602", "allocation.baselines", "acme.toml") in found
    lines = text.splitlines()
    by_code = {d.code: d for d in err.value.diagnostics}
    assert 'strategy = "greedyy"' in lines[by_code["BP605"].location.line - 1]
    assert "allocation.baselines" in lines[by_code["BP602"].location.line - 1]


def test_solver_limits_are_checked(policy, registry):
    optimal = {"strategy": "optimal"}
    assert check(policy, registry, **optimal, time_limit=D(0)) == [("BP630", "allocation.time_limit", "error")]
    assert check(policy, registry, **optimal, mip_gap=D("1.5")) == [("BP631", "allocation.mip_gap", "error")]
    assert check(policy, registry, **optimal, time_limit=D(5), mip_gap=D("0.01")) == []
    # On the greedy strategy a solver limit does nothing: said once per key, as a warning.
    assert check(policy, registry, time_limit=D(5), mip_gap=D("0.01")) == [
        ("BP632", "allocation.time_limit", "warning"), ("BP632", "allocation.mip_gap", "warning")]


def test_solver_limits_are_read_from_the_policy_file_and_located(tmp_path):
    text = ACME.read_text().replace('strategy = "greedy"', 'strategy = "optimal"\ntime_limit = 2.5\nmip_gap = 0.001')
    policy = load_policy_text(text, path="acme.toml")
    assert (policy.allocation.time_limit, policy.allocation.mip_gap) == (D("2.5"), D("0.001"))
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("time_limit = 2.5", "time_limit = -1"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "budgetpolicy", "validate", str(bad)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr  # validate: 1 = the policy has problems
    [line] = [x for x in (result.stdout + result.stderr).splitlines() if "allocation.time_limit" in x]
    assert line.startswith(f"{bad}:121: allocation.time_limit: ") and "must be > 0, got -1" in line
