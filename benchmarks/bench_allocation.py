"""Allocation benchmark: 100k candidates greedily, 10k optimally (HiGHS), on seeded synthetic data.

    python3 benchmarks/bench_allocation.py [--greedy 100000] [--optimal 10000] [--seed 7]

The data is deterministic (``random.Random(seed)``): 8 departments, 10 kinds,
costs 1,000-60,000 in whole currency units, values 0-0.2, a tenth of the
candidates pilots. The policy has a pool of about a third of the requests, two
department baselines, a 10% reserve released when unused, per-initiative,
department and kind caps, a minimum viable share of 50% and unit 1.
"""

from __future__ import annotations

import argparse
import random
import time
from decimal import Decimal

# The optimal strategy imports scipy on its first solve; importing it here keeps that second out of
# the timing, which is the solve's.
import scipy.optimize  # noqa: F401

from budgetpolicy.model import AllocationPolicy, Baseline, Caps, Reserve
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.allocation.problem import Candidate

DEPARTMENTS = ("Sales", "Engineering", "Support", "Finance", "Ops", "Marketing", "HR", "Legal")
KINDS = ("training", "coaching", "workshop", "microlearning", "experiential", "mentoring",
         "certification", "stretch", "pilot", "conference")


def candidates(n: int, seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    return [Candidate(id=f"INI-{i:06d}", cost=Decimal(rng.randrange(1000, 60001)),
                      value=Decimal(rng.randrange(0, 200001)) / Decimal(1000000),
                      score=Decimal(rng.randrange(0, 1001)) / Decimal(1000),
                      kind=rng.choice(KINDS), department=rng.choice(DEPARTMENTS),
                      role=rng.choice(("manager", "engineer", "agent", None)), pilot=rng.random() < 0.1,
                      priorities=tuple(rng.sample(("p1", "p2", "p3", "p4"), rng.randrange(0, 3))))
            for i in range(n)]


def policy(cands: list[Candidate]) -> AllocationPolicy:
    total = sum((c.cost for c in cands), Decimal(0))
    pool = (total / 3).quantize(Decimal(1))
    n = len(cands)
    return AllocationPolicy(
        pool=pool, min_viable_share=Decimal("0.5"),
        baselines=(Baseline("sales-core", pool / 20, department="Sales"),
                   Baseline("support-core", pool / 25, department="Support")),
        reserve=Reserve(share=Decimal("0.1")),
        caps=Caps(per_initiative=Decimal(50000),
                  per_department={"Engineering": pool / 5, "Sales": pool / 6},
                  per_kind={"conference": pool / 40 + n}),
    )


def run(label: str, fn, n: int, seed: int) -> None:
    cands = candidates(n, seed)
    pol = policy(cands)
    start = time.perf_counter()
    result = fn(cands, pol)
    elapsed = time.perf_counter() - start
    s = result.summary
    assert s.allocated <= s.pool
    print(f"{label:8} n={n:>7,}  {elapsed:7.2f} s  funded {s.funded_count:>6,}  "
          f"allocated {s.allocated:,} of {s.pool:,}  leftover {s.leftover:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--greedy", type=int, default=100_000)
    parser.add_argument("--optimal", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.greedy:
        run("greedy", greedy_allocate, args.greedy, args.seed)
    if args.optimal:
        run("optimal", optimal_allocate, args.optimal, args.seed)


if __name__ == "__main__":
    main()
