"""Deciding a batch column by column (engine/batch.py, expr/columns.py) gives exactly the row path's
decisions, or the row path's error: generated policies whose conditions all have a column form, on
generated initiatives (bad values included), against the one-at-a-time loop and the plain paths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetpolicy.builtins.functions import builtin_functions
from budgetpolicy.engine import batch
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.errors import BudgetPolicyError
from budgetpolicy.expr import NUMBER, STRING, compile_expression, list_of
from budgetpolicy.expr.columns import Batch, Unsuitable
from budgetpolicy.model import Decision, FrozenMap, Initiative, Rule
from budgetpolicy.testing import make_sample_policy, registry_with

CONTEXT = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc))

# Every shape with a column form, and a few that mix them.
CONDITIONS = (
    "len(priorities) == 0", "len(priorities) >= 2", "len(evaluation_plan) == 0", "len(title) > 3",
    'kind == "stretch" and not mentor', "score < 0.25", "score <= 0.2", "expected_value == 0 and score > 0.3",
    "cost > 25000", "cost >= 50000", 'kind == "microlearning" and cost < 5000',
    'kind in ["coaching", "mentoring"]', 'kind not in ["training"]', "pilot and not sponsor",
    "mentor == null", "null != sponsor", "pilot == true", 'not (cost > 1000 or kind == "pilot")',
    'department != "Sales"', "probability < 0.2", "title == id", "cost > 100 and cost < 60000 and pilot",
    'kind < "m"', "25000 < cost", 'cost in [1000, 2000, 3000]', "0.5 == probability",
)
KINDS = ("training", "coaching", "stretch", "microlearning", "mentoring", "pilot")
ODD = st.sampled_from([None, 5, "x", Decimal("NaN"), Decimal("sNaN"), Decimal("-0"), True])


def _policy(conditions: list[str], templates: list[bool]) -> Any:
    rules = tuple(Rule(id=f"r{k}", condition=c, effect=("flag", "reject", "require")[k % 3],
                       role="vp" if k % 3 == 2 else None, message=f"rule {k}",
                       reason=f"{c[:10]}: cost {{cost}}" if templated else None)
                  for k, (c, templated) in enumerate(zip(conditions, templates)))
    policy = make_sample_policy()
    return evolve(policy, approval=evolve(policy.approval, rules=rules))


@st.composite
def initiatives(draw: Any, odd: bool) -> list[Initiative]:
    out = []
    for k in range(draw(st.integers(1, 30))):
        fields: dict[str, Any] = dict(
            id=f"I-{k}", title=draw(st.sampled_from(["t", "I-1", "long title"])), kind=draw(st.sampled_from(KINDS)),
            department=draw(st.sampled_from(["Sales", "Support"])),
            cost=Decimal(draw(st.sampled_from([0, 1000, 2000, 4999, 5000, 25000, 25001, 50000, 70000]))),
            priorities=tuple(draw(st.lists(st.sampled_from(["win-rate", "csat"]), max_size=2, unique=True))),
            probability=draw(st.sampled_from([Decimal("0.1"), Decimal("0.2"), Decimal("0.5"), Decimal("0.50")])),
            evaluation_plan=draw(st.sampled_from([(), ("kpi_tracking",)])),
            mentor=draw(st.sampled_from([None, "M", ""])), sponsor=draw(st.sampled_from([None, "VP"])),
            pilot=draw(st.booleans()), ratings={"feasibility": Decimal(draw(st.integers(0, 5)))})
        if odd and draw(st.integers(0, 9)) == 0:  # a value the closures convert or refuse
            fields[draw(st.sampled_from(["cost", "mentor", "probability", "kind", "title"]))] = draw(ODD)
        out.append(Initiative(**fields))
    return out


def _outcome(fn: Any) -> Any:
    try:
        return [(d, str(d.score), str(d.expected_value)) for d in fn()]
    except BudgetPolicyError as exc:
        return ("error", type(exc).__name__, str(exc))
    except ArithmeticError as exc:  # a reason template formatting a signalling NaN: the same on both paths
        return ("raised", type(exc).__name__)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CONDITIONS), min_size=0, max_size=6), st.data(), st.booleans())
def test_a_batch_by_columns_decides_as_the_row_path_does(conditions, data, odd):
    templates = data.draw(st.lists(st.booleans(), min_size=len(conditions), max_size=len(conditions)))
    items = data.draw(initiatives(odd))
    columns = compile_policy(_policy(conditions, templates), registry_with(None))
    rows = compile_policy(_policy(conditions, templates), registry_with(None))
    assert columns.columns is not None and len(columns.columns) == len(conditions)
    want = _outcome(lambda: rows._decide_rows(items, CONTEXT))
    assert _outcome(lambda: columns.decide_all(items, CONTEXT)) == want
    # Again: now from the remembered patterns and scores.
    assert _outcome(lambda: columns.decide_all(items, CONTEXT)) == want
    if want[0] != "error":
        assert _outcome(lambda: [columns.decide(i, CONTEXT) for i in items]) == want


GRID = [Initiative(id=f"G-{k}", title=("t", "G-1", "long title")[k % 3], kind=KINDS[k % len(KINDS)],
                   department=("Sales", "Support")[k % 2],
                   cost=Decimal((0, 1000, 4999, 5000, 25000, 25001, 50000, 70000)[k % 8]) * (1 + k % 2),
                   priorities=(("win-rate",), (), ("win-rate", "csat"))[k % 3],
                   probability=(Decimal("0.1"), Decimal("0.2"), Decimal("0.5"), Decimal("0.50"))[k % 4],
                   evaluation_plan=((), ("kpi_tracking",))[k % 5 % 2], mentor=(None, "M", "")[k % 7 % 3],
                   sponsor=(None, "VP")[k % 3 % 2], pilot=k % 4 == 1,
                   ratings={"feasibility": Decimal(k % 6)}) for k in range(48)]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_by_columns_decides_as_the_row_path_does(condition, monkeypatch):
    columns = compile_policy(_policy([condition], [False]), registry_with(None))
    rows = compile_policy(_policy([condition], [False]), registry_with(None))
    want = _outcome(lambda: rows._decide_rows(GRID, CONTEXT))
    fired = sum(1 for d, _, _ in want if d.reasons)
    assert 0 < fired < len(GRID), fired  # the grid tells firing from not firing
    monkeypatch.setattr(type(columns), "_decide_rows", None)  # the columns decide every initiative here
    assert _outcome(lambda: columns.decide_all(GRID, CONTEXT)) == want


def test_the_column_path_is_taken_and_a_bad_value_sends_the_batch_to_the_rows(monkeypatch):
    compiled = compile_policy(_policy(["cost > 25000", 'kind == "stretch" and not mentor'], [False, False]),
                              registry_with(None))
    good = [Initiative(id=f"G-{k}", title="t", kind="stretch", department="Sales", cost=Decimal(k * 20000),
                       mentor=None if k % 2 else "M") for k in range(4)]
    calls: list[str] = []
    rows = compiled._decide_rows
    monkeypatch.setattr(type(compiled), "_decide_rows", lambda self, items, context: calls.append("rows") or
                        rows(items, context))
    decided = compiled.decide_all(good, CONTEXT)
    assert calls == []  # every decision came from the columns
    assert [d.outcome for d in decided] == ["approved", "rejected", "approved", "rejected"]  # r0 flags, r1 rejects
    assert [[r.code for r in d.reasons] for d in decided] == [[], ["r1"], ["r0"], ["r0", "r1"]]
    assert [d.flags for d in decided] == [(), (), ("r0",), ("r0",)]
    bad = [*good, evolve(good[0], id="B-1", mentor=5)]  # a number where a string is expected
    with pytest.raises(BudgetPolicyError) as info:
        compiled.decide_all(bad, CONTEXT)
    assert calls == ["rows"]
    assert "'B-1'" in str(info.value) and "mentor" in str(info.value)


def test_a_scorer_failure_and_a_condition_failure_are_reported_in_row_order():
    # The first initiative's condition fails (a NaN in an ordering), the second's rating is refused by
    # its scorer: the rows report the first, and so must the batch.
    compiled = compile_policy(_policy(["probability < 0.2"], [False]), registry_with(None))
    items = [Initiative(id="N-1", title="t", kind="training", department="Sales", cost=Decimal(1),
                        probability=Decimal("NaN")),
             Initiative(id="N-2", title="t", kind="training", department="Sales", cost=Decimal(1),
                        ratings={"feasibility": "high"})]
    row = compile_policy(_policy(["probability < 0.2"], [False]), registry_with(None))
    want = _outcome(lambda: row._decide_rows(items, CONTEXT))
    assert want[0] == "error" and "N-1" in want[2]
    assert _outcome(lambda: compiled.decide_all(items, CONTEXT)) == want


def test_conditions_without_a_column_form_leave_the_policy_on_the_row_path():
    for condition in ("cost / headcount > 6000", "len(forecast) == 0", "attributes.mentor_hours > 1", "-cost < 0",
                      "(cost if pilot else 0) > 5", "priorities[0] == \"csat\""):
        compiled = compile_policy(_policy([condition, "cost > 1"], [False, False]), registry_with(None))
        assert compiled.columns is None, condition


def _column(source: str, symbols: dict[str, Any], values: dict[str, list[Any]]) -> list[Any]:
    expression = compile_expression(source, symbols, builtin_functions())
    assert expression.columns is not None
    return list(expression.columns(Batch(values.__getitem__)))


def test_each_column_form_gives_the_closures_values():
    costs = [Decimal(1), Decimal("25000"), Decimal("25000.00"), Decimal(30000)]
    kinds = ["a", "stretch", "b", "stretch"]
    symbols = {"cost": NUMBER, "kind": STRING, "mentor": "string?", "tags": list_of(STRING)}
    values = {"cost": costs, "kind": kinds, "mentor": [None, "", "M", None],
              "tags": [(), ("x",), ("x", "y"), ()]}
    for source in ("cost > 25000", "cost >= 25000", "cost == 25000", "cost != 25000", "25000 <= cost",
                   'kind == "stretch" and not mentor', 'kind == "stretch" or cost < 2', "mentor == null",
                   "len(tags) == 0", "len(tags) > 1", 'kind in ["a", "b"]', 'kind not in ["a"]', "not mentor",
                   "len(kind) == 7 and cost > 1 and mentor != null"):
        expression = compile_expression(source, symbols, builtin_functions())
        rows = [expression({name: column[k] for name, column in values.items()}) for k in range(4)]
        assert _column(source, symbols, values) == rows, source
        assert [v.__class__ for v in _column(source, symbols, values)] == [v.__class__ for v in rows], source


def test_a_column_the_closures_would_convert_is_unsuitable():
    with pytest.raises(Unsuitable):  # an int: the closure normalises it to a Decimal first
        _column("cost > 1", {"cost": NUMBER}, {"cost": [Decimal(1), 2]})
    with pytest.raises(Unsuitable):  # a list given as a list, not a tuple
        _column("len(tags) == 1", {"tags": list_of(STRING)}, {"tags": [("a",), ["b"]]})
    with pytest.raises(Unsuitable):  # a null in an ordering: the closure answers false, per row
        _column("cost > 1", {"cost": "number?"}, {"cost": [Decimal(1), None]})
    with pytest.raises(Unsuitable):  # a name the batch does not have
        _column("cost > 1", {"cost": NUMBER}, {})
    assert compile_expression("cost * 2 > 1", {"cost": NUMBER}, builtin_functions()).columns is None


def test_decisions_made_slot_by_slot_equal_the_constructed_ones():
    ruleset = compile_policy(_policy(["cost > 1", "cost > 2"], [False, False]), registry_with(None)).ruleset
    approved = [ruleset.settle((True, False), {}), ruleset.settle((False, False), {})]
    scored = [batch.Scored(Decimal("0.25"), Decimal(0), (Decimal("0.25"),)),
              batch.Scored(Decimal("0.5"), Decimal("1.5"), (Decimal("0.5"),))]
    calibration = FrozenMap({"group": "Sales"})
    made = batch._new_decisions(["X-1", "X-2"], approved, scored, calibration)
    assert made == [Decision(i, a.outcome, s.total, s.expected_value, a.roles, a.flags, a.reasons,
                             calibration=calibration) for i, a, s in zip(["X-1", "X-2"], approved, scored)]
    assert [(d.funding, d.provenance, d.calls, d.calibration) for d in made] == [(None, None, (), calibration)] * 2
    assert [str(d.score) for d in made] == ["0.25", "0.5"] and [r.code for r in made[0].reasons] == ["r0"]
    assert made[1].reasons == () and made[1].expected_value == Decimal("1.5")


def test_the_built_in_len_over_a_column_gives_len_of_each():
    from budgetpolicy.builtins.functions import length

    values = ["", "abc", (), ("a",) * 300, {"k": 1}, FrozenMap({"a": 1, "b": 2}), "x" * 255]
    assert length.column_form(values) == [length(v) for v in values]
    assert [str(n) for n in length.column_form(values)] == ["0", "3", "0", "300", "1", "2", "255"]
    assert length.column_form(["ab", "c"]) == [Decimal(2), Decimal(1)]
    with pytest.raises(TypeError, match="needs a string, list or map, got number"):
        length.column_form(["ab", Decimal(1)])  # a class len() takes neither: length() itself refuses it


def test_an_operator_on_lists_or_maps_has_no_column_form():
    # The closures compare lists item by item (and refuse maps in orderings): no batch could take them.
    symbols = {"tags": list_of(STRING), "kind": STRING, "mentor": "string?"}
    for source, has in (('tags == ["a"]', False), ('tags != ["a", "b"]', False), ('kind == "a"', True),
                        ("mentor == null", True), ("null != mentor", True), ('mentor != "x"', True)):
        assert (compile_expression(source, symbols, builtin_functions()).columns is not None) is has, source
