"""The xapi plugin as users get it: installed and found through its entry point."""

from __future__ import annotations

import budgetpolicy_xapi
from budgetpolicy.plugins import PINNED_ENV, Registry, get_plugin_manager


def test_entry_point_registers_the_source(monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "xapi")
    registry = Registry.build(get_plugin_manager())
    entry = registry.sources["xapi"]
    assert entry.obj is budgetpolicy_xapi.xapi_source
    assert (entry.plugin, entry.version) == ("xapi", "0.1.0")
    # No extension claimed: .json stays with the built-in JSON source.
    assert entry.options["extensions"] == ()
    assert ("xapi", "0.1.0") in registry.plugin_versions()


def test_pinned_out_means_not_registered(monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "")
    assert "xapi" not in Registry.build(get_plugin_manager()).sources
    monkeypatch.setenv(PINNED_ENV, "readiness")
    assert "xapi" not in Registry.build(get_plugin_manager()).sources
    assert "xapi" in Registry.build(get_plugin_manager(enable=["xapi"])).sources
