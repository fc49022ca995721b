"""Scoring's edges that surviving mutants showed unpinned (issue #18 item 7; docs/reliability.md).

A scorer plugin that fails (while being made, while scoring, in its detail) is named in one located
message with its code; a scorer's (value, detail) answer, its detail function and the rounding to the
rubric's precision are asserted on exact values, in the decision and in its explanation alike.
"""

from __future__ import annotations

from decimal import Decimal as D
from types import ModuleType

import attrs
import pytest

from budgetpolicy import hookimpl
from budgetpolicy.errors import PluginError, PolicyLoadError
from budgetpolicy.model import ScoreLine
from budgetpolicy.testing import (evaluation_with, make_initiative, make_sample_initiatives, make_sample_policy,
                                  with_criterion, with_rule)

SAMPLE = "<budgetpolicy.testing sample policy>"


def _plugin(name: str, factory) -> ModuleType:
    @hookimpl
    def register_scorers(register):
        register("probe", factory)

    plugin = ModuleType(name)
    plugin.register_scorers = register_scorers  # type: ignore[attr-defined]
    return plugin


def _policy(**params):
    return with_criterion(make_sample_policy(), "probe", params, criterion_id="reach")


def _refused(factory, **params):
    with pytest.raises(PolicyLoadError) as info:
        evaluation_with(_plugin("probing", factory), _policy(**params), ())
    (d,) = info.value.diagnostics
    return d.code, d.message, d.location.file, d.location.key, d.hint


def test_a_scorer_refusing_its_parameters_is_a_bp230_at_the_criterions_params():
    def factory(params, policy):
        raise ValueError(f"parameter 'k' must be > 0, not {params['k']}")

    assert _refused(factory, k=-1) == (
        "BP230", "criterion 'reach': scorer 'probe': parameter 'k' must be > 0, not -1", SAMPLE,
        "scoring.criteria[2].params", "fix the parameters")


def test_a_scorer_factory_that_crashes_is_a_bp505_naming_the_plugin():
    def factory(params, policy):
        raise KeyError("k")

    assert _refused(factory) == (
        "BP505", "plugin 'probing' scorer 'probe' raised KeyError: 'k'", SAMPLE, "scoring.criteria[2].scorer",
        "report it to the plugin's authors or run with -p no:NAME")


def test_a_scorer_factory_returning_no_function_is_a_bp503():
    code, message, file, key, _ = _refused(lambda params, policy: 0.5)
    assert (code, message, file, key) == (
        "BP503", "plugin 'probing' scorer 'probe' returned float, not a callable", SAMPLE, "scoring.criteria[2].scorer")


def test_an_unknown_scorer_lists_the_available_ones():
    policy = with_criterion(make_sample_policy(), "nosuch", criterion_id="reach")
    with pytest.raises(PolicyLoadError) as info:
        evaluation_with(None, policy, ())
    (d,) = info.value.diagnostics
    assert d.message == "criterion 'reach': no plugin provides scorer 'nosuch'"
    assert d.hint == "available: expected_value, field, rubric"


def _scored(answer, initiatives=None):
    plugin = _plugin("probing", lambda params, policy: answer)
    return evaluation_with(plugin, _policy(), initiatives or make_sample_initiatives()[:1])


def test_a_scorer_raising_while_scoring_is_named_with_the_initiative():
    def answer(initiative):
        raise ZeroDivisionError("no heads")

    with pytest.raises(PluginError) as info:
        _scored(answer, [make_initiative(id="T-1")])
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.location.file) == (
        "BP505", "scorer 'probe' (plugin 'probing', criterion 'reach') raised ZeroDivisionError: no heads on "
                 "initiative 'T-1'", "<make_initiative>")


def test_a_value_and_detail_answer_scores_the_value_and_explains_with_the_detail():
    evaluation = _scored(lambda initiative: (D("0.1234567"), f"{initiative.headcount} heads"))
    decision = evaluation.decisions[0]
    # Weights normalised: impact 0.6, feasibility 0.4, reach 1 over 2: 0.3, 0.2, 0.5. Raw rounded to 6 places.
    # 0.072 + 0.16 + 0.0617285 rounded half-even to 6 places (0.061728, where half-up gives 0.061729).
    assert decision.score == D("0.293728")
    line = evaluation.explanation("SMP-1").scores[2]
    assert line == ScoreLine("reach", "probe", D("0.5"), D("0.123457"), D("0.061728"), "12 heads")


def test_a_detail_function_is_called_for_the_explanation_only():
    calls = []

    def answer(initiative):
        return D("0.5"), lambda: calls.append(initiative.id) or f"detail of {initiative.id}"

    evaluation = _scored(answer)
    assert calls == []
    assert evaluation.explanation("SMP-1").scores[2].detail == "detail of SMP-1"
    assert calls == ["SMP-1"]


@pytest.mark.parametrize("detail, code, message", [
    (lambda: 1 / 0, "BP505", "scorer 'probe' (plugin 'probing', criterion 'reach'): its detail raised "
                             "ZeroDivisionError: division by zero on initiative 'SMP-1'"),
    (lambda: 42, "BP503", "scorer 'probe' (plugin 'probing', criterion 'reach'): its detail returned int for "
                          "initiative 'SMP-1'; a detail must be text"),
])
def test_a_detail_function_that_fails_is_named_when_the_explanation_is_built(detail, code, message):
    initiative = make_initiative(id="SMP-1", probability="0.8", forecast={"win-rate": "2.5"})
    evaluation = _scored(lambda initiative: (D("0.5"), detail), [initiative])
    assert evaluation.decisions[0].score == D("0.322")  # 0.072 + 0 (no feasibility rating) + 0.5 x 0.5
    with pytest.raises(PluginError) as info:
        evaluation.explanation("SMP-1")
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.location.file) == (code, message, "<make_initiative>")


def test_only_expected_value_criteria_add_to_the_expected_value():
    evaluation = _scored(lambda initiative: D("0.75"))
    decision = evaluation.decisions[0]
    assert decision.expected_value == D("0.24")  # the impact criterion's raw score alone, not reach's 0.75
    assert [line.raw for line in evaluation.explanation("SMP-1").scores] == [D("0.24"), D("0.8"), D("0.75")]


@pytest.mark.parametrize("precision, score, lines", [
    (0, D(0), [(D(0), D(0)), (D(1), D(0))]),  # 0.24 -> 0, 0.6 -> 1; 0.4 -> 0
    (1, D("0.3"), [(D("0.2"), D("0.1")), (D("0.6"), D("0.2"))]),  # 0.12 -> 0.1, 0.24 -> 0.2
    (2, D("0.38"), [(D("0.24"), D("0.14")), (D("0.6"), D("0.24"))]),  # 0.144 -> 0.14
    (28, D("0.384"), [(D("0.24"), D("0.144")), (D("0.6"), D("0.24"))]),
])
def test_scores_are_rounded_to_the_rubrics_precision_in_the_decision_and_its_lines(precision, score, lines):
    policy = make_sample_policy()
    policy = attrs.evolve(policy, scoring=attrs.evolve(policy.scoring, precision=precision))
    initiative = attrs.evolve(make_sample_initiatives()[0], ratings={"feasibility": D(3)})
    evaluation = evaluation_with(None, policy, [initiative])
    assert evaluation.decisions[0].score == score
    assert [(line.raw, line.weighted) for line in evaluation.explanation("SMP-1").scores] == lines


def _second_call(first, then):
    answers = [first]

    def answer(initiative):
        if answers:
            return answers.pop()
        if isinstance(then, Exception):
            raise then
        return then

    return answer


@pytest.mark.parametrize("then, code, message", [
    (D(2), "BP503", "scorer 'probe' (plugin 'probing', criterion 'reach') returned 2 for initiative 'T-1', "
                    "outside 0..1"),
    (RuntimeError("flaky"), "BP505", "scorer 'probe' (plugin 'probing', criterion 'reach') raised RuntimeError: "
                                     "flaky on initiative 'T-1'"),
])
def test_a_scorer_answering_otherwise_for_the_explanation_is_named(then, code, message):
    evaluation = _scored(_second_call(D("0.5"), then), [make_initiative(id="T-1")])
    with pytest.raises(PluginError) as info:
        evaluation.explanation("T-1")
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.location.file) == (code, message, "<make_initiative>")


def test_a_plain_answer_has_no_detail():
    assert _scored(lambda initiative: D("0.5")).explanation("SMP-1").scores[2].detail == ""


def test_the_explanations_rules_see_the_expected_value_and_criterion_scores_the_decision_saw():
    # Two expected_value criteria: the expected value is the sum of both raw scores (0.24 + 0.24).
    policy = with_criterion(make_sample_policy(), "expected_value", criterion_id="impact2")
    policy = with_rule(policy, "expected_value > 0.4 and scores.impact2 > 0.2", rule_id="ev", message="ev")
    evaluation = evaluation_with(None, policy, make_sample_initiatives()[:1])
    decision = evaluation.decisions[0]
    assert (decision.expected_value, decision.flags) == (D("0.48"), ("ev",))
    (trace,) = [t for t in evaluation.explanation("SMP-1").rules if t.rule_id == "ev"]
    assert (trace.status, trace.seen) == ("fired", {"expected_value": D("0.48"), "scores.impact2": D("0.24")})


@pytest.mark.parametrize("answer", [(D("0.5"),), (D("0.5"), "detail", "more"), (D("0.5"), 7), ()])
def test_a_tuple_that_is_not_a_value_and_its_detail_is_a_bp503_naming_the_scorer(answer):
    with pytest.raises(PluginError) as info:
        _scored(lambda initiative: answer, [make_initiative(id="T-1")])
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.location.file) == (
        "BP503", "scorer 'probe' (plugin 'probing', criterion 'reach') returned tuple for initiative 'T-1'; "
                 "a scorer must return a Decimal in 0..1", "<make_initiative>")
