"""A plugin that raises, returns the wrong type, clashes or is missing: named, with its hook, never a crash."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest

from budgetpolicy.errors import PluginError, PolicyLoadError
from budgetpolicy.model import Initiative
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.policy.load import load_policy_text
from budgetpolicy.plugins import PINNED_ENV, build_registry, get_plugin_manager
from budgetpolicy.registry import required_plugin_diagnostics
from plugin_fakes import (DUPLICATE_BUILTIN, FACTORY_CRASHES, FAILS_TO_IMPORT, NOT_CALLABLE, POLICY_USING_FIXED,
                          RAISES_IN_HOOK, SCORER_PLUGIN, SINK_RAISES, WRONG_SCORE_TYPE)

AT = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
ONE = Initiative(id="I-1", title="t", kind="training", department="D", cost=D(100))


def build(site, monkeypatch, source, name="kpiextra"):
    site.install(name, source)
    monkeypatch.setenv(PINNED_ENV, name)
    return build_registry()


def only(exc_info):
    (diag,) = exc_info.value.diagnostics
    return diag


def test_hook_that_raises_names_plugin_and_hook(site, monkeypatch):
    with pytest.raises(PluginError) as info:
        build(site, monkeypatch, RAISES_IN_HOOK, "boom")
    diag = only(info)
    assert diag.code == "BP505"
    assert diag.message == "plugin 'boom' hook register_scorers raised RuntimeError: licence server unreachable"
    # points into the plugin's own source: the @hookimpl line of the failing hook
    assert diag.location.file.endswith(".py") and "bp_fake_boom_" in diag.location.file
    assert diag.location.line == 4


def test_registration_hook_that_returns_instead_of_registering(site, monkeypatch):
    source = "from budgetpolicy import hookimpl\n\n@hookimpl\ndef register_scorers(register):\n" \
             "    return {'fixed': lambda params, policy: None}\n"
    with pytest.raises(PluginError) as info:
        build(site, monkeypatch, source, "returner")
    diag = only(info)
    assert (diag.code, diag.message) == (
        "BP503", "plugin 'returner' hook register_scorers returned dict; registration hooks return nothing")
    assert diag.hint == "call register(name, obj, ...) for each item instead"


def test_registering_a_non_callable(site, monkeypatch):
    with pytest.raises(PluginError) as info:
        build(site, monkeypatch, NOT_CALLABLE, "odd")
    diag = only(info)
    assert (diag.code, diag.message) == (
        "BP503", "plugin 'odd' hook register_scorers: 'weights' must be callable, got dict")


def test_duplicate_name_names_both_plugins(site, monkeypatch):
    with pytest.raises(PluginError) as info:
        build(site, monkeypatch, DUPLICATE_BUILTIN, "copycat")
    diag = only(info)
    assert diag.code == "BP504"
    assert diag.message == ("plugin 'copycat' hook register_scorers: 'rubric' is already registered by plugin "
                            "'budgetpolicy.builtins.scorers'")
    assert diag.hint == "rename one of them"


def test_plugin_that_fails_to_import(site, monkeypatch):
    site.install("broken", FAILS_TO_IMPORT)
    monkeypatch.setenv(PINNED_ENV, "broken")
    with pytest.raises(PluginError) as info:
        get_plugin_manager()
    diag = only(info)
    assert diag.code == "BP502"
    assert diag.message.startswith("plugin 'broken' failed to import: ModuleNotFoundError")
    assert "-p no:broken" in diag.hint
    monkeypatch.setenv(PINNED_ENV, "")
    get_plugin_manager()  # pinned out: never imported, so it cannot break the run


def test_scorer_returning_the_wrong_type_fails_the_run_naming_plugin_and_initiative(site, monkeypatch):
    registry = build(site, monkeypatch, WRONG_SCORE_TYPE)
    compiled = compile_policy(load_policy_text(POLICY_USING_FIXED, "p.toml").__class__(
        **{**_fields(load_policy_text(POLICY_USING_FIXED, "p.toml")), "approval": _no_rules()}), registry)
    with pytest.raises(PluginError) as info:
        compiled.evaluate([ONE], EvaluationContext(evaluated_at=AT))
    diag = only(info)
    assert diag.code == "BP503"
    assert diag.message == ("scorer 'fixed' (plugin 'kpiextra', criterion 'house') returned float for initiative "
                            "'I-1'; a scorer must return a Decimal in 0..1")


def test_scorer_factory_crash_is_a_diagnostic_at_the_criterion(site, monkeypatch):
    registry = build(site, monkeypatch, FACTORY_CRASHES)
    with pytest.raises(PolicyLoadError) as info:
        compile_policy(load_policy_text(POLICY_USING_FIXED, "p.toml"), registry)
    diags = [d for d in info.value.diagnostics if d.code == "BP505"]
    assert [(d.location.file, d.location.key) for d in diags] == [("p.toml", "scoring.criteria[1].scorer")]
    assert diags[0].message == "plugin 'kpiextra' scorer 'fixed' raised KeyError: 'no-such-key'"


def test_bad_scorer_params_are_a_validation_error(site, monkeypatch):
    registry = build(site, monkeypatch, SCORER_PLUGIN)
    text = POLICY_USING_FIXED.replace("value = 0.5", "value = 7")
    with pytest.raises(PolicyLoadError) as info:
        compile_policy(load_policy_text(text, "p.toml"), registry)
    diag = only(info)
    assert (diag.code, diag.location.key) == ("BP230", "scoring.criteria[1].params")
    assert diag.message == "criterion 'house': scorer 'fixed': value must be in 0..1"


def test_sink_that_raises_names_plugin_hook_and_decision(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN)
    site.install("notify", SINK_RAISES)
    monkeypatch.setenv(PINNED_ENV, "kpiextra,notify")
    compiled = compile_policy(load_policy_text(POLICY_USING_FIXED, "p.toml"), build_registry())
    with pytest.raises(PluginError) as info:
        compiled.evaluate([ONE], EvaluationContext(evaluated_at=AT))
    diag = only(info)
    assert diag.code == "BP507"
    assert diag.message == ("plugin 'notify' hook process_decision raised ConnectionError: webhook returned 503 "
                            "(decision I-1)")


def test_policy_needs_a_plugin_that_is_missing(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN)
    monkeypatch.setenv(PINNED_ENV, "")
    policy = load_policy_text(POLICY_USING_FIXED.replace('plugins = ["kpiextra"]', 'plugins = ["kpiextra", "kpi-extra"]'),
                              "p.toml")
    diags = required_plugin_diagnostics(policy, build_registry())
    assert [(d.code, d.location.key, d.location.line) for d in diags] == [
        ("BP508", "plugins[0]", 5), ("BP508", "plugins[1]", 5)]
    assert "'kpiextra' is installed but not enabled here" in diags[0].hint
    assert diags[1].message == "policy needs plugin 'kpi-extra', which is not loaded"
    assert diags[1].hint.startswith("did you mean 'kpiextra'?; installed: ")
    assert "kpiextra" in diags[1].hint.split("installed: ")[1]
    monkeypatch.setenv(PINNED_ENV, "kpiextra")
    assert len(required_plugin_diagnostics(policy, build_registry())) == 1


# -- through the CLI: one line on stderr, no traceback, a reliable exit code --


def write_policy(tmp_path, text=POLICY_USING_FIXED):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return str(path)


def test_cli_validate_with_and_without_the_plugin(site, tmp_path):
    site.install("kpiextra", SCORER_PLUGIN)
    policy = write_policy(tmp_path)
    assert site.cli("validate", policy, pinned="kpiextra").returncode == 0
    blocked = site.cli("-p", "no:kpiextra", "validate", policy, pinned=None)
    assert blocked.returncode == 1
    assert "plugins[0]: BP508 error: policy needs plugin 'kpiextra'" in blocked.stderr
    assert "criterion 'house': no plugin provides scorer 'fixed'" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert site.cli("-p", "kpiextra", "validate", policy, pinned="").returncode == 0


@pytest.mark.parametrize("source, expected", [
    (RAISES_IN_HOOK, "BP505 error: plugin 'kpiextra' hook register_scorers raised RuntimeError: "
                     "licence server unreachable"),
    (DUPLICATE_BUILTIN, "BP504 error: plugin 'kpiextra' hook register_scorers: 'rubric' is already registered"),
    (FAILS_TO_IMPORT, "BP502 error: plugin 'kpiextra' failed to import: ModuleNotFoundError"),
])
def test_cli_broken_plugin_fails_cleanly(site, tmp_path, source, expected):
    site.install("kpiextra", source)
    result = site.cli("validate", write_policy(tmp_path), pinned=None)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    # the escape hatch the message suggests works
    assert site.cli("-p", "no:kpiextra", "plugins", pinned=None).returncode == 0


def test_cli_unknown_p_name(site):
    site.install("kpiextra", SCORER_PLUGIN)
    result = site.cli("-p", "kpiextr", "plugins", pinned="")
    assert result.returncode == 2
    assert "BP501 error: plugin 'kpiextr' is not installed (did you mean 'kpiextra'?)" in result.stderr


def _fields(policy):
    import attrs

    return {f.name: getattr(policy, f.name) for f in attrs.fields(type(policy))}


def _no_rules():
    from budgetpolicy.model import Approval

    return Approval(rules=())


def test_plugin_whose_hook_does_not_match_the_specification(site, monkeypatch):
    site.install("odd", "from budgetpolicy import hookimpl\n\n@hookimpl\ndef register_scorers(register, config):\n"
                        "    pass\n")
    monkeypatch.setenv(PINNED_ENV, "odd")
    with pytest.raises(PluginError) as info:
        get_plugin_manager()
    diag = only(info)
    assert diag.code == "BP502"
    assert diag.message.startswith("plugin 'odd' failed to register: PluginValidationError: ")
    assert "config" in diag.message and "-p no:odd" in diag.hint
