"""The pytest plugin shipped for plugin authors: fixtures and helpers, used as an author would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from decimal import Decimal as D

import pytest

from budgetpolicy import hookimpl
from budgetpolicy.errors import PluginError
from budgetpolicy.plugins import DEFAULT_PLUGINS, PINNED_ENV
from budgetpolicy.testing import evaluate_with, evaluation_with, with_criterion


def scorer_plugin(name="halfway", value=D("0.5")):
    module = types.ModuleType(f"bp_test_{name}")

    @hookimpl
    def register_scorers(register):
        register(name, lambda params, policy: (lambda initiative: (value, "constant")))

    module.register_scorers = register_scorers
    return module


def names(pm):
    return [n for n, p in pm.list_name_plugin() if p is not None]


def test_budgetpolicy_pm_has_only_builtins_even_when_plugins_are_installed(budgetpolicy_pm, monkeypatch):
    monkeypatch.delenv(PINNED_ENV, raising=False)  # readiness and xapi are installed here
    assert names(budgetpolicy_pm) == list(DEFAULT_PLUGINS)


def test_register_plugin_returns_a_fresh_registry(register_plugin, budgetpolicy_pm):
    registry = register_plugin(scorer_plugin())
    assert registry.scorers["halfway"].plugin == "bp_test_halfway"
    assert registry.pm is budgetpolicy_pm
    second = register_plugin(scorer_plugin("other"), name="other-plugin")
    assert {"halfway", "other"} <= set(second.scorers) and "other" not in registry.scorers


def test_register_plugin_always_unregisters(tmp_path):
    # An inner pytest session: the registration must be gone after a failing test.
    (tmp_path / "test_inner.py").write_text(textwrap.dedent('''
        import types
        from budgetpolicy import hookimpl

        PLUGIN = types.ModuleType("bp_inner")
        @hookimpl
        def register_scorers(register):
            register("inner", lambda params, policy: None)
        PLUGIN.register_scorers = register_scorers
        PMS = []

        def test_fails(register_plugin, budgetpolicy_pm):
            register_plugin(PLUGIN)
            PMS.append(budgetpolicy_pm)
            assert False

        def test_gone():
            assert not PMS[0].is_registered(PLUGIN)
    '''))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                             "test_inner.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "1 failed, 1 passed" in result.stdout, result.stdout


def test_sample_policy_and_initiatives_decide_as_documented(sample_policy, sample_initiatives):
    decisions = {d.initiative_id: d for d in evaluate_with(None, sample_policy, sample_initiatives)}
    # SMP-1: EV 0.8 x 0.6 x min(1, 2.5/5) = 0.24; score 0.6 x 0.24 + 0.4 x 4/5 = 0.464
    assert (decisions["SMP-1"].expected_value, decisions["SMP-1"].score) == (D("0.24"), D("0.464"))
    assert [(i, d.outcome) for i, d in decisions.items()] == [
        ("SMP-1", "approved"), ("SMP-2", "pending_approval"), ("SMP-3", "approved"), ("SMP-4", "rejected"),
        ("SMP-5", "rejected")]
    assert decisions["SMP-2"].required_approvers == ("vp",)
    assert decisions["SMP-1"].provenance.evaluated_at == "2026-01-15T09:00:00+00:00"


def test_evaluate_with_a_plugin_scorer(sample_policy, sample_initiatives):
    policy = with_criterion(sample_policy, "halfway", weight=D("0.5"), criterion_id="half")
    assert [c.id for c in policy.scoring.criteria] == ["impact", "feasibility", "half"]
    evaluation = evaluation_with(scorer_plugin(), policy, sample_initiatives)
    (first, *_) = evaluation.decisions
    assert evaluate_with(scorer_plugin(), policy, sample_initiatives) == evaluation.decisions
    # normalised weights 0.6, 0.4, 0.5 over 1.5: (0.144 + 0.32 + 0.25) / 1.5 = 0.476
    assert first.score == D("0.476")
    assert evaluation.explanation(first.initiative_id).scores[-1].detail == "constant"
    assert any(name == "bp_test_halfway" for name, _ in first.provenance.plugins)


def test_evaluate_with_never_loads_installed_plugins(sample_policy, sample_initiatives, monkeypatch):
    monkeypatch.delenv(PINNED_ENV, raising=False)
    (first, *_) = evaluate_with(None, sample_policy, sample_initiatives)
    assert {name for name, _ in first.provenance.plugins} == set(DEFAULT_PLUGINS)


def test_evaluate_with_reports_plugin_failures(sample_policy, sample_initiatives):
    policy = with_criterion(sample_policy, "halfway")
    with pytest.raises(PluginError, match=r"returned 2 for initiative 'SMP-1', outside 0..1"):
        evaluate_with(scorer_plugin(value=D(2)), policy, sample_initiatives)
