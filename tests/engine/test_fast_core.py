"""The engine's fast paths give the decisions the plain paths give: the scoring program (remembered
scorer answers, integer units) against score_initiative, the decision loop and remembered rule patterns
against rule-by-rule approval, and the fused one-argument call against the name's own reader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetpolicy.api import load_policy
from budgetpolicy.builtins.functions import builtin_functions
from budgetpolicy.engine.approve import RuleSet, _effects
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.engine.score import ScoreProgram, score_initiative
from budgetpolicy.errors import ExpressionError, PluginError
from budgetpolicy.expr import NUMBER, compile_expression, list_of
from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.model import Decision, Initiative
from budgetpolicy.testing import make_sample_policy, registry_with, with_criterion

POLICY = Path(__file__).resolve().parents[2] / "policies" / "acme-2026.toml"
CONTEXT = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc))
DATED = EvaluationContext(evaluated_at=CONTEXT.evaluated_at, as_of=dt.date(2026, 3, 1))
PRIORITIES = ("win-rate", "time-to-competence", "csat", "defect-rate", "unknown-kpi")
KINDS = ("training", "coaching", "stretch", "microlearning", "mentoring", "conference", "pilot")
RATINGS = st.one_of(st.integers(0, 5).map(Decimal), st.sampled_from([Decimal("2.50"), Decimal("4.0"),
                                                                      Decimal("0.000"), Decimal("3.3333")]))


@st.composite
def initiatives(draw: Any, n: int = 12) -> list[Initiative]:
    out = []
    for k in range(draw(st.integers(1, n))):
        linked = tuple(draw(st.lists(st.sampled_from(PRIORITIES), max_size=3, unique=True)))
        out.append(Initiative(
            id=f"I-{k}", title="t", kind=draw(st.sampled_from(KINDS)), department="Sales",
            cost=Decimal(draw(st.integers(0, 90_000))), headcount=draw(st.integers(1, 30)),
            priorities=linked,
            forecast={p: draw(st.decimals(0, 500, places=draw(st.integers(0, 3)))) for p in linked[:2]},
            probability=draw(st.decimals(0, 1, places=2)),
            evaluation_plan=draw(st.sampled_from([(), ("kpi_tracking",)])),
            mentor=draw(st.sampled_from([None, "M"])), sponsor=draw(st.sampled_from([None, "VP"])),
            pilot=draw(st.booleans()),
            ratings={c: draw(RATINGS) for c in ("feasibility", "alignment", "transfer", "risk")
                     if draw(st.booleans())},
            attributes={"manager_nominated": draw(st.booleans())} if draw(st.booleans()) else {}))
    return out


def plain_decision(compiled: Any, initiative: Initiative, context: EvaluationContext) -> Decision:
    """The decision by the plain paths: score_initiative, a full environment, the rules one by one."""
    scored = score_initiative(compiled.criteria, initiative, compiled.policy.scoring.precision)
    env = compiled._env(initiative, scored)
    _, fired = RuleSet(compiled.rules, compiled.ruleset.evaluators, sweep=False).outcomes(env, context.as_of)
    approved = _effects(fired, env)
    return Decision(initiative.id, approved.outcome, scored.total, scored.expected_value, approved.roles,
                    approved.flags, approved.reasons)


def _exact(decision: Decision) -> tuple[Any, ...]:
    # Decimal equality ignores the exponent: compare the printed forms too (0.25 must not become 0.250).
    return (decision, str(decision.score), str(decision.expected_value))


@pytest.fixture(scope="module")
def acme():
    return compile_policy(load_policy(str(POLICY)), registry_with(None))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(initiatives())
def test_the_decision_loop_gives_the_plain_paths_decisions(acme, items):
    for context in (CONTEXT, DATED):
        fast = acme.decide_all(items, context)
        assert [_exact(d) for d in fast] == [_exact(plain_decision(acme, i, context)) for i in items]
        # Twice: the second run answers from the remembered patterns and scorer answers.
        assert [_exact(d) for d in acme.decide_all(items, context)] == [_exact(d) for d in fast]


def test_reason_templates_are_filled_per_initiative_not_remembered(acme):
    low = [Initiative(id=f"L-{k}", title="t", kind="training", department="Sales", cost=Decimal(1000),
                      priorities=("win-rate",), forecast={"win-rate": Decimal(1)}, probability=Decimal(p),
                      evaluation_plan=("kpi_tracking",)) for k, p in enumerate(("0.1", "0.15"))]
    first, second = acme.decide_all(low, CONTEXT)
    texts = [{r.code: r.message for r in d.reasons}["probability-floor"] for d in (first, second)]
    assert texts == ["Forecast probability of success 0.1 is below the 0.2 floor",
                     "Forecast probability of success 0.15 is below the 0.2 floor"]


ANSWERS = st.one_of(
    st.decimals(min_value=0, max_value=1, places=8),
    st.decimals(min_value=-1, max_value=2, places=3),
    st.sampled_from([Decimal("0.5"), Decimal("0.50"), Decimal("1.000"), Decimal("0E-9"), Decimal("NaN"),
                     Decimal("sNaN"), Decimal("Infinity"), Decimal("-0"), 0, 1, 2, True, False, 0.5, None, "0.5"]),
)


def _answering_plugin(answers: dict[str, Any]) -> ModuleType:
    @hookimpl
    def register_scorers(register):
        def factory(params, policy):
            def score(initiative):
                answer = answers[initiative.id]
                return (answer, f"detail {initiative.id}") if initiative.id.endswith("d") else answer
            return score
        register("answering", factory)

    plugin = ModuleType("answering")
    plugin.register_scorers = register_scorers  # type: ignore[attr-defined]
    return plugin


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANSWERS, min_size=1, max_size=6), st.integers(0, 8))
def test_the_scoring_program_answers_or_fails_as_score_initiative_does(answers, precision):
    policy = with_criterion(make_sample_policy(), "answering", criterion_id="answering")
    policy = evolve(policy, scoring=evolve(policy.scoring, precision=precision))
    by_id = {f"A-{k}{'d' if k % 2 else ''}": answer for k, answer in enumerate(answers)}
    compiled = compile_policy(policy, registry_with(_answering_plugin(by_id)))
    program = ScoreProgram(compiled.criteria, precision)
    for iid in [*by_id, *by_id]:  # twice: the second pass reads what the first remembered
        initiative = Initiative(id=iid, title="t", kind="training", department="Sales", cost=Decimal(1),
                                priorities=("win-rate",), forecast={"win-rate": Decimal(2)},
                                ratings={"feasibility": Decimal(3)})
        assert _outcome(lambda: program(initiative)) == _outcome(
            lambda: score_initiative(compiled.criteria, initiative, precision))


def _outcome(fn: Any) -> Any:
    try:
        scored = fn()
    except PluginError as exc:
        return ("error", [d.message for d in exc.diagnostics])
    if isinstance(scored, list):
        return _outcomes(scored)
    return (scored, str(scored.total), str(scored.expected_value), [str(r) for r in scored.raws])


def test_evolved_criteria_get_their_own_scoring_program(acme):
    # Hermetic replay swaps the scorers with evolve(): the program must follow, never the old scorers.
    constant = tuple(evolve(cc, fn=lambda initiative: Decimal("0.5")) for cc in acme.criteria)
    swapped = evolve(acme, criteria=constant)
    item = Initiative(id="X", title="t", kind="training", department="Sales", cost=Decimal(1))
    assert swapped.scoring.criteria == constant
    assert swapped.decide(item, CONTEXT).score == sum((Decimal("0.5") * cc.weight for cc in constant), Decimal(0))
    assert acme.decide(item, CONTEXT).score != swapped.decide(item, CONTEXT).score


def test_a_fused_len_call_reads_a_list_of_the_wrong_items_through_the_names_reader():
    expression = compile_expression("len(lifts) == 2", {"lifts": list_of(NUMBER)}, builtin_functions())
    assert expression({"lifts": (Decimal(1), Decimal(2))}) is True
    assert expression({"lifts": [Decimal(1), Decimal(2)]}) is True  # a list is converted, as before
    assert expression({"lifts": (1, 2)}) is True  # ints are normalised by the reader
    with pytest.raises(ExpressionError) as info:
        expression({"lifts": ("a", Decimal(2))})
    assert "lifts" in info.value.diagnostics[0].message
    with pytest.raises(ExpressionError) as info:
        expression({})
    assert "'lifts' has no value" in info.value.diagnostics[0].message


BATCH_ANSWERS = st.one_of(st.decimals(min_value=0, max_value=1, places=2), st.sampled_from(
    [Decimal("-0"), Decimal("0"), Decimal("0.000"), Decimal("0.5"), Decimal("0.50"), Decimal("1")]))
BATCH_RATINGS = st.one_of(st.none(), RATINGS, st.sampled_from([Decimal("-0"), Decimal("0")]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(BATCH_ANSWERS, BATCH_ANSWERS, ANSWERS), min_size=1, max_size=12),
       st.lists(st.one_of(BATCH_RATINGS, BATCH_RATINGS, BATCH_RATINGS,
                          st.sampled_from([Decimal("-1"), Decimal("NaN"), Decimal("sNaN"), 3])),
                min_size=1, max_size=12),
       st.integers(0, 8))
def test_scoring_a_batch_answers_or_fails_as_scoring_one_at_a_time(answers, ratings, precision):
    # ScoreProgram.many (a batch decided by columns): the same Scored for every initiative as the program
    # called on each, or None (then the batch is scored one at a time), or the first failure.
    policy = with_criterion(make_sample_policy(), "answering", criterion_id="answering")
    policy = evolve(policy, scoring=evolve(policy.scoring, precision=precision))
    by_id = {f"A-{k}": answers[k % len(answers)] for k in range(max(len(answers), len(ratings)))}
    compiled = compile_policy(policy, registry_with(_answering_plugin(by_id)))
    assert any(step[4] == "feasibility" for step in ScoreProgram(compiled.criteria, precision).steps)
    items = [Initiative(id=iid, title="t", kind="training", department="Sales", cost=Decimal(1),
                        priorities=("win-rate",), forecast={"win-rate": Decimal(2)},
                        ratings={} if ratings[k % len(ratings)] is None else {"feasibility": ratings[k % len(ratings)]})
             for k, iid in enumerate(by_id)]
    one, batch = ScoreProgram(compiled.criteria, precision), ScoreProgram(compiled.criteria, precision)
    for _ in range(2):  # twice: the second pass reads what the first remembered
        want = _outcome(lambda: [one(i) for i in items])
        try:
            got = batch.many(items)
        except PluginError as exc:
            assert want == ("error", [d.message for d in exc.diagnostics])
            continue
        assert (_outcome(lambda: [batch(i) for i in items]) if got is None else _outcomes(got)) == want


def _outcomes(scored: list[Any]) -> Any:
    return [(s, str(s.total), str(s.expected_value), [str(r) for r in s.raws]) for s in scored]
