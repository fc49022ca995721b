"""One decision made alone (CompiledPolicy.decide) equals the same decision made in a batch (evaluate),
also when the policy's rules call a plugin function and each call is recorded with the decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from budgetpolicy import hookimpl
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.testing import make_initiative, make_sample_policy, registry_with, with_rule

AT = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc))


class Band:
    @hookimpl
    def register_functions(self, register):  # type: ignore[no-untyped-def]
        register("band", lambda department: "high" if department == "Sales" else "low", params=("string",),
                 returns="any")


def fields(d):  # type: ignore[no-untyped-def]
    return (d.initiative_id, d.outcome, d.score, d.expected_value, d.required_approvers, d.flags,
            [r.code for r in d.reasons], [(c.function, c.args, c.result) for c in d.calls])


def test_a_decision_alone_equals_the_same_decision_in_a_batch_with_its_calls() -> None:
    for effect, outcome in (("flag", None), ("reject", "rejected"), ("require", "pending_approval")):
        extra = {"role": "vp"} if effect == "require" else {}
        policy = with_rule(make_sample_policy(), 'band(department) == "high"', effect=effect, **extra)
        compiled = compile_policy(policy, registry_with(Band()))
        assert compiled.records_calls
        sales, ops = make_initiative(id="S-1", department="Sales"), make_initiative(id="O-1", department="Ops")
        batch = compiled.evaluate([sales, ops], AT).decisions
        alone = [compiled.decide(sales, AT), compiled.decide(ops, AT)]
        assert [fields(d) for d in alone] == [fields(d) for d in batch]
        assert [d.initiative_id for d in alone] == ["S-1", "O-1"]
        assert [(c.function, c.args, c.result) for c in alone[0].calls] == [("band", ("Sales",), "high")]
        assert alone[0].score > Decimal(0) and alone[0].expected_value >= Decimal(0)
        if outcome is not None:
            assert alone[0].outcome == outcome and alone[1].outcome != outcome
        else:
            assert "plugin-rule" in alone[0].flags and "plugin-rule" not in alone[1].flags
