"""Recording plugin-function calls (expr.calls): exact values, which functions are recorded, and when."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetpolicy import hookimpl
from budgetpolicy.audit.entry import entry_for_decision
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.errors import LedgerError
from budgetpolicy.expr.calls import args_key, from_record, literal, to_record
from budgetpolicy.model import FrozenMap
from budgetpolicy.testing import make_initiative, make_sample_policy, registry_with, with_rule

AT = EvaluationContext(evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc))

values = st.recursive(
    st.none() | st.booleans() | st.text() | st.decimals(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3).map(FrozenMap),
    max_leaves=8)


@given(values)
def test_a_recorded_value_comes_back_exactly(value):
    back = from_record(to_record(value))
    assert back == value
    assert type(back) is type(value)
    assert to_record(back) == to_record(value)


def test_numbers_and_text_never_look_alike():
    assert to_record("25000") == "25000"
    assert to_record(Decimal("25000")) == {"number": "25000"}
    assert to_record(Decimal("0.50")) == {"number": "0.50"}  # the exact decimal, trailing zero kept
    assert to_record((Decimal(1), "a", None, True)) == [{"number": "1"}, "a", None, True]
    assert to_record(FrozenMap({"x": Decimal(2)})) == {"map": {"x": {"number": "2"}}}
    assert args_key([to_record("1")]) != args_key([to_record(Decimal(1))])
    assert literal(("Sales", Decimal("2.50"), None, False)) == '["Sales", 2.50, null, false]'


def test_what_cannot_be_recorded_exactly_is_refused():
    with pytest.raises(ValueError, match="float"):
        to_record(0.5)
    for bad in ({"number": 5}, {"map": [1]}, {"a": 1, "b": 2}, 3):
        with pytest.raises(ValueError, match="not a recorded expression value"):
            from_record(bad)


class Band:
    """A third-party plugin (an instance, registered like any plugin) with one function."""

    def __init__(self, result):
        self.result = result

    @hookimpl
    def register_functions(self, register):
        register("band", lambda department: self.result, params=("string",), returns="any")


def _decide(plugin, condition):
    policy = with_rule(make_sample_policy(), condition)
    compiled = compile_policy(policy, registry_with(plugin))
    return compiled, compiled.decide(make_initiative(department="Sales"), AT)


def test_only_plugin_functions_a_rule_calls_are_recorded():
    compiled, decision = _decide(Band("high"), 'band(department) == "high" and len(department) > 0')
    assert compiled.records_calls
    assert [(c.function, c.args, c.result) for c in decision.calls] == [("band", ("Sales",), "high")]
    assert decision.calls[0].plugin != ""
    # Built-ins only (the plugin is loaded but not called): no log is opened, nothing is recorded.
    compiled, decision = _decide(Band("high"), "len(department) > 0")
    assert not compiled.records_calls and decision.calls == ()


def test_a_result_without_an_exact_record_stops_the_ledger_write_with_one_line():
    # A map holding a float passes the engine (maps are read lazily) but has no exact record.
    compiled, _ = _decide(Band({"rate": 0.5}), "len(band(department)) > 0")
    evaluation = compiled.evaluate([make_initiative(department="Sales")], AT)
    decision = evaluation.decisions[0]
    with pytest.raises(LedgerError, match=r"BP805|band\(\)") as caught:
        entry_for_decision(decision, {"id": decision.initiative_id})
    assert caught.value.diagnostics[0].code == "BP805"
    assert "band() (plugin" in str(caught.value) and "float" in str(caught.value)
