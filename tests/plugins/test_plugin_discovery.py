"""Entry-point discovery, pinning and -p selection, through real (temporary) installed distributions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from budgetpolicy.errors import PluginError
from budgetpolicy.model import Initiative
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.policy.load import load_policy_text
from budgetpolicy.plugins import DEFAULT_PLUGINS, PINNED_ENV, build_registry, get_plugin_manager
from budgetpolicy.registry import Registry
from plugin_fakes import POLICY_USING_FIXED, SCORER_PLUGIN

AT = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


def names(pm):
    return {name for name, plugin in pm.list_name_plugin() if plugin is not None}


def test_builtins_are_registered_like_plugins(monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "")
    pm = get_plugin_manager()
    assert names(pm) == set(DEFAULT_PLUGINS)
    registry = Registry.build(pm)
    assert {"expected_value", "rubric", "field"} <= set(registry.scorers)
    assert registry.scorers["rubric"].plugin == "budgetpolicy.builtins.scorers"
    assert {"min", "max", "clamp"} <= set(registry.functions)


def test_installed_plugin_is_discovered_with_its_distribution_version(site, monkeypatch):
    module = site.install("kpiextra", SCORER_PLUGIN, version="1.2.3")
    monkeypatch.setenv(PINNED_ENV, "kpiextra")
    registry = build_registry()
    fixed = registry.scorers["fixed"]
    assert (fixed.plugin, fixed.version) == ("kpiextra", "1.2.3")
    assert registry.functions["double"].options["params"] == ("number",)
    assert ("kpiextra", "1.2.3") in registry.plugin_versions()
    assert registry.pm.get_plugin("kpiextra").__name__ == module


def test_pinning_and_p_options(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN)
    site.install("other", SCORER_PLUGIN.replace('"fixed"', '"fixed2"').replace('"double"', '"double2"'))
    monkeypatch.delenv(PINNED_ENV, raising=False)
    assert {"kpiextra", "other"} <= names(get_plugin_manager())  # unpinned: everything installed
    monkeypatch.setenv(PINNED_ENV, "other")
    assert "kpiextra" not in names(get_plugin_manager()) and "other" in names(get_plugin_manager())
    monkeypatch.setenv(PINNED_ENV, " kpiextra , other ")
    assert {"kpiextra", "other"} <= names(get_plugin_manager())
    monkeypatch.setenv(PINNED_ENV, "")
    assert not {"kpiextra", "other"} & names(get_plugin_manager())
    assert "kpiextra" in names(get_plugin_manager(enable=["kpiextra"]))  # -p NAME beats the pin
    monkeypatch.delenv(PINNED_ENV)
    pm = get_plugin_manager(disable=["kpiextra"])  # -p no:NAME
    assert "kpiextra" not in names(pm) and pm.is_blocked("kpiextra") and "other" in names(pm)
    builtin_off = get_plugin_manager(disable=["functions"])
    assert "budgetpolicy.builtins.functions" not in names(builtin_off)


def test_enabling_a_plugin_that_is_not_installed(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN)
    monkeypatch.setenv(PINNED_ENV, "")
    with pytest.raises(PluginError) as info:
        get_plugin_manager(enable=["kpiextr"])
    (diag,) = info.value.diagnostics
    assert diag.code == "BP501"
    assert diag.message == "plugin 'kpiextr' is not installed"
    assert diag.hint == "did you mean 'kpiextra'?"


def test_engine_uses_the_plugin_scorer_function_and_sink_and_records_its_version(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN, version="2.0.1")
    monkeypatch.setenv(PINNED_ENV, "kpiextra")
    registry = build_registry()
    compiled = compile_policy(load_policy_text(POLICY_USING_FIXED, "p.toml"), registry)
    strong = Initiative(id="I-1", title="t", kind="training", department="D", cost=D(100), priorities=("a",),
                        forecast={"a": D(10)}, probability=D("0.5"))
    weak = Initiative(id="I-2", title="t", kind="training", department="D", cost=D(100))
    evaluation = compiled.evaluate([strong, weak], EvaluationContext(evaluated_at=AT))
    one, two = evaluation.decisions
    # I-1: (EV 0.5 x 1 x 10/10 + fixed 0.5) / 2 = 0.5; double(0.5) = 1 -> approved.
    lines = evaluation.explanation(one.initiative_id).scores
    assert [(line.scorer, line.raw, line.detail) for line in lines][1] == ("fixed", D("0.5"), "fixed 0.5")
    assert (one.score, one.outcome) == (D("0.5"), "approved")
    assert (two.score, two.outcome) == (D("0.25"), "rejected")
    assert ("kpiextra", "2.0.1") in one.provenance.plugins
    sink = registry.pm.get_plugin("kpiextra")
    assert sink.SEEN == [("I-1", "approved"), ("I-2", "rejected")]
