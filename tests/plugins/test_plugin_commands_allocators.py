"""The register_commands and register_allocators hooks through a real installed plugin."""

from __future__ import annotations

from budgetpolicy.plugins import PINNED_ENV, build_registry
from plugin_fakes import COMMAND_AND_ALLOCATOR


def test_plugin_command_runs_and_its_exit_code_is_kept(site):
    site.install("greeter", COMMAND_AND_ALLOCATOR)
    result = site.cli("hello", "auditors", pinned="greeter")
    assert (result.returncode, result.stdout) == (7, "hello auditors\n")
    missing = site.cli("hello", "auditors", pinned="")
    assert missing.returncode == 2
    assert "invalid choice: 'hello'" in missing.stderr and "Traceback" not in missing.stderr


def test_plugin_allocator_is_registered_under_its_plugin(site, monkeypatch):
    site.install("greeter", COMMAND_AND_ALLOCATOR, version="0.9.0")
    monkeypatch.setenv(PINNED_ENV, "greeter")
    entry = build_registry().allocators["first-come"]
    assert (entry.plugin, entry.version, entry.options["description"]) == (
        "greeter", "0.9.0", "all to the first candidate")
