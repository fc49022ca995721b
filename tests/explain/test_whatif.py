"""What another dollar buys: the what-if list matches a manual re-run with the changed pool."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.explain.whatif import marginal_values, what_if_pool, what_if_text

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "policies" / "acme-2026.toml")
ACME_DATA = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def acme():
    compiled = open_policy(ACME)
    initiatives = read_initiatives(ACME_DATA, compiled.registry, attribute_types=compiled.policy.attributes)
    return compiled, initiatives, evaluate(compiled, initiatives, evaluated_at=AT)


@pytest.mark.parametrize("delta", [D(50000), D(-20000)])
def test_what_if_matches_a_manual_re_run(acme, delta):
    compiled, initiatives, base = acme
    what = what_if_pool(compiled, initiatives, base, delta)
    manual = evaluate(compiled, initiatives, evaluated_at=AT, pool_delta=delta)
    expected = {}
    for d in base.decisions:
        after = manual.decision(d.initiative_id).allocation
        if after != d.allocation:
            requested = (manual.decision(d.initiative_id).funding or d.funding).requested
            expected[d.initiative_id] = (d.allocation, after,
                                         (d.expected_value * (after - d.allocation) / requested).quantize(D("0.000001")))
    assert expected, "a pool change of this size must change something in the bundled example"
    assert {c.initiative_id: (c.before, c.after, c.value_change) for c in what.changes} == expected
    assert what.spent_change == sum(a - b for b, a, _ in expected.values())
    # Never more than the new money plus what the base run left over.
    assert what.spent_change <= delta + base.allocation.summary.leftover
    assert what.value_change == sum(v for _, _, v in expected.values())


def test_increase_lists_in_allocation_order_and_cut_drops_lowest_rank_first(acme):
    compiled, initiatives, base = acme
    up = what_if_pool(compiled, initiatives, base, D(50000))
    gained = [c.rank for c in up.changes if c.after > c.before]
    assert gained == sorted(gained)
    down = what_if_pool(compiled, initiatives, base, D(-20000))
    assert [c.rank for c in down.changes] == sorted((c.rank for c in down.changes), reverse=True)
    assert all(c.after < c.before for c in down.changes)


def test_zero_change_says_so(acme):
    compiled, initiatives, base = acme
    what = what_if_pool(compiled, initiatives, base, D(0))
    assert what.changes == ()
    assert what_if_text(what, "USD") == "What if the pool were USD +0: no allocation changes.\n"


def test_duals_in_plain_words():
    # Keys as pipeline/optimal.py names its constraints; a zero dual is a slack limit and says nothing.
    lines = marginal_values({"pool": D("0.0000012"), "department:Engineering": D("0.0000004"),
                             "baseline:sales-core": D("-0.0000003"), "kind:conference": D(0)},
                            "USD", "expected value")
    assert lines == (
        "baseline 'sales-core' is binding: each USD 1 of that floor costs 0.0000003 expected value per USD 1 elsewhere",
        "the Engineering department cap is binding: raising it by USD 1 adds 0.0000004 expected value per USD 1",
        "the pool is binding: one more USD 1 adds 0.0000012 expected value per USD 1",
    )


def test_optimal_strategy_reports_the_marginal_value_of_the_pool(acme):
    from attrs import evolve

    from budgetpolicy.engine.compile import compile_policy

    compiled, initiatives, _ = acme
    policy = evolve(compiled.policy, allocation=evolve(compiled.policy.allocation, strategy="optimal"))
    optimal = compile_policy(policy, compiled.registry)
    base = evaluate(optimal, initiatives, evaluated_at=AT)
    what = what_if_pool(optimal, initiatives, base, D(50000))
    manual = evaluate(optimal, initiatives, evaluated_at=AT, pool_delta=D(50000))
    assert {c.initiative_id: c.after for c in what.changes} == {
        d.initiative_id: d.allocation for d in manual.decisions
        if d.allocation != base.decision(d.initiative_id).allocation}
    assert any(line.startswith("the pool is binding: one more USD 1 adds ") for line in what.marginal)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "budgetpolicy", "evaluate", "-P", ACME, "-i", ACME_DATA,
                           "--evaluated-at", "2026-01-15T00:00:00+00:00", *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_cli_what_if_pool_table_and_json(acme):
    compiled, initiatives, base = acme
    what = what_if_pool(compiled, initiatives, base, D(50000))
    run = _cli("--what-if-pool", "+50000")
    assert run.returncode == 0, run.stderr
    # What a larger pool funds and what it drops are listed apart, each with the allocation's reason.
    text = run.stdout.split("What if the pool were USD +50,000:")[1]
    funds, drops = text.split("would drop, lowest-ranked first:")
    assert "would fund, in order:" in funds
    gains = [c for c in what.changes if c.after > c.before]
    losses = [c for c in what.changes if c.after < c.before]
    assert gains and losses, "the example's +50,000 both funds and drops"
    assert all(f"{c.initiative_id} " in " ".join(funds.split()) for c in gains)
    assert all(f"{c.initiative_id} " in " ".join(drops.split()) and c.initiative_id not in funds for c in losses)
    assert "loses all USD 10,000" in " ".join(drops.split()) and "(unfunded: ranked below the cut-off" in " ".join(drops.split())
    run = _cli("--what-if-pool", "-20000", "--format", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["what_if"]["pool_delta"] == "-20000"
    assert {c["direction"] for c in doc["what_if"]["changes"]} <= {"fund", "drop"}
    assert all(c["reason"] for c in doc["what_if"]["changes"])
    assert doc["decisions"], "the evaluation itself is still there"


def test_cli_what_if_pool_bad_amount():
    run = _cli("--what-if-pool", "lots")
    assert run.returncode == 2
    assert "--what-if-pool 'lots' is not an amount" in run.stderr
