"""Decisions are plain frozen values; an explanation is a separate value the evaluation builds on request.

The contract: ``Evaluation.explanation(id)`` equals an eager rebuild from the same inputs, is built once
and kept, and never changes a decision; a decision's fields hold real values (no wrappers resolved on
read); ``attrs.evolve`` is the only evolve; ``explain=False`` gives no counterfactuals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from budgetpolicy.api import evaluate, open_policy
from budgetpolicy.canonical import canonical_json, sha256_hex
from budgetpolicy.data.load import load_initiatives
from budgetpolicy.engine.approve import OUT_OF_FORCE, UNREACHED, rule_traces
from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext, calibrate_initiative
from budgetpolicy.engine.narrative import narrative
from budgetpolicy.engine.score import score_initiative, score_lines
from budgetpolicy.engine.symbols import initiative_env
from budgetpolicy.errors import PluginError
from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.model import (Decision, Explanation, FrozenMap, Funding, Provenance, Reason, RuleTrace, ScoreLine,
                                explained)
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy, with_criterion

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


@pytest.fixture(scope="module")
def evaluation(compiled, example):
    return compiled.evaluate(example, CONTEXT)


def _eager(compiled, initiative, decision, context):
    """The explanation written out step by step from the engine's parts, with nothing kept or cached."""
    policy = compiled.policy
    calibrated, _ = calibrate_initiative(policy, initiative, context.calibration)
    scored = score_initiative(compiled.criteria, calibrated, policy.scoring.precision)
    lines, again = score_lines(compiled.criteria, calibrated, policy.scoring.precision)
    assert again == scored and sum(line.weighted for line in lines) == scored.total == decision.score
    env = initiative_env(calibrated, policy.attributes)
    env.update(score=scored.total, expected_value=scored.expected_value,
               scores={cc.id: raw for cc, raw in zip(compiled.criteria, scored.raws)})
    outcomes, _ = compiled.ruleset.outcomes(env, context.as_of)
    traces = rule_traces(compiled.rules, env, outcomes, context.as_of)
    return lines, traces, narrative(decision, lines, traces, policy.currency)


def test_an_explanation_equals_the_eager_rebuild(compiled, example, evaluation):
    for initiative, decision in zip(example, evaluation.decisions):
        explanation = evaluation.explanation(decision.initiative_id)
        lines, traces, text = _eager(compiled, initiative, decision, CONTEXT)
        assert (explanation.scores, explanation.rules, explanation.narrative) == (lines, traces, text)
        assert explanation.counterfactuals == evaluation.counterfactuals.get(decision.initiative_id, ())
        assert [line.criterion for line in lines] == [c.id for c in compiled.policy.scoring.criteria]
        assert len(traces) == len(compiled.policy.approval.rules)
        # Nothing the decision says depends on being explained; a standalone explain says the same.
        assert compiled.explain(initiative, decision, CONTEXT, explanation.counterfactuals) == explanation


def test_the_example_has_each_kind_of_explanation(evaluation):
    outcomes = {d.outcome for d in evaluation.decisions}
    assert outcomes == {"approved", "pending_approval", "deferred", "rejected"}
    explained_ids = set(evaluation.counterfactuals)
    assert explained_ids == {d.initiative_id for d in evaluation.decisions if d.outcome != "approved"}
    assert evaluation.explanation("INI-001").narrative.startswith("Pending approval: score 0.5236 (strongest: ")


def test_an_explanation_is_built_once_and_kept(compiled, example, monkeypatch):
    calls = []
    real = CompiledPolicy.explain

    def counted(self, initiative, *args):
        calls.append(initiative.id)
        return real(self, initiative, *args)

    monkeypatch.setattr(CompiledPolicy, "explain", counted)
    fresh = compiled.evaluate(example, CONTEXT)
    assert calls == []  # evaluating explains nothing
    assert fresh.decision("INI-040").outcome == "rejected"
    first = fresh.explanation("INI-040")
    assert calls.count("INI-040") == 2  # once for every rejected one's counterfactuals, then for itself
    calls.clear()
    assert fresh.explanation("INI-040") is first
    assert [e for _, e in fresh.explained()][39] is first
    assert "INI-040" not in calls and len(calls) == len(example) - 1
    calls.clear()
    list(fresh.explained())
    assert calls == []


def test_counterfactuals_are_computed_once_for_the_whole_evaluation(compiled, example, monkeypatch):
    calls = []
    real = CompiledPolicy.counterfactuals

    def counted(self, *args):
        calls.append(1)
        return real(self, *args)

    monkeypatch.setattr(CompiledPolicy, "counterfactuals", counted)
    fresh = compiled.evaluate(example, CONTEXT)
    assert calls == []
    fresh.explanation("INI-001")
    fresh.explanation("INI-040")
    assert calls == [1] and fresh.counterfactuals["INI-040"]


def test_explain_off_gives_no_counterfactuals_and_the_same_rest(compiled, example, evaluation, monkeypatch):
    full = {d.initiative_id: evaluation.explanation(d.initiative_id) for d in evaluation.decisions}
    monkeypatch.setattr(CompiledPolicy, "counterfactuals", lambda *args: pytest.fail("computed counterfactuals"))
    quiet = compiled.evaluate(example, attrs.evolve(CONTEXT, explain=False))
    assert quiet.counterfactuals == {}
    assert quiet.decisions == evaluation.decisions
    for d in quiet.decisions:
        explanation = quiet.explanation(d.initiative_id)
        assert explanation.counterfactuals == ()
        assert attrs.evolve(explanation, counterfactuals=full[d.initiative_id].counterfactuals) == full[d.initiative_id]


def _wrapper_free(value, path="decision"):
    """Every value inside a decision is a plain value of a known type, all the way down."""
    plain_types = (str, int, bool, type(None), D, tuple, FrozenMap, Reason, Funding, Provenance)
    assert type(value) in plain_types, (path, type(value))
    if isinstance(value, tuple):
        for index, item in enumerate(value):
            _wrapper_free(item, f"{path}[{index}]")
    elif isinstance(value, FrozenMap):
        for key, item in value.items():
            if not isinstance(item, dict):
                _wrapper_free(item, f"{path}.{key}")
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _wrapper_free(getattr(value, field.name), f"{path}.{field.name}")


def test_a_decisions_fields_are_real_values(compiled, example, evaluation):
    assert [f.name for f in attrs.fields(Decision)] == [
        "initiative_id", "outcome", "score", "expected_value", "required_approvers", "flags", "reasons",
        "funding", "provenance", "calibration", "calls"]
    for decision in [*evaluation.decisions, *(compiled.decide(i, CONTEXT) for i in example)]:
        for field in attrs.fields(Decision):
            _wrapper_free(getattr(decision, field.name), f"{decision.initiative_id}.{field.name}")
    # Slots hold what the attributes give: no descriptor stands between a read and the value.
    for name in ("reasons", "provenance"):
        assert isinstance(Decision.__dict__[name], type(Decision.__dict__["outcome"]))
    for cls, name in ((Reason, "message"), (Provenance, "input_sha256")):
        assert isinstance(cls.__dict__[name], type(Decision.__dict__["outcome"]))


def test_reason_templates_and_the_input_hash_are_written_when_deciding(compiled, example, evaluation):
    initiative = next(i for i in example if i.id == "INI-019")
    d = compiled.decide(initiative, CONTEXT)
    vp = next(r for r in d.reasons if r.code == "vp-over-25k")
    assert vp.message == "Requested 85,000 is over 25,000, so a VP must sign off"
    trace = next(t for t in evaluation.explanation("INI-019").rules if t.rule_id == "vp-over-25k")
    assert (trace.status, dict(trace.seen), trace.message) == ("fired", {"cost": D(85000)}, vp.message)
    provenance = evaluation.decision(example[0].id).provenance
    assert provenance.input_sha256 == sha256_hex(example[0]) and len(provenance.input_sha256) == 64


def test_a_reason_template_may_name_what_no_condition_reads(tmp_path):
    text = (ROOT / "policies" / "acme-2026.toml").read_text(encoding="utf-8")
    changed = text.replace('reason = "Requested {cost} is over 25,000, so a VP must sign off"',
                           'reason = "{title} ({department}, scored {scores.impact}) asks {cost}"')
    assert changed != text
    path = tmp_path / "policy.toml"
    path.write_text(changed, encoding="utf-8")
    evaluation = evaluate(open_policy(str(path)), INITIATIVES, evaluated_at=AT)
    reason = next(r for r in evaluation.decision("INI-019").reasons if r.code == "vp-over-25k")
    trace = next(t for t in evaluation.explanation("INI-019").rules if t.rule_id == "vp-over-25k")
    impact = next(line.raw for line in evaluation.explanation("INI-019").scores if line.criterion == "impact")
    assert reason.message == trace.message == (
        f"Staff engineer leadership programme (Engineering, scored {impact}) asks 85,000")


def test_evolve_is_plain_attrs_evolve(evaluation):
    d = evaluation.decision("INI-001")
    assert not hasattr(Decision, "evolve") and not hasattr(Decision, "unresolved")
    moved = attrs.evolve(d, outcome="deferred")
    assert moved.outcome == "deferred" and moved.reasons is d.reasons and moved.provenance is d.provenance
    assert moved == Decision(**{**{f.name: getattr(d, f.name) for f in attrs.fields(Decision)}, "outcome": "deferred"})
    assert hash(moved) != hash(d) and moved != d


def test_values_stay_frozen_and_the_evaluation_keeps_its_fields(evaluation):
    d = evaluation.decision("INI-019")
    explanation = evaluation.explanation("INI-019")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.outcome = "approved"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.reasons[0].message = "changed"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        explanation.narrative = "changed"
    with pytest.raises(attrs.exceptions.FrozenAttributeError):
        evaluation.decisions = ()
    assert isinstance(evaluation.decisions, tuple) and all(type(x) is Decision for x in evaluation.decisions)


def test_the_record_has_the_decisions_fields_then_the_explanations(evaluation):
    d = evaluation.decision("INI-040")
    e = evaluation.explanation("INI-040")
    record = explained(d, e)
    # A decision's plugin-function calls are its ledger record's 'functions', beside the decision, not in it.
    fields = {f.name for f in attrs.fields(Decision)} - {"calls"}
    assert set(record) == fields | {f.name for f in attrs.fields(Explanation)}
    assert record["rules"] is e.rules and record["reasons"] is d.reasons
    assert canonical_json(record) == canonical_json({**{k: v for k, v in attrs.asdict(d, recurse=False).items()
                                                        if k in fields}, **attrs.asdict(e, recurse=False)})


def test_rule_traces_rebuilds_each_status(compiled):
    env = {"priorities": (), "evaluation_plan": ("kpi_tracking",), "forecast": {}, "kind": "training",
           "mentor": None}
    # A condition's value decides fired / not fired by its truth, whatever its type.
    outcomes = [True, UNREACHED, OUT_OF_FORCE, "not_reached", D(0)]
    traces = rule_traces(compiled.rules[:5], env, outcomes, dt.date(2026, 2, 1))
    assert [t.status for t in traces] == ["fired", "not_reached", "not_in_force", "fired", "not_fired"]
    assert all(t.__class__ is RuleTrace for t in traces)
    assert dict(traces[0].seen) == {"priorities": ()}
    assert traces[1].message == "an earlier approve rule fast-tracked" and dict(traces[1].seen) == {}
    assert traces[2].message.startswith("not in force on 2026-02-01")
    assert dict(traces[3].seen) == {"kind": "training", "mentor": None}


def test_an_explanation_of_another_contexts_decision_is_refused(compiled, example):
    initiative = example[0]
    decision = compiled.decide(initiative, CONTEXT)
    other = attrs.evolve(decision, score=decision.score + 1)
    with pytest.raises(PluginError) as info:
        compiled.explain(initiative, other, CONTEXT)
    assert info.value.diagnostics[0].code == "BP503"


def test_an_evaluation_not_made_by_the_engine_cannot_be_explained(evaluation):
    shuffled = attrs.evolve(evaluation, decisions=evaluation.decisions[::-1])
    with pytest.raises(ValueError, match="only an evaluation made by CompiledPolicy.evaluate"):
        shuffled.explanation(evaluation.decisions[0].initiative_id)
    with pytest.raises(KeyError):
        evaluation.explanation("INI-999")


# -- scorer details written by plugins ---------------------------------------------------------


def _plugin(detail):
    @hookimpl
    def register_scorers(register):
        register("headcount-reach", lambda params, policy: lambda i: (D(min(i.headcount, 10)) / 10,
                                                                    detail(i)))

    plugin = ModuleType("reach-plugin")  # a plugin is a module (or a hashable object), as installed ones are
    plugin.register_scorers = register_scorers  # type: ignore[attr-defined]
    return plugin


def _policy():
    return with_criterion(make_sample_policy(), "headcount-reach", criterion_id="reach")


def test_a_scorer_detail_may_be_a_function_called_when_explained():
    calls = []

    def detail(i):
        return lambda: calls.append(i.id) or f"{i.headcount} people"

    evaluation = evaluation_with(_plugin(detail), _policy(), make_sample_initiatives())
    assert evaluation.decisions[0].outcome == "approved" and calls == []  # deciding writes no detail
    line = next(line for line in evaluation.explanation("SMP-1").scores if line.criterion == "reach")
    assert (line.raw, line.detail, line.__class__) == (D("1"), "12 people", ScoreLine)
    assert calls.count("SMP-1") == 1
    evaluation.explanation("SMP-1")
    assert calls.count("SMP-1") == 1  # kept, not built again


@pytest.mark.parametrize(("detail", "code", "message"), [
    (lambda i: (lambda: 1 / 0) if i.id == "SMP-1" else "fine", "BP505",
     "its detail raised ZeroDivisionError: division by zero on initiative 'SMP-1'"),
    (lambda i: (lambda: 42) if i.id == "SMP-1" else "fine", "BP503",
     "its detail returned int for initiative 'SMP-1'; a detail must be text"),
])
def test_a_failing_detail_names_the_plugin_when_explained(detail, code, message):
    evaluation = evaluation_with(_plugin(detail), _policy(), make_sample_initiatives())
    with pytest.raises(PluginError) as info:
        evaluation.explanation("SMP-1")
    (diag,) = info.value.diagnostics
    assert diag.code == code
    assert "scorer 'headcount-reach' (plugin 'reach-plugin', criterion 'reach')" in diag.message
    assert message in diag.message


def test_a_detail_that_is_neither_text_nor_a_function_is_a_wrong_score_type():
    evaluation = None
    with pytest.raises(PluginError) as info:
        evaluation = evaluation_with(_plugin(lambda i: 7), _policy(), make_sample_initiatives())
    assert evaluation is None
    (diag,) = info.value.diagnostics
    assert diag.code == "BP503" and "returned tuple for initiative 'SMP-1'" in diag.message


def test_an_impure_scorer_is_caught_when_explained():
    answers = iter([D("0.5"), D("0.7")])  # decide, explain

    @hookimpl
    def register_scorers(register):
        register("headcount-reach", lambda params, policy: lambda i: (next(answers) if i.id == "SMP-1" else D(0),
                                                                    "detail"))

    plugin = ModuleType("reach-plugin")
    plugin.register_scorers = register_scorers  # type: ignore[attr-defined]
    evaluation = evaluation_with(plugin, _policy(), make_sample_initiatives()[:1])
    with pytest.raises(PluginError) as info:
        evaluation.explanation("SMP-1")
    (diag,) = info.value.diagnostics
    assert diag.code == "BP503" and "initiative 'SMP-1' scores" in diag.message
    assert "a scorer is not pure (same initiative, same answer)" in diag.message
