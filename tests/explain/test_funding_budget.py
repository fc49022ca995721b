"""Funding counterfactuals re-run the allocation many times per deferred initiative, so one evaluation
spends at most FUNDING_BUDGET candidate-allocations on them, best-ranked deferred initiatives first;
the others say plainly that theirs were not computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

import budgetpolicy.allocation.allocate as allocate_module
from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.explain import counterfactual
from budgetpolicy.allocation.candidates import allocation_candidates

ROOT = Path(__file__).resolve().parents[2]
ACME = str(ROOT / "policies" / "acme-2026.toml")
ACME_DATA = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)
NOT_COMPUTED = "funding thresholds not computed"


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


def test_the_bundled_example_fits_the_default_budget(acme):
    deferred = _deferred_by_rank(acme[2])
    assert len(deferred) >= 3
    for d in deferred:
        texts = acme[2].explanation(d.initiative_id).counterfactuals
        assert texts and texts[0].startswith("would be funded if"), texts


def test_probe_bound_is_never_exceeded(acme, allocations):
    compiled, initiatives, evaluation = acme
    settings = compiled.policy.allocation
    candidates = allocation_candidates(initiatives, evaluation.decisions, settings)
    by_id = {c.id: c for c in candidates}
    quantum = D("0.000001")
    for d in _deferred_by_rank(evaluation):
        allocations.clear()
        counterfactual.funding_counterfactuals(d.initiative_id, candidates, settings, compiled.registry, quantum)
        bound = counterfactual.funding_probes(by_id[d.initiative_id], candidates, settings, quantum)
        assert 0 < len(allocations) <= bound, (d.initiative_id, len(allocations), bound)


def test_a_small_budget_explains_the_best_ranked_first_and_says_so_for_the_rest(acme, allocations, monkeypatch):
    compiled, initiatives, full = acme
    settings = compiled.policy.allocation
    candidates = allocation_candidates(initiatives, full.decisions, settings)
    deferred = _deferred_by_rank(full)
    quantum = D("0.000001")
    first_cost = counterfactual.funding_probes(
        next(c for c in candidates if c.id == deferred[0].initiative_id), candidates, settings, quantum) * len(candidates)
    monkeypatch.setattr(counterfactual, "FUNDING_BUDGET", first_cost)  # room for exactly the best-ranked one
    allocations.clear()
    bounded = evaluate(compiled, initiatives, evaluated_at=AT)
    got = {d.initiative_id: bounded.explanation(d.initiative_id).counterfactuals
           for d in bounded.decisions if d.outcome == "deferred"}
    probes = allocations
    assert sum(probes) <= first_cost
    assert got[deferred[0].initiative_id] == full.explanation(deferred[0].initiative_id).counterfactuals
    for d in deferred[1:]:
        (text,) = got[d.initiative_id]
        assert text == (f"{NOT_COMPUTED}: {len(deferred):,} deferred initiatives among {len(candidates):,} candidates "
                        "exceed what one evaluation re-allocates to explain them (computed for the 1 best-ranked); "
                        "evaluate --what-if-pool shows what a larger pool would fund")
    # Everything else about the decisions is unchanged.
    assert [(d.initiative_id, d.outcome, d.allocation) for d in bounded.decisions] == \
        [(d.initiative_id, d.outcome, d.allocation) for d in full.decisions]


def test_a_zero_budget_computes_no_funding_threshold_and_runs_no_probe(acme, allocations, monkeypatch):
    compiled, initiatives, _ = acme
    monkeypatch.setattr(counterfactual, "FUNDING_BUDGET", 0)
    evaluation = evaluate(compiled, initiatives, evaluated_at=AT)
    texts = [evaluation.explanation(d.initiative_id).counterfactuals[0]
             for d in evaluation.decisions if d.outcome == "deferred"]
    assert allocations == []
    assert texts and all(text.startswith(NOT_COMPUTED) for text in texts)
    assert all("(computed for the 0 best-ranked)" in text for text in texts)
