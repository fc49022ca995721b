"""Every semantic check of ``[allocation]`` (BP6xx) says exactly what is wrong, where and how to fix it.

Each case changes one setting of the bundled policy's allocation and asserts the whole list of
diagnostics: code, key path, message, hint and severity, and the edges of each range (a share of
exactly 1 and a reserve share of exactly 0 are allowed, 1.01 is not).
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve

from budgetpolicy.allocation.checks import allocation_diagnostics
from budgetpolicy.api import open_policy
from budgetpolicy.model import Baseline, Caps, FrozenMap, Reserve

ROOT = Path(__file__).resolve().parents[2]
COMPILED = open_policy(str(ROOT / "policies" / "acme-2026.toml"))
A = COMPILED.policy.allocation
assert A is not None and A.pool == D(480000) and A.strategy == "greedy"  # what the cases below assume

TIE = "use any of score, value, expected_value, cost, id"
SPLIT = "lower the baseline amounts or the reserve, or raise the pool"
BELOW = "raise the cap or lower allocation.min_viable: no initiative could be funded under it"
CASES: dict[str, tuple[dict[str, Any], list[tuple[str, str, str, str | None, str]]]] = {
    "pool 0": ({"pool": D(0)}, [("BP601", "allocation.pool", "pool must be greater than 0, got 0",
                                 "set the amount to split, e.g. 500000", "error")]),
    "pool 1": ({"pool": D(1)}, [("BP602", "allocation.baselines", "baselines sum to 100000 plus the reserve 0.1, "
                                 "more than the pool 1", SPLIT, "error")]),
    "unit 0": ({"unit": D(0)}, [("BP606", "allocation.unit", "unit must be greater than 0, got 0",
                                 "use 1 for whole units or 0.01 for cents", "error")]),
    "min_viable -1": ({"min_viable": D(-1)}, [("BP607", "allocation.min_viable", "min_viable must be >= 0, got -1",
                                               None, "error")]),
    "min_viable_share 1": ({"min_viable_share": D(1)}, []),
    "min_viable_share 0": ({"min_viable_share": D(0)}, []),
    "min_viable_share 1.01": ({"min_viable_share": D("1.01")}, [
        ("BP607", "allocation.min_viable_share", "min_viable_share 1.01 is outside 0..1",
         "a share of the request, e.g. 0.5 for half", "error")]),
    "tie-break keys": ({"tie_break": ("scor", "id", "zzz")}, [
        ("BP608", "allocation.tie_break[0]", "unknown tie-break key 'scor'", f"did you mean 'score'?; {TIE}", "error"),
        ("BP608", "allocation.tie_break[2]", "unknown tie-break key 'zzz'", TIE, "error")]),
    "time_limit 0": ({"time_limit": D(0), "strategy": "optimal"}, [
        ("BP630", "allocation.time_limit", "time_limit must be greater than 0 seconds, got 0",
         "give the seconds the solver may search, e.g. 10, or leave it out for no limit", "error")]),
    "mip_gap 1.5": ({"mip_gap": D("1.5"), "strategy": "optimal"}, [
        ("BP631", "allocation.mip_gap", "mip_gap 1.5 is outside 0..1",
         "a relative gap such as 0.001 (0.1%); 0 or no mip_gap asks for an exact optimum", "error")]),
    "mip_gap 1 and 0": ({"mip_gap": D(1), "time_limit": D("0.5"), "strategy": "optimal"}, []),
    "limits on greedy": ({"time_limit": D(5), "mip_gap": D("0.1")}, [
        ("BP632", "allocation.time_limit", "time_limit applies to the optimal strategy only; strategy is 'greedy'",
         'remove time_limit or set strategy = "optimal"', "warning"),
        ("BP632", "allocation.mip_gap", "mip_gap applies to the optimal strategy only; strategy is 'greedy'",
         'remove mip_gap or set strategy = "optimal"', "warning")]),
    "reserve share and amount": ({"reserve": Reserve(share=D("0.1"), amount=D(5))}, [
        ("BP603", "allocation.reserve", "reserve needs exactly one of share or amount",
         "e.g. share = 0.1 for 10% of the pool", "error")]),
    "reserve share 1.2": ({"reserve": Reserve(share=D("1.2"))}, [
        ("BP603", "allocation.reserve.share", "reserve share 1.2 is outside 0..1 (0.1 = 10%)",
         "a share of the pool between 0 and 1", "error")]),
    "reserve share 0": ({"reserve": Reserve(share=D(0))}, []),
    "reserve share 1": ({"reserve": Reserve(share=D(1))}, [
        ("BP602", "allocation.baselines", "baselines sum to 100000 plus the reserve 480000, more than the pool "
         "480000", SPLIT, "error")]),
    "reserve amount -5": ({"reserve": Reserve(amount=D(-5))}, [
        ("BP603", "allocation.reserve.amount", "reserve amount must be >= 0, got -5", None, "error")]),
    "reserve amount over the pool": ({"reserve": Reserve(amount=D(480001))}, [
        ("BP603", "allocation.reserve.amount", "reserve amount 480001 is more than the pool 480000",
         "lower the reserve or raise the pool", "error")]),
    "reserve amount the pool less the baselines": ({"reserve": Reserve(amount=D(380000))}, []),
    "strategy misspelt": ({"strategy": "gredy"}, [
        ("BP605", "allocation.strategy", "unknown allocation strategy 'gredy'",
         "did you mean 'greedy'?; registered strategies: greedy, optimal", "error")]),
    "strategy unknown": ({"strategy": "zzzz"}, [
        ("BP605", "allocation.strategy", "unknown allocation strategy 'zzzz'", "registered strategies: greedy, optimal",
         "error")]),
    "baseline 0": ({"baselines": (Baseline(id="x", amount=D(0), department="Sales"),)}, [
        ("BP609", "allocation.baselines[0].amount", "baseline 'x' amount must be greater than 0, got 0", None,
         "error")]),
    "baseline for everyone": ({"baselines": (Baseline(id="y", amount=D(10)),)}, [
        ("BP611", "allocation.baselines[0]", "baseline 'y' names no role, department or kind, so every initiative "
         "counts toward it", "add role, department or kind", "warning")]),
    "negative caps": ({"caps": Caps(per_initiative=D(-1), per_department=FrozenMap({"Sales": D(-2)}),
                                    per_kind=FrozenMap({"coaching": D(-3)}))}, [
        ("BP610", "allocation.caps.per_initiative", "per-initiative cap must be >= 0, got -1", None, "error"),
        ("BP610", "allocation.caps.per_department.Sales", "department cap Sales must be >= 0, got -2", None, "error"),
        ("BP610", "allocation.caps.per_kind.coaching", "kind cap coaching must be >= 0, got -3", None, "error")]),
    "caps below min_viable": ({"min_viable": D(5000), "caps": Caps(
        per_initiative=D(4000), per_department=FrozenMap({"Sales": D(4999)}), per_kind=FrozenMap({"coaching": D(5000)}))}, [
        ("BP604", "allocation.caps.per_initiative", "per-initiative cap 4000 is below the minimum viable funding 5000",
         BELOW, "error"),
        ("BP604", "allocation.caps.per_department.Sales", "department cap Sales 4999 is below the minimum viable "
         "funding 5000", BELOW, "error")]),
    "caps below min_viable without partial funding": ({"partial": False, "min_viable": D(5000),
                                                       "caps": Caps(per_initiative=D(4000))}, []),
    "cap 0": ({"caps": Caps(per_initiative=D(0))}, []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_allocation_setting_is_checked_with_its_place_and_fix(name: str) -> None:
    changes, expected = CASES[name]
    policy = evolve(COMPILED.policy, allocation=evolve(A, **changes))
    found = allocation_diagnostics(policy, COMPILED.registry)
    assert [(d.code, d.location.key, d.message, d.hint, d.severity) for d in found] == expected


def test_the_bundled_allocation_is_clean_and_each_place_has_its_line() -> None:
    assert allocation_diagnostics(COMPILED.policy, COMPILED.registry) == []
    found = allocation_diagnostics(evolve(COMPILED.policy, allocation=evolve(A, pool=D(0), unit=D(0))))
    text = (ROOT / "policies" / "acme-2026.toml").read_text(encoding="utf-8").splitlines()
    for d in found:  # without a registry the strategy is not checked; the line is the key's own
        key = d.location.key.rsplit(".", 1)[1]
        assert d.location.line is not None and text[d.location.line - 1].lstrip().startswith(f"{key} ="), d


@pytest.mark.parametrize("reserve, expected", [
    (D(-5), [("BP612", "requests.reserve", "the mid-year reserve must be >= 0, got -5", None, "error")]),
    (D(400000), [("BP612", "requests.reserve", "the mid-year reserve 400000 with the baselines (100000) and the "
                  "allocation reserve (48000) is more than the pool 480000",
                  "lower [requests] reserve, the baselines or the allocation reserve, or raise the pool", "error")]),
    (D(332000), []),  # 332000 + 100000 + 48000 is exactly the pool
    (D(332001), [("BP612", "requests.reserve", "the mid-year reserve 332001 with the baselines (100000) and the "
                  "allocation reserve (48000) is more than the pool 480000",
                  "lower [requests] reserve, the baselines or the allocation reserve, or raise the pool", "error")]),
])
def test_the_mid_year_reserve_fits_beside_the_baselines_and_the_allocation_reserve(reserve, expected) -> None:
    from budgetpolicy.model import RequestsPolicy

    policy = evolve(COMPILED.policy, requests=RequestsPolicy(reserve=reserve))
    assert [(d.code, d.location.key, d.message, d.hint, d.severity)
            for d in allocation_diagnostics(policy, COMPILED.registry)] == expected


def test_an_allocation_reserve_of_exactly_0_is_allowed() -> None:
    policy = evolve(COMPILED.policy, allocation=evolve(A, reserve=Reserve(amount=D(0), kinds=("stretch",))))
    assert allocation_diagnostics(policy, COMPILED.registry) == []
