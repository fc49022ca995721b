"""The compact allocation result: fundings and sources built on demand, and what that saves.

``AllocationResult.fundings`` / ``.sources`` of the built-in strategies are read-only mappings
that build each Funding (with its explanation) when asked; they must behave exactly like the
dicts of eagerly built objects they replace: same values, same keys in the caller's order,
misses that miss, equality and hashing across both kinds.
"""

from __future__ import annotations

import copy
import pickle
import random
import tracemalloc
from decimal import ROUND_DOWN, Decimal as D, localcontext

import pytest

from budgetpolicy.errors import AllocationError
from budgetpolicy.model import AllocationPolicy, Baseline, Caps, FrozenMap, Funding, Reserve
from budgetpolicy.allocation.problem import Candidate, prepare, rank_key
from budgetpolicy.allocation.result import AllocationResult
from budgetpolicy.allocation.allocate import allocate
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate


def cand(id: str, cost: str, value: str, **kw: object) -> Candidate:
    kw.setdefault("score", D("0.5"))
    kw.setdefault("kind", "training")
    kw.setdefault("department", "Eng")
    return Candidate(id=id, cost=D(cost), value=D(value), **kw)  # type: ignore[arg-type]


# Caller order differs from both the ranking and the id order on purpose.
MIXED = [cand("m-partial", "300", "9"), cand("a-free", "0", "1"), cand("z-stretch", "100", "2", kind="stretch"),
         cand("b-sales", "200", "1", department="Sales", priorities=("p1", "p2")), cand("q-capped", "500", "50"),
         cand("c-unfunded", "400", "0.5"), cand("d-dept", "100", "0.2", department="Ops")]
POLICY = AllocationPolicy(pool=D("1000"), baselines=(Baseline("sales-core", D("150"), department="Sales"),),
                          reserve=Reserve(share=D("0.1"), kinds=("stretch",)),
                          caps=Caps(per_initiative=D("400"), per_department={"Ops": D("0")}),
                          min_viable_share=D("0.5"))

# What the eager implementation (one Funding per candidate, built in the allocator) produced.
EXPECTED = {
    "m-partial": Funding(D("300"), D("300"), "rank", 3, "funded by rank 3 (EV 30 per 1,000)"),
    "a-free": Funding(D("0"), D("0"), "rank", 1, "funded by rank 1 (EV free): nothing requested"),
    "z-stretch": Funding(D("100"), D("100"), "reserve", 4, "funded from the reserve"),
    "b-sales": Funding(D("200"), D("200"), "baseline:sales-core", 5, "funded in baseline sales-core"),
    "q-capped": Funding(D("400"), D("500"), "rank", 2,
                        "capped by per-initiative cap (400): 400 of 500; funded by rank 2 (EV 100 per 1,000)"),
    "c-unfunded": Funding(D("0"), D("400"), "unfunded", 7, "unfunded: ranked below the cut-off at EV 1.2 per 1,000"),
    # The pool is spent by its turn, but the Ops cap (0) would stop it with any pool: the cap is named.
    "d-dept": Funding(D("0"), D("100"), "unfunded", 6,
                      "unfunded: department cap Ops (0) reached; a larger pool would not fund it"),
}
EXPECTED_SOURCES = {
    "m-partial": {"rank": D(300)}, "a-free": {}, "z-stretch": {"reserve": D(100)},
    "b-sales": {"baseline:sales-core": D(150), "rank": D(50)}, "q-capped": {"rank": D(400)},
    "c-unfunded": {}, "d-dept": {},
}


@pytest.fixture(scope="module")
def result() -> AllocationResult:
    return allocate(MIXED, POLICY)


def test_fundings_equal_the_eager_ones(result):
    f = result.fundings
    assert dict(f) == EXPECTED
    assert f == EXPECTED and EXPECTED == f  # Mapping equality, both ways
    assert f == FrozenMap(EXPECTED) and FrozenMap(EXPECTED) == f
    assert hash(f) == hash(FrozenMap(EXPECTED))
    assert f != {**EXPECTED, "m-partial": Funding(D("299"), D("300"), "rank", 3, "funded by rank 3 (EV 30 per 1,000)")}
    assert f != {k: v for k, v in EXPECTED.items() if k != "d-dept"}
    for key, funding in EXPECTED.items():
        assert f[key] == funding and f.get(key) == funding and key in f
    assert f.as_dict() == EXPECTED and isinstance(f.as_dict(), dict)
    assert isinstance(f, FrozenMap)  # what the field's type says


def test_sources_equal_the_eager_ones(result):
    assert dict(result.sources) == EXPECTED_SOURCES
    assert result.sources["b-sales"] == {"baseline:sales-core": D(150), "rank": D(50)}
    assert list(result.sources["b-sales"]) == ["baseline:sales-core", "rank"]
    assert list(result.sources) == [c.id for c in MIXED]


def test_summary_is_unchanged(result):
    s = result.summary
    assert (s.allocated, s.leftover, s.reserve_used, s.funded_count, s.unfunded_count) == (D(1000), D(0), D(100), 5, 2)
    assert dict(s.by_department) == {"Eng": D(800), "Sales": D(200)}
    assert dict(s.by_priority) == {"(no priority)": D("800.00"), "p1": D("100.00"), "p2": D("100.00")}
    assert str(s.allocated) == "1000" and str(greedy_allocate([], POLICY).summary.allocated) == "0"


def test_keys_values_items_follow_the_callers_order(result):
    ids = [c.id for c in MIXED]
    f = result.fundings
    assert list(f) == ids and list(f.keys()) == ids and len(f) == 7
    assert [k for k, _ in f.items()] == ids
    assert list(f.values()) == [EXPECTED[k] for k in ids]
    assert [v.rank for v in f.values()] == [3, 1, 4, 5, 2, 7, 6]
    assert ("a-free", EXPECTED["a-free"]) in f.items() and EXPECTED["z-stretch"] in f.values()
    shuffled = list(reversed(MIXED))
    assert list(allocate(shuffled, POLICY).fundings) == [c.id for c in shuffled]


@pytest.mark.parametrize("missing", ["", "a", "a-free ", "b", "m-partial2", "zz", "A-FREE", 5, None, ("a-free",)])
def test_missing_ids_are_missing(result, missing):
    for mapping in (result.fundings, result.sources):
        assert missing not in mapping
        assert mapping.get(missing) is None and mapping.get(missing, "none") == "none"
        with pytest.raises(KeyError):
            mapping[missing]


def test_an_empty_allocation_has_empty_mappings():
    r = greedy_allocate([], POLICY)
    assert len(r.fundings) == 0 and list(r.fundings) == [] and dict(r.sources) == {}
    assert "x" not in r.fundings and r.fundings == {}


def test_pickle_and_copy_give_plain_equal_maps(result):
    for again in (pickle.loads(pickle.dumps(result.fundings)), copy.copy(result.fundings),
                  copy.deepcopy(result.sources)):
        assert type(again) is FrozenMap
    assert pickle.loads(pickle.dumps(result.fundings)) == EXPECTED
    assert pickle.loads(pickle.dumps(result)).fundings == EXPECTED


def test_explanations_do_not_depend_on_the_decimal_context_at_access_time(result):
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = 3, ROUND_DOWN
        assert dict(result.fundings) == EXPECTED and dict(result.sources) == EXPECTED_SOURCES


def test_optimal_results_behave_the_same():
    r = optimal_allocate(MIXED, POLICY)
    assert list(r.fundings) == [c.id for c in MIXED]
    assert sum((f.amount for f in r.fundings.values()), D(0)) == r.summary.allocated <= POLICY.pool
    assert "nope" not in r.fundings and r.fundings.get("nope") is None
    assert dict(r.fundings) == {k: r.fundings[k] for k in r.fundings}


def test_ranking_matches_the_tuple_key_including_ratios_floats_cannot_tell_apart():
    # 1 + 1e-19 and 1 + 2e-19 are the same float: the exact Decimal ratio must still order them.
    cands = [cand("x", "1", "1.0000000000000000001"), cand("y", "1", "1.0000000000000000002"),
             cand("w", "1", "1.0000000000000000002", score=D("0.9")), cand("f", "0", "0"), cand("g", "0", "3")]
    rnd = random.Random(7)
    for i in range(300):
        cost = D(rnd.choice([0, rnd.randint(1, 50), rnd.randint(1, 50) * 100]))
        cands.append(cand(f"r{i:03}", str(cost), str(D(rnd.randint(0, 9)) / 4), score=D(rnd.randint(0, 3)) / 2))
    rnd.shuffle(cands)
    for tie_break in (("score", "id"), ("cost", "score"), ("id",), ("value", "cost"), ("expected_value",)):
        policy = AllocationPolicy(pool=D(100), tie_break=tie_break)
        problem = prepare(cands, policy)
        ranked = sorted(range(len(cands)), key=lambda i: rank_key(policy)(problem.item(problem.position[i])))
        assert list(problem.order) == ranked, tie_break
        assert [it.rank for it in problem.ranked] == list(range(1, len(cands) + 1))
    order = list(prepare(cands, AllocationPolicy(pool=D(100))).order)
    ids = [cands[i].id for i in order]
    # Equal as floats, not as Decimals: y before x; w's ratio equals y's and its score breaks the tie.
    assert ids.index("w") + 1 == ids.index("y") == ids.index("x") - 1
    free = sum(1 for c in cands if c.cost == 0)
    assert all(cands[i].cost == 0 for i in order[:free]) and ids.index("f") < free


def test_bad_candidates_report_the_first_offending_index():
    with pytest.raises(AllocationError) as err:
        greedy_allocate([cand("a", "1", "1"), cand("b", "-1", "1"), cand("c", "1", "1"), cand("a", "1", "1")], POLICY)
    assert err.value.diagnostics[0].code == "BP623" and err.value.diagnostics[0].location.key == "candidates[1]"
    with pytest.raises(AllocationError) as err:
        greedy_allocate([cand("a", "1", "1"), cand("b", "1", "1"), cand("a", "1", "1"), cand("b", "1", "-1"),
                         cand("b", "1", "1")], POLICY)
    assert err.value.diagnostics[0].code == "BP622" and err.value.diagnostics[0].location.key == "candidates[2]"
    assert "'a' appears twice" in str(err.value)


def test_amounts_beyond_63_bits_still_allocate_exactly():
    huge = D("1e30")
    cands = [cand("big", str(huge), "1"), cand("small", "10", "1")]
    r = greedy_allocate(cands, AllocationPolicy(pool=huge * 3, unit=D("0.01")))
    assert r.fundings["big"].amount == huge and r.fundings["small"].amount == D(10)
    assert r.summary.allocated == huge + 10


def test_the_allocator_keeps_about_a_hundred_bytes_per_candidate():
    # The eager result took about 1,100 bytes per candidate (Funding, explanation, Decimals, dicts,
    # sort keys); the compact one about 100. Allow 300 for allocator noise, far below the old figure.
    rnd = random.Random(2026)
    n = 20_000
    cands = [cand(f"INI-{i:07}", str(rnd.randint(1, 2000) * 50), f"0.{rnd.randint(0, 999999):06}",
                  score=D(f"0.{rnd.randint(0, 999999):06}"), kind=rnd.choice(("training", "stretch")),
                  department=rnd.choice(("Sales", "Eng", "Ops")))
             for i in range(n)]
    policy = AllocationPolicy(pool=D(400000), baselines=(Baseline("s", D(50000), department="Sales"),),
                              reserve=Reserve(share=D("0.1"), kinds=("stretch",)),
                              caps=Caps(per_initiative=D(90000), per_department={"Eng": D(150000)}),
                              min_viable_share=D("0.5"))
    tracemalloc.start()
    try:
        r = greedy_allocate(cands, policy)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / n < 300 and kept / n < 200, (peak / n, kept / n)
    amounts = [f.amount for f in r.fundings.values()]
    assert len(amounts) == n and sum(amounts, D(0)) == r.summary.allocated <= policy.pool


def test_the_result_does_not_change_when_the_callers_list_does():
    cands = list(MIXED)
    r = greedy_allocate(cands, POLICY)
    cands.append(cand("late", "10", "1"))
    cands[0] = cand("m-partial", "1", "1")
    assert dict(r.fundings) == EXPECTED and len(r.fundings) == 7 and "late" not in r.fundings


def test_a_plugin_result_over_other_candidates_is_still_checked():
    # A result built for fewer candidates lacks a funding: allocate() must say so (BP624), not trust it.
    from attrs import evolve

    from budgetpolicy.plugins import build_registry

    registry = build_registry()
    registry.allocators["short"] = evolve(registry.allocators["greedy"], name="short",
                                          obj=lambda cands, pol: greedy_allocate(cands[:-1], pol))
    with pytest.raises(AllocationError) as err:
        allocate(MIXED, AllocationPolicy(pool=D(1000), strategy="short"), registry)
    assert err.value.diagnostics[0].code == "BP624" and "no funding for d-dept" in str(err.value)
