"""`budgetpolicy plugins`: every plugin, its version, status, hooks and registrations, as a table and JSON."""

from __future__ import annotations

import json

from budgetpolicy.plugin_info import describe_plugins
from budgetpolicy.plugins import DEFAULT_PLUGINS, PINNED_ENV, build_registry
from plugin_fakes import SCORER_PLUGIN
from table_text import cell


def test_describe_lists_builtins_then_installed_with_registrations(site, monkeypatch):
    site.install("kpiextra", SCORER_PLUGIN, version="3.1.4")
    monkeypatch.setenv(PINNED_ENV, "kpiextra")
    infos = {i.name: i for i in describe_plugins(build_registry())}
    assert list(infos)[:4] == list(DEFAULT_PLUGINS)
    extra = infos["kpiextra"]
    assert (extra.builtin, extra.status, extra.distribution, extra.version) == (False, "loaded", "bp-fake-kpiextra",
                                                                                "3.1.4")
    assert extra.hooks == ("process_decision", "register_functions", "register_scorers")
    assert extra.registered == (("functions", ("double",)), ("scorers", ("fixed",)))
    scorers = infos["budgetpolicy.builtins.scorers"]
    assert scorers.builtin and ("scorers", ("expected_value", "field", "rubric")) in scorers.registered


def test_json_output_and_statuses_of_plugins_not_loaded(site):
    site.install("kpiextra", SCORER_PLUGIN, version="3.1.4")
    site.install("spare", SCORER_PLUGIN.replace('"fixed"', '"fixed2"').replace('"double"', '"double2"'))
    result = site.cli("-p", "no:spare", "-p", "no:functions", "plugins", "--format", "json", pinned="kpiextra")
    assert result.returncode == 0, result.stderr
    data = {p["name"]: p for p in json.loads(result.stdout)}
    assert data["kpiextra"] == {
        "name": "kpiextra", "builtin": False, "status": "loaded", "distribution": "bp-fake-kpiextra",
        "version": "3.1.4", "module": data["kpiextra"]["module"],
        "hooks": ["process_decision", "register_functions", "register_scorers"],
        "registered": {"functions": ["double"], "scorers": ["fixed"]},
        "descriptions": {"functions": {"double": "x * 2"}, "scorers": {"fixed": "always the same value"}},
        "error": None}
    assert data["spare"]["status"] == "blocked"
    assert data["budgetpolicy.builtins.functions"]["status"] == "blocked"
    if "readiness" in data:  # the example plugins, when installed, are pinned out here
        assert data["readiness"]["status"] == "pinned out"


def test_table_output(site):
    site.install("kpiextra", SCORER_PLUGIN, version="3.1.4")
    result = site.cli("plugins", pinned="kpiextra")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "HOOKS", "REGISTERED"]
    row = next(line for line in lines if line.startswith("kpiextra "))
    assert row.split()[:4] == ["kpiextra", "bp-fake-kpiextra", "3.1.4", "loaded"]
    assert cell(lines, "kpiextra ", "REGISTERED") == "functions: double; scorers: fixed"
    # The PLUGIN cell may wrap '(built-in)' onto the next line.
    at = next(i for i, line in enumerate(lines) if line.startswith("budgetpolicy.builtins.scorers"))
    assert "(built-in)" in lines[at].split("  ")[0] or lines[at + 1].startswith("(built-in)")
    assert "5 plugin(s) loaded" in lines[-1]
    no_builtins = site.cli("plugins", "--no-builtins", pinned="kpiextra")
    assert "(built-in)" not in no_builtins.stdout and "kpiextra" in no_builtins.stdout
