"""The explanation names the constraint that binds (issue 21, item 6), through the CLI on the bundled
example: INI-019 is stopped by the Engineering cap (185,000 of 200,000 used), not by the 500 left in the
pool, so no larger pool funds it; a what-if lists what a larger pool funds and what it drops apart."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.problem import Candidate
from budgetpolicy.model import AllocationPolicy, Reserve

ROOT = Path(__file__).resolve().parents[2]
PLAN = ("-P", str(ROOT / "policies" / "acme-2026.toml"), "-i", str(ROOT / "policies" / "acme-2026.initiatives.csv"),
        "--evaluated-at", "2026-01-15T09:00:00+00:00")
D = Decimal


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_ini_019_names_the_engineering_cap_not_the_pool():
    out = " ".join(cli("explain", *PLAN, "INI-019").stdout.split())
    why = ("department cap Engineering (200,000) binds: 185,000 used, 15,000 left, below minimum viable funding "
           "42,500; a larger pool would not fund it")
    assert f"Allocation: USD 0 of 85,000 (unfunded, rank 33): unfunded: {why}" in out
    assert "only 500 left in the pool" not in out
    # The counterfactual agrees: no pool funds it, and it says which limit still binds.
    assert "no larger pool alone would fund it (with the pool" in out
    assert "department cap Engineering (200,000) binds" in out.split("What would change the answer")[1]
    assert "per 1,000 spent" in out and "per dollar" not in out


def test_a_larger_pool_indeed_does_not_fund_ini_019():
    doc = json.loads(cli("evaluate", *PLAN, "--what-if-pool", "+150000", "-f", "json").stdout)
    changed = {c["id"] for c in doc["what_if"]["changes"]}
    assert "INI-019" not in changed and "INI-033" in changed  # a pool-bound bet is funded
    ini033 = next(c for c in doc["what_if"]["changes"] if c["id"] == "INI-033")
    assert ini033["direction"] == "fund" and ini033["reason"].startswith("partially funded")


def test_what_if_separates_what_it_would_fund_from_what_it_would_drop():
    out = cli("evaluate", *PLAN, "--what-if-pool", "+50000").stdout
    what_if = out.split("What if the pool were USD +50,000:")[1]
    funds, drops = what_if.split("would drop, lowest-ranked first:")
    funds, drops = " ".join(funds.split()), " ".join(drops.split())
    assert "would fund, in order: 1. INI-005 Sales engineer certification: funded USD 30,000 of 30,000" in funds
    assert "INI-032" in funds and "INI-031" not in funds
    assert drops.startswith("1. INI-031 Stretch: run the beta programme: loses all USD 10,000; expected value "
                            "-0.010714 (unfunded: ranked below the cut-off at EV 0.0011 per 1,000)")
    assert "total: USD +50,500 allocated, expected value +0.054964" in drops


def test_the_pool_is_named_with_the_reserve_it_holds_back():
    # 20 of 100 is held for pilots and not released: 'a' (80) takes the rest, 'b' finds nothing left.
    cands = [Candidate("a", D(80), D(8), D("0.5"), "workshop", "Ops"), Candidate("b", D(30), D(2), D("0.5"), "workshop", "Ops")]
    policy = AllocationPolicy(pool=D(100), reserve=Reserve(share=D("0.2"), kinds=("pilot",), release_unused=False),
                              partial=False)
    r = greedy_allocate(cands, policy)
    assert r.fundings["b"].explanation == ("unfunded: ranked below the cut-off at EV 67 per 1,000 (20 held in the "
                                           "reserve for pilot)")
