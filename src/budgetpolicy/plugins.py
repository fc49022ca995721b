"""The plugin manager: the built-ins plus the installed plugins allowed here.

Built-in modules in :data:`DEFAULT_PLUGINS` are registered exactly like the
third-party plugins found through the ``budgetpolicy`` entry-point group.
``BUDGETPOLICY_PLUGINS`` (comma-separated entry-point names, empty for none)
pins which installed plugins load, for reproducible runs and tests;
``-p name`` / ``-p no:name`` on the CLI enable or block one.
``BUDGETPOLICY_TRACE_PLUGINS=1`` writes pluggy's trace of every hook call to
stderr. Calling the hooks is :class:`budgetpolicy.registry.Registry`'s job.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from importlib import metadata

import pluggy

from budgetpolicy import hookspecs
from budgetpolicy.errors import Location, PluginError, did_you_mean
from budgetpolicy.hookspecs import ENTRYPOINT_GROUP, PINNED_ENV
from budgetpolicy.registry import PluginFault, Registry

__all__ = ["DEFAULT_PLUGINS", "ENTRYPOINT_GROUP", "PINNED_ENV", "TRACE_ENV", "build_registry", "get_plugin_manager"]

TRACE_ENV = "BUDGETPOLICY_TRACE_PLUGINS"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "budgetpolicy.builtins.scorers",
    "budgetpolicy.builtins.sources",
    "budgetpolicy.builtins.functions",
    "budgetpolicy.builtins.allocators",
)


def get_plugin_manager(enable: Iterable[str] = (), disable: Iterable[str] = (),
                       entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the built-ins and the installed plugins allowed here.

    ``enable`` names entry points to load even when ``BUDGETPOLICY_PLUGINS``
    pins a smaller set; ``disable`` blocks names (built-in by full or short name, or installed).
    """
    pm = pluggy.PluginManager("budgetpolicy")
    pm.add_hookspecs(hookspecs)
    if os.environ.get(TRACE_ENV, "") not in ("", "0"):
        pm.trace.root.setwriter(lambda text: print(text, end="", file=sys.stderr))
        pm.enable_tracing()
    blocked = set(disable)
    for name in blocked:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if not blocked & {module_name, module_name.rsplit(".", 1)[-1]}:
            pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        _load_entry_points(pm, set(enable), blocked)
    return pm


def _load_entry_points(pm: pluggy.PluginManager, enable: set[str], blocked: set[str]) -> None:
    found = {ep.name: ep for ep in metadata.entry_points(group=ENTRYPOINT_GROUP)}
    for name in sorted(enable - set(found)):
        raise PluginError(f"plugin '{name}' is not installed", Location(key=f"-p {name}"),
                          hint=did_you_mean(name, found) or
                          f"installed: {', '.join(sorted(found)) or 'none'}; pip install it first", code="BP501")
    builtin = {part for module in DEFAULT_PLUGINS for part in (module, module.rsplit(".", 1)[-1])}
    for name in sorted(blocked - set(found) - builtin):  # a misspelt -p no:NAME would block nothing
        raise PluginError(f"cannot block plugin '{name}': no built-in or installed plugin has that name",
                          Location(key=f"-p no:{name}"),
                          hint=did_you_mean(name, [*found, *builtin]) or
                          f"installed: {', '.join(sorted(found)) or 'none'}", code="BP501")
    pinned = os.environ.get(PINNED_ENV)
    allowed = set(found) if pinned is None else {n.strip() for n in pinned.split(",")} | enable
    # One entry point at a time (pluggy's own loader records each distribution), so a plugin that
    # fails to import is named and the others are never touched.
    for name in sorted((allowed & set(found)) - blocked):
        try:
            pm.load_setuptools_entrypoints(ENTRYPOINT_GROUP, name=name)
        except Exception as exc:  # a broken plugin must not take the engine down silently
            what = "failed to register" if isinstance(exc, pluggy.PluginValidationError) else "failed to import"
            raise PluginFault(f"plugin '{name}' {what}: {type(exc).__name__}: {exc}",
                              Location(key=f"entry point {name} = {found[name].value}"),
                              hint=f"fix or uninstall the distribution providing '{found[name].value}', "
                                   f"or run with -p no:{name}", code="BP502", plugin=name) from exc


def build_registry(enable: Iterable[str] = (), disable: Iterable[str] = ()) -> Registry:
    """The registry of the built-ins and the installed plugins allowed here: what a command runs with."""
    return Registry.build(get_plugin_manager(enable=enable, disable=disable))
