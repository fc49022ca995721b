"""A decision's explanation is built when first read, and is then exactly what an eager build gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from budgetpolicy.api import evaluate, open_policy
from budgetpolicy.canonical import canonical_json
from budgetpolicy.errors import PluginError
from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.model import Decision, Deferred, Reason, RuleTrace, ScoreLine, unresolved
from budgetpolicy.engine.approve import OUT_OF_FORCE, UNREACHED, rule_traces
from budgetpolicy.engine.compile import EvaluationContext
from budgetpolicy.data.load import load_initiatives
from budgetpolicy.engine.narrative import narrative
from budgetpolicy.testing import evaluate_with, make_sample_initiatives, make_sample_policy, with_criterion

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)
CONTEXT = EvaluationContext(evaluated_at=AT)


@pytest.fixture(scope="module")
def compiled():
    return open_policy(POLICY)


@pytest.fixture(scope="module")
def example(compiled):
    return load_initiatives(INITIATIVES, compiled.registry, attribute_types=compiled.policy.attributes).items


def test_decide_leaves_the_explanation_unbuilt_until_read(compiled, example):
    d = compiled.decide(example[0], CONTEXT)
    assert d.unresolved("rules").__class__ is Deferred
    assert d.unresolved("scores").__class__ is Deferred
    traces = d.rules
    assert d.unresolved("rules") is traces  # resolved once, then kept in the slot
    assert len(traces) == len(compiled.policy.approval.rules) and all(t.__class__ is RuleTrace for t in traces)
    assert [line.criterion for line in d.scores] == [c.id for c in compiled.policy.scoring.criteria]
    assert d.rules is traces


def test_lazy_explanation_equals_the_eager_build(compiled, example):
    for initiative in example:
        lazy = compiled.decide(initiative, CONTEXT)
        again = compiled.decide(initiative, CONTEXT)
        eager = Decision(**{f.name: getattr(again, f.name) for f in attrs.fields(Decision)})
        assert all(eager.unresolved(n).__class__ is not Deferred for n in ("scores", "rules"))
        assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
        assert canonical_json(lazy) == canonical_json(eager)


def test_traces_hold_the_values_each_condition_read(compiled, example):
    d = compiled.decide(next(i for i in example if i.id == "INI-019"), CONTEXT)
    vp = next(t for t in d.rules if t.rule_id == "vp-over-25k")
    assert (vp.status, dict(vp.seen)) == ("fired", {"cost": D(85000)})
    assert vp.message == "Requested 85,000 is over 25,000, so a VP must sign off"
    # The reason carries the same filled-in template text (it, too, is written when first read).
    assert next(r for r in d.reasons if r.code == "vp-over-25k").message == vp.message


def test_rule_traces_rebuilds_each_status():
    rules = open_policy(POLICY).rules
    env = {"priorities": (), "evaluation_plan": ("kpi_tracking",), "forecast": {}, "kind": "training",
           "mentor": None}
    # A condition's value decides fired / not fired by its truth, whatever its type.
    outcomes = [True, UNREACHED, OUT_OF_FORCE, "not_reached", D(0)]
    traces = rule_traces(rules[:5], env, outcomes, dt.date(2026, 2, 1))
    assert [t.status for t in traces] == ["fired", "not_reached", "not_in_force", "fired", "not_fired"]
    assert dict(traces[0].seen) == {"priorities": ()}
    assert traces[1].message == "an earlier approve rule fast-tracked" and dict(traces[1].seen) == {}
    assert traces[2].message.startswith("not in force on 2026-02-01")
    assert dict(traces[3].seen) == {"kind": "training", "mentor": None}


def test_evaluate_writes_the_narrative_from_the_final_decision(compiled):
    evaluation = evaluate(compiled, INITIATIVES, evaluated_at=AT)
    for d in evaluation.decisions:
        assert d.unresolved("narrative").__class__ is Deferred
        assert d.narrative == narrative(d, "USD")
        assert d.narrative.startswith(("Approved", "Rejected", "Pending approval", "Deferred"))


def test_the_input_hash_is_computed_when_read_and_is_the_initiatives_sha256(compiled, example):
    from budgetpolicy.canonical import sha256_hex

    decision = compiled.evaluate(example[:3], CONTEXT).decisions[0]
    provenance = decision.provenance
    assert unresolved(provenance, "input_sha256").__class__ is Deferred
    assert provenance.input_sha256 == sha256_hex(example[0]) and len(provenance.input_sha256) == 64


def test_evolve_keeps_unread_parts_unbuilt_and_attrs_evolve_resolves_them(compiled, example):
    d = compiled.decide(example[0], CONTEXT)
    moved = d.evolve(outcome="deferred")
    assert moved.unresolved("rules").__class__ is Deferred and moved.outcome == "deferred"
    assert attrs.evolve(d, outcome="deferred") == moved
    assert moved.rules == d.rules


def test_a_decision_stays_frozen(compiled, example):
    d = compiled.decide(next(i for i in example if i.id == "INI-019"), CONTEXT)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.rules = ()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.reasons[0].message = "changed"
    assert d.unresolved("rules").__class__ is Deferred and d.reasons[0] != Reason("vp-over-25k", "changed")


def test_deferred_computes_once_and_drops_its_inputs():
    calls = []
    big = list(range(1000))
    value = Deferred(lambda xs: calls.append(1) or sum(xs), big)
    assert value() == sum(big) and value() == sum(big) and calls == [1]
    assert value._args is None


# -- scorer details written lazily by plugins ---------------------------------------------------


def _plugin(detail):
    @hookimpl
    def register_scorers(register):
        register("headcount-reach", lambda params, policy: lambda i: (D(min(i.headcount, 10)) / 10,
                                                                    detail(i)))

    plugin = ModuleType("reach-plugin")  # a plugin is a module (or a hashable object), as installed ones are
    plugin.register_scorers = register_scorers
    return plugin


def _policy():
    return with_criterion(make_sample_policy(), "headcount-reach", criterion_id="reach")


def test_a_scorer_detail_may_be_a_function_called_when_read():
    calls = []

    def detail(i):
        return lambda: calls.append(i.id) or f"{i.headcount} people"

    decisions = evaluate_with(_plugin(detail), _policy(), make_sample_initiatives())
    # Evaluating wrote no detail text for the approved SMP-1 (counterfactuals read the score lines of
    # the others, to say what would change their answer).
    assert decisions[0].outcome == "approved" and "SMP-1" not in calls
    line = next(line for line in decisions[0].scores if line.criterion == "reach")
    assert (line.raw, line.detail, line.__class__) == (D("1"), "12 people", ScoreLine)
    assert calls.count("SMP-1") == 1


@pytest.mark.parametrize(("detail", "code", "message"), [
    (lambda i: (lambda: 1 / 0) if i.id == "SMP-1" else "fine", "BP505",
     "its detail raised ZeroDivisionError: division by zero on initiative 'SMP-1'"),
    (lambda i: (lambda: 42) if i.id == "SMP-1" else "fine", "BP503",
     "its detail returned int for initiative 'SMP-1'; a detail must be text"),
])
def test_a_failing_detail_names_the_plugin_when_read(detail, code, message):
    decisions = evaluate_with(_plugin(detail), _policy(), make_sample_initiatives())
    with pytest.raises(PluginError) as info:
        decisions[0].scores
    (diag,) = info.value.diagnostics
    assert diag.code == code
    assert "scorer 'headcount-reach' (plugin 'reach-plugin', criterion 'reach')" in diag.message
    assert message in diag.message


def test_a_detail_that_is_neither_text_nor_a_function_is_a_wrong_score_type():
    decisions = None
    with pytest.raises(PluginError) as info:
        decisions = evaluate_with(_plugin(lambda i: 7), _policy(), make_sample_initiatives())
    assert decisions is None
    (diag,) = info.value.diagnostics
    assert diag.code == "BP503" and "returned tuple for initiative 'SMP-1'" in diag.message
