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


def test_rules_reading_the_score_lines_and_expected_value_decide_alike_in_a_batch_and_alone() -> None:
    # A batch decides by one sweep over the rules (patterns of rule values remembered); alone, rule by rule.
    from budgetpolicy.plugins import build_registry

    policy = with_rule(with_rule(make_sample_policy(), "expected_value < 0.1", effect="reject", rule_id="low-ev",
                                 message="expected value too low"),
                       "scores.impact >= 0.5", rule_id="strong-impact", message="strong impact")
    compiled = compile_policy(policy, build_registry())
    assert not compiled.records_calls
    items = [make_initiative(id=f"I-{n}", forecast={"win-rate": Decimal(lift)}, probability=Decimal(p))
             for n, (lift, p) in enumerate([("1", "0.9"), ("5", "0.9"), ("5", "0.1"), ("9", "0.6"), ("9", "0.6")])]
    batch = compiled.evaluate(items, AT).decisions
    alone = [compiled.decide(i, AT) for i in items]
    assert [fields(d) for d in alone] == [fields(d) for d in batch]
    outcomes = {d.initiative_id: (d.outcome, "strong-impact" in d.flags) for d in batch}
    assert len({o for o, _ in outcomes.values()}) > 1 and len({f for _, f in outcomes.values()}) == 2, outcomes


def test_a_batch_of_sweepable_rules_honours_a_rule_not_yet_in_force() -> None:
    # No approve rule, so a batch may sweep the conditions; a dated rule must still wait for its date.
    import attrs

    from budgetpolicy.plugins import build_registry

    sample = make_sample_policy()
    rules = tuple(r for r in sample.approval.rules if r.effect != "approve")
    policy = with_rule(attrs.evolve(sample, approval=attrs.evolve(sample.approval, rules=rules)), "cost > 100",
                       effect="reject", rule_id="from-march", message="not from March",
                       effective_from=dt.date(2026, 3, 1))
    compiled = compile_policy(policy, build_registry())
    assert compiled.ruleset.sweep and compiled.ruleset.dated
    items = [make_initiative(id=f"I-{n}") for n in range(3)]
    # Undated, every rule is in force, and the sweep remembers what this pattern of values comes to...
    assert compiled.decide(items[0], AT).outcome == "rejected"
    # ...which a dated batch must not reuse for a rule not yet in force.
    for day, outcome in ((dt.date(2026, 2, 28), "approved"), (dt.date(2026, 3, 1), "rejected")):
        context = attrs.evolve(AT, as_of=day)
        batch = compiled.evaluate(items, context).decisions
        assert [d.outcome for d in batch] == [outcome] * 3
        assert [fields(d) for d in batch] == [fields(compiled.decide(i, context)) for i in items]
