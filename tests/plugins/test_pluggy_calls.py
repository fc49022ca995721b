"""pluggy does the calling: registration and sink hooks go through pluggy's call path, so its tracing,
call monitoring and hook wrappers see them, and a failure still names the plugin whose code raised."""

from __future__ import annotations

import datetime as dt
import sys
import types
from decimal import Decimal as D
from pathlib import Path

import pytest

from budgetpolicy import hookimpl
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.errors import PluginError
from budgetpolicy.model import Initiative
from budgetpolicy.plugins import PINNED_ENV, TRACE_ENV, build_registry, get_plugin_manager
from budgetpolicy.policy.load import load_policy_text
from budgetpolicy.registry import Registry
from budgetpolicy.testing import evaluate_with
from plugin_fakes import POLICY_USING_FIXED, RECORDING_SINK, SCORER_PLUGIN, SINK_RAISES_IN_A_HELPER

ROOT = Path(__file__).resolve().parents[2]
EVALUATE = ("evaluate", "-P", str(ROOT / "policies" / "acme-2026.toml"),
            "-i", str(ROOT / "policies" / "acme-2026.initiatives.csv"), "--evaluated-at", "2026-01-15T09:00:00+00:00")
AT = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
ONE = Initiative(id="I-1", title="t", kind="training", department="D", cost=D(100))
REGISTRATION_HOOKS = ("register_scorers", "register_data_sources", "register_functions", "register_allocators")


def plugin(name, **hooks):
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, fn)
    return module


def scorer_plugin(name="extra"):
    @hookimpl
    def register_scorers(register):
        register(f"{name}-scorer", lambda params, policy: (lambda initiative: D(1)))

    return plugin(name, register_scorers=register_scorers)


# -- BUDGETPOLICY_TRACE_PLUGINS -------------------------------------------------------------------


def test_trace_prints_the_hook_calls_on_stderr_and_leaves_stdout_alone(site):
    plain = site.cli(*EVALUATE, pinned="")
    traced = site.cli(*EVALUATE, pinned="", **{TRACE_ENV: "1"})
    assert plain.returncode == traced.returncode == 0, traced.stderr
    # The bundled example's funded forecasts overclaim its KPI gaps: those BP677 warnings are not the trace's.
    def not_gaps(text: str) -> list[str]:
        return [line for line in text.splitlines() if "BP677 warning" not in line]
    assert traced.stdout == plain.stdout and not_gaps(plain.stderr) == []
    lines = not_gaps(traced.stderr)
    # Each registration hook is called once per plugin, and the trace says whose call it is.
    for hook, module in zip(REGISTRATION_HOOKS, ("scorers", "sources", "functions", "allocators")):
        start = lines.index(f"  {hook} [hook]")
        assert lines[start + 1] == f"      register: <register for plugin 'budgetpolicy.builtins.{module}'>"
        assert lines[start + 2] == f"  finish {hook} --> [] [hook]"
    assert len(lines) == 3 * len(REGISTRATION_HOOKS)  # no sink is installed, so process_decision is never called
    assert site.cli("plugins", pinned="", **{TRACE_ENV: "0"}).stderr == ""


def test_trace_shows_an_installed_plugins_registration_and_its_sink_calls(site, monkeypatch, capsys):
    site.install("kpiextra", SCORER_PLUGIN)
    monkeypatch.setenv(PINNED_ENV, "kpiextra")
    monkeypatch.setenv(TRACE_ENV, "1")
    compiled = compile_policy(load_policy_text(POLICY_USING_FIXED, "p.toml"), build_registry())
    compiled.evaluate([ONE], EvaluationContext(evaluated_at=AT))
    err = capsys.readouterr().err
    assert "      register: <register for plugin 'kpiextra'>\n" in err
    assert "  process_decision [hook]\n" in err and "  finish process_decision --> [] [hook]\n" in err


# -- monitoring and hook wrappers see every call --------------------------------------------------


def test_call_monitoring_sees_one_registration_call_per_plugin(budgetpolicy_pm, register_plugin):
    calls = []
    budgetpolicy_pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: calls.append((hook, [impl.plugin_name for impl in impls])),
        lambda outcome, hook, impls, kwargs: None)
    registry = register_plugin(scorer_plugin())
    assert registry.scorers["extra-scorer"].plugin == "extra"
    assert [c for c in calls if c[0] == "register_scorers"] == [
        ("register_scorers", ["budgetpolicy.builtins.scorers"]), ("register_scorers", ["extra"])]
    assert [hook for hook, _ in calls] == [h for h in REGISTRATION_HOOKS for _ in range(1 + (h == "register_scorers"))]


def test_a_hook_wrapper_wraps_each_plugins_registration_call(register_plugin):
    seen = []

    @hookimpl(wrapper=True)
    def register_scorers(register):
        seen.append(repr(register))
        result = yield
        return result

    register_plugin(plugin("watcher", register_scorers=register_scorers))
    registry = register_plugin(scorer_plugin())
    assert seen[-2:] == ["<register for plugin 'budgetpolicy.builtins.scorers'>", "<register for plugin 'extra'>"]
    assert "watcher" not in {entry.plugin for entry in registry.scorers.values()}  # a wrapper registers nothing


def test_a_raising_hook_wrapper_is_named_not_the_plugin_it_wraps(register_plugin):
    @hookimpl(wrapper=True)
    def register_scorers(register):
        yield
        raise RuntimeError("audit log unavailable")

    with pytest.raises(PluginError) as info:
        register_plugin(plugin("grumpy", register_scorers=register_scorers))
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.message) == (
        "BP505", "plugin 'grumpy' hook register_scorers raised RuntimeError: audit log unavailable")


# -- decision sinks: one pluggy call, the failing plugin still named ------------------------------


def test_the_failing_sink_among_several_is_named_with_its_location(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN)
    audit, zlog = site.install("audit", RECORDING_SINK), site.install("zlog", RECORDING_SINK)
    notify = site.install("notify", SINK_RAISES_IN_A_HELPER)
    monkeypatch.setenv(PINNED_ENV, "kpiextra,audit,notify,zlog")
    compiled = compile_policy(load_policy_text(POLICY_USING_FIXED, "p.toml"), build_registry())
    with pytest.raises(PluginError) as info:
        compiled.evaluate([ONE], EvaluationContext(evaluated_at=AT))
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.message) == (
        "BP507", "plugin 'notify' hook process_decision raised ConnectionError: webhook returned 503 for I-1 "
                 "(decision I-1)")
    # The impl's own file and line (the @hookimpl line), though the exception came from a helper it called.
    assert Path(diag.location.file).name == f"{notify}.py" and diag.location.line == 7
    # pluggy calls the last registered first: zlog saw the decision, audit was never reached.
    assert sys.modules[zlog].SEEN == ["I-1"] and sys.modules[audit].SEEN == []


def test_no_sink_means_no_call(budgetpolicy_pm, sample_policy, sample_initiatives):
    calls = []
    budgetpolicy_pm.add_hookcall_monitoring(lambda hook, impls, kwargs: calls.append(hook),
                                            lambda outcome, hook, impls, kwargs: None)
    registry = Registry.build(budgetpolicy_pm)
    compile_policy(sample_policy, registry).evaluate(sample_initiatives, EvaluationContext(evaluated_at=AT))
    assert "process_decision" not in calls


def test_without_sinks_calls_none(sample_policy, sample_initiatives):
    seen = []

    @hookimpl
    def process_decision(decision, policy, context):
        seen.append(decision.initiative_id)

    pm = get_plugin_manager(entry_points=False)
    pm.register(plugin("sink", process_decision=process_decision), name="sink")
    context = EvaluationContext(evaluated_at=AT)
    compile_policy(sample_policy, Registry.build(pm).without_sinks()).evaluate(sample_initiatives, context)
    assert seen == []
    compile_policy(sample_policy, Registry.build(pm)).evaluate(sample_initiatives, context)
    assert seen == [i.id for i in sample_initiatives]


# -- what pluggy needs from a plugin object -------------------------------------------------------


def test_an_unhashable_plugin_object_is_refused_by_name(sample_policy, sample_initiatives):
    @hookimpl
    def register_scorers(register):
        register("x", lambda params, policy: None)

    with pytest.raises(PluginError) as info:
        evaluate_with(types.SimpleNamespace(register_scorers=register_scorers, __name__="loose"), sample_policy,
                      sample_initiatives)
    (diag,) = info.value.diagnostics
    assert diag.code == "BP503"
    assert diag.message == ("plugin 'loose' is a SimpleNamespace, which cannot be hashed; a plugin must be a "
                            "module, a class or a hashable instance")

