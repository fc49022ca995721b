"""A plugin allocation strategy is trusted with nothing: each way of breaking the contract is one BP624
error at ``allocation.strategy`` that names the strategy, what it did and how to keep the contract."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from attrs import evolve

from budgetpolicy.allocation.allocate import allocate
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.problem import Candidate
from budgetpolicy.errors import AllocationError
from budgetpolicy.model import AllocationPolicy, FrozenMap, Funding
from budgetpolicy.plugins import build_registry

CANDIDATES = [Candidate(id=i, cost=D(c), value=D(v), score=D("0.5"), kind="training", department="Eng")
              for i, c, v in (("a", "300", "9"), ("b", "200", "4"), ("c", "500", "1"))]
POOL = AllocationPolicy(pool=D("600"), strategy="broken")
HINT = "a strategy funds every candidate (0 when unfunded) and never exceeds the pool"


def refused(strategy: Any) -> AllocationError:
    registry = build_registry()
    registry.allocators["broken"] = evolve(registry.allocators["greedy"], name="broken", obj=strategy)
    with pytest.raises(AllocationError) as err:
        allocate(CANDIDATES, POOL, registry)
    return err.value


def amounts(result: Any, **changed: str) -> Any:
    """``result`` with some fundings replaced by plain Fundings of the given amounts."""
    fundings = {k: f for k, f in result.fundings.items()}
    for key, amount in changed.items():
        fundings[key] = Funding(D(amount), fundings[key].requested, "rank")
    return evolve(result, fundings=FrozenMap(fundings))


def the_error(err: AllocationError) -> tuple[str, str | None, str, str | None]:
    (d,) = err.diagnostics
    return d.code, d.location.key if d.location else None, d.message, d.hint


def test_a_strategy_that_returns_something_else_is_refused() -> None:
    assert the_error(refused(lambda cands, pol: {"a": 1})) == (
        "BP624", "allocation.strategy", "strategy 'broken' returned dict, not an AllocationResult", None)


def test_a_strategy_that_overspends_the_pool_is_refused() -> None:
    err = refused(lambda cands, pol: amounts(greedy_allocate(cands, pol), c="500"))
    assert the_error(err) == ("BP624", "allocation.strategy",
                              "strategy 'broken' broke the allocation contract: allocated 1000 of a pool of 600", HINT)


def test_a_negative_amount_is_refused_even_within_the_pool() -> None:
    err = refused(lambda cands, pol: amounts(greedy_allocate(cands, pol), b="-100"))
    assert the_error(err) == ("BP624", "allocation.strategy",
                              "strategy 'broken' broke the allocation contract: a negative amount for b (-100)", HINT)


def test_a_candidate_without_a_funding_is_named() -> None:
    def short(cands: list[Candidate], pol: AllocationPolicy) -> Any:
        result = greedy_allocate(cands, pol)
        return evolve(result, fundings=FrozenMap({k: f for k, f in result.fundings.items() if k != "b"}))

    assert the_error(refused(short)) == ("BP624", "allocation.strategy",
                                         "strategy 'broken' broke the allocation contract: no funding for b", HINT)


def test_a_result_within_the_contract_is_returned_as_it_is() -> None:
    registry = build_registry()
    kept = amounts(greedy_allocate(CANDIDATES, POOL), c="0")
    registry.allocators["broken"] = evolve(registry.allocators["greedy"], name="broken", obj=lambda c, p: kept)
    assert allocate(CANDIDATES, POOL, registry) is kept


def test_a_long_list_of_broken_fundings_names_the_first_three() -> None:
    four = [evolve(CANDIDATES[0], id=i) for i in ("a", "b", "c", "d")]
    registry = build_registry()

    def negative(cands: list[Candidate], pol: AllocationPolicy) -> Any:
        return amounts(greedy_allocate(cands, pol), a="-1", b="-2", c="-3", d="-4")

    def empty(cands: list[Candidate], pol: AllocationPolicy) -> Any:
        return evolve(greedy_allocate(cands, pol), fundings=FrozenMap({}))

    for strategy, what in ((negative, "a negative amount for a (-1), b (-2), c (-3)"),
                           (empty, "no funding for a, b, c")):
        registry.allocators["broken"] = evolve(registry.allocators["greedy"], name="broken", obj=strategy)
        with pytest.raises(AllocationError) as err:
            allocate(four, POOL, registry)
        assert the_error(err.value) == ("BP624", "allocation.strategy",
                                        f"strategy 'broken' broke the allocation contract: {what}", HINT)
