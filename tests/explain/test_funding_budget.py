"""Funding counterfactuals the greedy run's trace cannot answer re-run the allocation many times per deferred
initiative, so one evaluation spends at most FUNDING_BUDGET candidate-allocations on them, best-ranked
deferred initiatives first; the others say plainly what was not computed. What the trace answers
(explain.cutoff) costs no allocation and is always given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

import budgetpolicy.allocation.allocate as allocate_module
from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.explain import counterfactual
from budgetpolicy.explain.cutoff import GreedyTrace
from budgetpolicy.allocation.candidates import allocation_candidates

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "policies" / "acme-2026.toml")
ACME_DATA = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)
NOT_COMPUTED = "not computed: "
QUANTUM = D("0.000001")


@pytest.fixture(scope="module")
def acme():
    compiled = open_policy(ACME)
    initiatives = read_initiatives(ACME_DATA, compiled.registry)
    evaluation = evaluate(compiled, initiatives, evaluated_at=AT)
    # Computed now, under the real FUNDING_BUDGET (they are computed on first need, and tests below patch it).
    assert evaluation.counterfactuals
    return compiled, initiatives, evaluation


@pytest.fixture
def allocations(monkeypatch):
    """Counts the funding probes' allocate() calls: they call it through the stage module, while the
    evaluation's own allocation is bound when the engine is imported, so only probes are counted."""
    calls = []
    real = allocate_module.allocate

    def counted(candidates, settings, registry=None):
        calls.append(len(candidates))
        return real(candidates, settings, registry)

    monkeypatch.setattr(allocate_module, "allocate", counted)
    return calls


def _deferred_by_rank(evaluation):
    return sorted((d for d in evaluation.decisions if d.outcome == "deferred"), key=lambda d: d.funding.rank)


def _probes(acme):
    compiled, initiatives, evaluation = acme
    settings = compiled.policy.allocation
    candidates = allocation_candidates(initiatives, evaluation.decisions, settings)
    trace = GreedyTrace.of(evaluation.allocation)
    by_id = {c.id: c for c in candidates}
    return candidates, {d.initiative_id: counterfactual.funding_probes(by_id[d.initiative_id], candidates, settings,
                                                                        QUANTUM, trace)
                        for d in _deferred_by_rank(evaluation)}


def test_the_bundled_example_fits_the_default_budget(acme):
    deferred = _deferred_by_rank(acme[2])
    assert len(deferred) >= 3
    for d in deferred:
        texts = acme[2].explanation(d.initiative_id).counterfactuals
        assert texts and texts[0].startswith("would be funded if"), texts
        assert NOT_COMPUTED not in texts[0]


def test_the_trace_answers_some_without_any_allocation_and_the_rest_need_some(acme):
    _, probes = _probes(acme)
    assert sorted(set(map(bool, probes.values()))) == [False, True]  # both kinds occur in the example


def test_probe_bound_is_never_exceeded(acme, allocations):
    compiled, initiatives, evaluation = acme
    settings = compiled.policy.allocation
    candidates, probes = _probes(acme)
    trace = GreedyTrace.of(evaluation.allocation)
    for d in _deferred_by_rank(evaluation):
        allocations.clear()
        counterfactual.funding_counterfactuals(d.initiative_id, candidates, settings, compiled.registry, QUANTUM, trace)
        bound = probes[d.initiative_id]
        assert len(allocations) <= bound, (d.initiative_id, len(allocations), bound)
        assert (len(allocations) == 0) == (bound == 0), (d.initiative_id, len(allocations), bound)


def test_a_small_budget_explains_the_best_ranked_first_and_says_so_for_the_rest(acme, allocations, monkeypatch):
    compiled, initiatives, full = acme
    candidates, probes = _probes(acme)
    deferred = _deferred_by_rank(full)
    costly = [d for d in deferred if probes[d.initiative_id]]
    first_cost = probes[costly[0].initiative_id] * len(candidates)
    monkeypatch.setattr(counterfactual, "FUNDING_BUDGET", first_cost)  # room for exactly the best-ranked one
    allocations.clear()
    bounded = evaluate(compiled, initiatives, evaluated_at=AT)
    got = {d.initiative_id: bounded.explanation(d.initiative_id).counterfactuals
           for d in bounded.decisions if d.outcome == "deferred"}
    assert sum(allocations) <= first_cost
    assert got[costly[0].initiative_id] == full.explanation(costly[0].initiative_id).counterfactuals
    reason = (f"{len(costly):,} deferred initiatives among {len(candidates):,} candidates exceed what one evaluation "
              "re-allocates to explain them (computed for the 1 best-ranked); evaluate --what-if-pool shows what a "
              "larger pool would fund")
    for d in costly[1:]:
        (text,) = got[d.initiative_id]
        assert text.endswith(f"not computed: {reason}"), text
        # What the trace did answer is still said, exactly as with the whole budget.
        kept = text.split("; ")[0]
        if kept.startswith("would be funded if"):
            whole = full.explanation(d.initiative_id).counterfactuals[0]
            assert all(clause in whole for clause in kept.removeprefix("would be funded if ").split(", or "))
    for d in deferred:
        if not probes[d.initiative_id]:
            assert got[d.initiative_id] == full.explanation(d.initiative_id).counterfactuals
    # Everything else about the decisions is unchanged.
    assert [(d.initiative_id, d.outcome, d.allocation) for d in bounded.decisions] == \
        [(d.initiative_id, d.outcome, d.allocation) for d in full.decisions]


def test_a_zero_budget_runs_no_probe_and_still_gives_what_the_trace_answers(acme, allocations, monkeypatch):
    compiled, initiatives, full = acme
    _, probes = _probes(acme)
    monkeypatch.setattr(counterfactual, "FUNDING_BUDGET", 0)
    evaluation = evaluate(compiled, initiatives, evaluated_at=AT)
    assert allocations == []
    for d in _deferred_by_rank(evaluation):
        (text,) = evaluation.explanation(d.initiative_id).counterfactuals
        if probes[d.initiative_id]:
            assert NOT_COMPUTED in text and "(computed for the 0 best-ranked)" in text, text
        else:
            assert text == full.explanation(d.initiative_id).counterfactuals[0]
