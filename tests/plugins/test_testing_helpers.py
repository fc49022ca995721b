"""budgetpolicy.testing's helpers for every kind of extension, used as a plugin author would: a function,
a data source, custom attributes and initiatives built like data rows (scorers: test_testing_fixtures.py)."""

from __future__ import annotations

import types
from decimal import Decimal as D

import pytest

from budgetpolicy import hookimpl
from budgetpolicy.errors import DataError, ExpressionError, Location
from budgetpolicy.testing import (evaluate_with, function_value, make_initiative, make_sample_initiatives,
                                  make_sample_policy, read_with, registry_with, with_attributes, with_rule)


def reach_plugin(fail: bool = False):
    """A function plugin: the share of a target headcount an initiative reaches."""
    module = types.ModuleType("bp_test_reach")

    def reach(headcount, target):
        if fail:
            raise LookupError("headcount service down")
        return min(headcount / target, D(1))

    @hookimpl
    def register_functions(register):
        register("reach", reach, params=("number", "number"), returns="number", description="headcount share")

    module.register_functions = register_functions
    return module


def roster_plugin():
    """A data-source plugin: initiatives from an in-memory roster named by the target."""
    module = types.ModuleType("bp_test_roster")
    rosters = {"good": [{"id": "R-1", "title": "Roster bet", "kind": "coaching", "department": "Support",
                         "cost": "12000", "priorities": ["csat"], "forecast": {"csat": "3"}, "probability": "0.6",
                         "attributes": {"due": "2026-04-30"}}],
               "bad": [{"id": "R-2", "title": "Bad bet", "kind": "coaching", "department": "Support",
                        "cost": "twelve"}]}

    def roster(target, kind):
        for row, record in enumerate(rosters[target], start=1):
            yield Location(file=f"roster:{target}", row=row), record

    @hookimpl
    def register_data_sources(register):
        register("roster", roster, description="in-memory rosters")

    module.register_data_sources = register_data_sources
    return module


def test_function_value_runs_the_function_as_a_rule_would():
    initiative = make_initiative(headcount=30)
    assert function_value(reach_plugin(), "reach(headcount, 60)", initiative) == D("0.5")
    assert function_value(reach_plugin(), "reach(headcount, 10) >= 1", initiative) is True


def test_function_value_checks_the_signature_and_names_the_plugin_that_raises():
    with pytest.raises(ExpressionError) as wrong:
        function_value(reach_plugin(), 'reach(headcount, "sixty")')
    assert wrong.value.diagnostics[0].code in ("BP303", "BP304", "BP305")
    with pytest.raises(ExpressionError) as raised:
        function_value(reach_plugin(fail=True), "reach(headcount, 60) > 0")
    message = raised.value.diagnostics[0].message
    assert message == "reach() (plugin 'bp_test_reach', hook register_functions) failed: headcount service down (column 1)"


def test_with_rule_puts_the_function_into_a_policy_run():
    policy = with_rule(make_sample_policy(), "reach(headcount, 10) >= 1", rule_id="wide-reach",
                       message="reaches the whole team")
    decisions = {d.initiative_id: d for d in evaluate_with(reach_plugin(), policy, make_sample_initiatives())}
    assert "wide-reach" in [r.code for r in decisions["SMP-1"].reasons]  # 12 people, target 10
    assert "wide-reach" not in [r.code for r in decisions["SMP-3"].reasons]  # headcount 1


def test_read_with_reads_through_the_source_and_checks_every_record():
    (bet,) = read_with(roster_plugin(), "roster:good", attribute_types={"due": "date"})
    assert (bet.id, bet.cost, bet.forecast["csat"], bet.attributes["due"]) == ("R-1", D(12000), D(3), "2026-04-30")
    with pytest.raises(DataError) as bad:
        read_with(roster_plugin(), "roster:bad")
    diag = bad.value.diagnostics[0]
    assert (diag.location.file, diag.location.row, diag.location.field) == ("roster:bad", 1, "cost")


def test_make_initiative_converts_like_a_data_row_and_types_attributes():
    initiative = make_initiative(id="X-1", cost="48000", attributes={"due": "2026-05-01", "team": "7"},
                                 attribute_types={"due": "date", "team": "number"})
    assert (initiative.id, initiative.cost, initiative.kind) == ("X-1", D(48000), "training")
    assert dict(initiative.attributes) == {"due": "2026-05-01", "team": D(7)}
    with pytest.raises(DataError) as bad:
        make_initiative(attributes={"due": "2026-13-01"}, attribute_types={"due": "date"})
    assert bad.value.diagnostics[0].code == "BP415"


def test_with_attributes_declares_them_for_conditions():
    policy = with_rule(with_attributes(make_sample_policy(), due="date"), 'attributes.due < "2026-06-01"',
                       rule_id="early", message="starts early")
    early = make_initiative(id="E-1", attributes={"due": "2026-05-01"}, attribute_types=policy.attributes)
    late = make_initiative(id="L-1", attributes={"due": "2026-09-01"}, attribute_types=policy.attributes)
    decisions = {d.initiative_id: d for d in evaluate_with(None, policy, [early, late])}
    assert "early" in decisions["E-1"].flags or "early" in [r.code for r in decisions["E-1"].reasons]
    assert "early" not in [r.code for r in decisions["L-1"].reasons]


def test_registry_with_names_who_registered_what():
    registry = registry_with([reach_plugin(), roster_plugin()])
    assert registry.functions["reach"].plugin == "bp_test_reach"
    assert registry.sources["roster"].options["description"] == "in-memory rosters"
