"""What the evaluation context changes, each shown against the policy it stands for.

A what-if ``pool_delta`` is the same as a policy whose pool is that much larger (decisions, fundings
and counterfactuals alike); a cost converted from another currency carries its conversion into each
decision's provenance, and only there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from attrs import evolve

from budgetpolicy.api import open_policy, read_initiatives
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.model import FrozenMap

ROOT = Path(__file__).resolve().parents[2]
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)
COMPILED = open_policy(str(ROOT / "policies" / "acme-2026.toml"))
INITIATIVES = read_initiatives(str(ROOT / "policies" / "acme-2026.initiatives.csv"), COMPILED.registry,
                               attribute_types=COMPILED.policy.attributes, policy=COMPILED.policy)


def summary(evaluation):
    return ([(d.initiative_id, d.outcome, d.funding.amount if d.funding else None) for d in evaluation.decisions],
            dict(evaluation.counterfactuals))


@pytest.mark.parametrize("delta", [D(-200000), D(-35000), D(60000)])
def test_a_pool_delta_decides_as_a_policy_with_that_pool(delta):
    policy = COMPILED.policy
    assert policy.allocation is not None
    larger = compile_policy(evolve(policy, allocation=evolve(policy.allocation, pool=policy.allocation.pool + delta)),
                            COMPILED.registry)
    with_delta = COMPILED.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT, pool_delta=delta))
    plain = COMPILED.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT))
    assert summary(with_delta) == summary(larger.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT)))
    assert summary(with_delta) != summary(plain)  # the delta moves money (and so some counterfactuals)
    assert with_delta.allocation.summary.pool == policy.allocation.pool + delta
    # Every decision the allocation saw has its funding; an unfunded one is deferred, and only those.
    fundable = [d for d in with_delta.decisions if d.outcome in ("approved", "deferred", "pending_approval")]
    assert fundable and all(d.funding is not None for d in fundable)
    assert sum(d.funding.amount for d in fundable) == with_delta.allocation.summary.allocated
    assert all((d.outcome == "deferred") == (d.funding.step == "unfunded") for d in fundable)
    if delta < 0:
        assert any(d.outcome == "deferred" for d in fundable)


def test_calibration_factors_scale_each_groups_forecasts_and_are_recorded():
    """A factor of 0.5 for Sales halves every Sales initiative's expected value, exactly; the other
    departments are untouched; each calibrated decision records its group, factor and forecasts."""
    plain = COMPILED.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT, explain=False)).decisions
    halved = COMPILED.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT, explain=False,
                                                              calibration={"Sales": D("0.5")})).decisions
    for initiative, before, after in zip(INITIATIVES, plain, halved):
        if initiative.department == "Sales":
            assert after.expected_value == before.expected_value / 2, initiative.id
            assert after.calibration["group"] == "Sales" and after.calibration["factor"] == D("0.5")
            assert after.calibration["raw_forecast"] == dict(initiative.forecast)
        else:
            assert (after.expected_value, after.calibration) == (before.expected_value, FrozenMap()), initiative.id
    assert sum(i.department == "Sales" for i in INITIATIVES) >= 5


def test_a_converted_cost_keeps_its_conversion_in_the_decisions_provenance():
    conversion = FrozenMap({"currency": "EUR", "amount": D("48000"), "rate": D("1.0825")})
    first = evolve(INITIATIVES[0], conversion=conversion)
    decisions = COMPILED.evaluate([first, *INITIATIVES[1:3]], EvaluationContext(evaluated_at=AT)).decisions
    assert decisions[0].provenance.conversion == conversion
    assert [d.provenance.conversion for d in decisions[1:]] == [FrozenMap(), FrozenMap()]


def test_a_factor_of_one_or_a_policy_without_calibration_leaves_decisions_uncalibrated():
    plain = COMPILED.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT, explain=False)).decisions
    one = COMPILED.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT, explain=False,
                                                           calibration={"Sales": D("1.0")})).decisions
    assert [(d.expected_value, d.calibration) for d in one] == [(d.expected_value, FrozenMap()) for d in plain]
    without = compile_policy(evolve(COMPILED.policy, calibration=None), COMPILED.registry)
    ignored = without.evaluate(INITIATIVES, EvaluationContext(evaluated_at=AT, explain=False,
                                                              calibration={"Sales": D("0.5")})).decisions
    assert [(d.expected_value, d.calibration) for d in ignored] == [(d.expected_value, FrozenMap()) for d in plain]


def test_the_currency_and_headcount_of_an_initiative_are_readable_by_a_rule():
    from budgetpolicy.testing import function_value, make_initiative

    initiative = make_initiative(currency="EUR", headcount=12)
    assert function_value(None, 'currency == "EUR" and headcount > 10', initiative) is True
