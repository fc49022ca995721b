"""Builds the plugin manager and the registry of named extensions.

Built-in modules in :data:`DEFAULT_PLUGINS` are registered exactly like the
third-party plugins found through the ``budgetpolicy`` entry-point group.
``BUDGETPOLICY_PLUGINS`` (comma-separated entry-point names, empty for none)
pins which installed plugins load, for reproducible runs and tests;
``-p name`` / ``-p no:name`` on the CLI enable or block one.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

import pluggy
from attrs import define, field, frozen

from budgetpolicy import hookspecs
from budgetpolicy.errors import PluginError, did_you_mean

ENTRYPOINT_GROUP = "budgetpolicy"
PINNED_ENV = "BUDGETPOLICY_PLUGINS"

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
    pins a smaller set; ``disable`` blocks names (built-in or installed).
    """
    pm = pluggy.PluginManager("budgetpolicy")
    pm.add_hookspecs(hookspecs)
    blocked = set(disable)
    for name in blocked:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        short = module_name.rsplit(".", 1)[-1]
        if module_name in blocked or short in blocked:
            continue
        pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        _load_entry_points(pm, set(enable), blocked)
    return pm


def _load_entry_points(pm: pluggy.PluginManager, enable: set[str], blocked: set[str]) -> None:
    pinned = os.environ.get(PINNED_ENV)
    allowed = None if pinned is None else {n.strip() for n in pinned.split(",") if n.strip()} | enable
    found = {ep.name: ep for ep in metadata.entry_points(group=ENTRYPOINT_GROUP)}
    for name in sorted(enable - set(found)):
        hint = did_you_mean(name, found)
        raise PluginError(f"plugin '{name}' is not installed",
                          hint=hint or f"installed: {', '.join(sorted(found)) or 'none'}; pip install it first",
                          code="BP501")
    for name, ep in sorted(found.items()):
        if name in blocked or (allowed is not None and name not in allowed):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take the engine down silently
            raise PluginError(f"plugin '{name}' failed to import: {type(exc).__name__}: {exc}",
                              hint=f"fix or uninstall the distribution providing '{ep.value}', "
                                   f"or run with -p no:{name}", code="BP502") from exc
        pm.register(plugin, name=name)


def plugin_version(pm: pluggy.PluginManager, plugin: Any) -> str:
    """The distribution version of a registered plugin (the engine's for built-ins)."""
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return str(dist.version)
    return engine_version()


def engine_version() -> str:
    try:
        return metadata.version("budgetpolicy")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


@frozen
class Registered:
    name: str
    obj: Any
    plugin: str
    version: str
    options: dict[str, Any] = field(factory=dict, eq=False, hash=False)


@define
class Registry:
    """Everything the plugins registered, by kind and name, with who registered it."""

    pm: pluggy.PluginManager
    scorers: dict[str, Registered] = field(factory=dict)
    sources: dict[str, Registered] = field(factory=dict)
    functions: dict[str, Registered] = field(factory=dict)
    allocators: dict[str, Registered] = field(factory=dict)

    @classmethod
    def build(cls, pm: pluggy.PluginManager | None = None) -> "Registry":
        pm = pm or get_plugin_manager()
        reg = cls(pm)
        reg._collect("register_scorers", reg.scorers)
        reg._collect("register_data_sources", reg.sources)
        reg._collect("register_functions", reg.functions)
        reg._collect("register_allocators", reg.allocators)
        return reg

    def _collect(self, hook_name: str, into: dict[str, Registered]) -> None:
        hook = getattr(self.pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):  # registration order, built-ins first
            plugin_name = impl.plugin_name
            version = plugin_version(self.pm, impl.plugin)

            def register(name: str, obj: Any, /, _p: str = plugin_name, _v: str = version,
                         **options: Any) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(f"plugin '{_p}' hook {hook_name}: name must be a non-empty string, "
                                      f"got {name!r}", code="BP503")
                if not callable(obj):
                    raise PluginError(f"plugin '{_p}' hook {hook_name}: '{name}' must be callable, "
                                      f"got {type(obj).__name__}", code="BP503")
                if name in into and into[name].plugin != _p:
                    raise PluginError(f"plugin '{_p}' hook {hook_name}: '{name}' is already registered "
                                      f"by plugin '{into[name].plugin}'", hint="rename one of them",
                                      code="BP504")
                into[name] = Registered(name, obj, _p, _v, dict(options))

            try:
                impl.function(register)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin '{plugin_name}' hook {hook_name} raised "
                                  f"{type(exc).__name__}: {exc}", code="BP505") from exc

    def plugin_versions(self) -> tuple[tuple[str, str], ...]:
        """(name, version) of every registered plugin, sorted: recorded in provenance."""
        out = {(name or repr(p), plugin_version(self.pm, p))
               for name, p in self.pm.list_name_plugin() if p is not None}
        return tuple(sorted(out))

    def lookup(self, kind: str, name: str) -> Registered:
        table: dict[str, Registered] = getattr(self, kind)
        if name not in table:
            hint = did_you_mean(name, table)
            available = ", ".join(sorted(table)) or "none"
            raise PluginError(f"no plugin provides {kind[:-1]} '{name}'",
                              hint=(hint + "; " if hint else "") + f"available: {available}", code="BP506")
        return table[name]


def required_plugin_diagnostics(policy: Any, registry: "Registry") -> list[Any]:
    """An error (BP508) for each plugin the policy's ``plugins = [...]`` names that is not loaded.

    Says whether the plugin is installed but switched off here (pinned out by
    ``BUDGETPOLICY_PLUGINS`` or blocked by ``-p no:NAME``) or not installed at
    all, and lists the installed ones, so the fix is obvious.
    """
    from budgetpolicy.errors import Diagnostic, Location

    loaded = {name for name, plugin in registry.pm.list_name_plugin() if plugin is not None}
    installed = sorted(ep.name for ep in metadata.entry_points(group=ENTRYPOINT_GROUP))
    file = policy.source.path if policy.source else None
    out = []
    for index, name in enumerate(policy.plugins):
        if name in loaded:
            continue
        if name in installed:
            hint = (f"'{name}' is installed but not enabled here: add it to {PINNED_ENV}, pass -p {name}, "
                    f"or drop -p no:{name}")
        else:
            close = did_you_mean(name, installed)
            hint = ((close + "; ") if close else "") + \
                f"installed: {', '.join(installed) or 'none'}; pip install the distribution providing '{name}'"
        out.append(Diagnostic("BP508", f"policy needs plugin '{name}', which is not loaded",
                              Location(file=file, key=f"plugins[{index}]", line=_line_of(policy, index)), hint))
    return out


def _line_of(policy: Any, index: int) -> int | None:
    if policy.source is None or not policy.source.text:
        return None
    from budgetpolicy.pipeline._toml_locate import TomlLocator

    return TomlLocator(policy.source.text).exact_line(("plugins", index)) or \
        TomlLocator(policy.source.text).exact_line(("plugins",))


def call_sinks(pm: pluggy.PluginManager, decision: Any, policy: Any, context: Any,
               _call: Callable[..., Any] | None = None) -> None:
    """Run every ``process_decision`` implementation, naming the plugin that fails."""
    for impl in pm.hook.process_decision.get_hookimpls():
        try:
            impl.function(decision=decision, policy=policy, context=context)
        except Exception as exc:
            raise PluginError(f"plugin '{impl.plugin_name}' hook process_decision raised "
                              f"{type(exc).__name__}: {exc} (decision {decision.initiative_id})",
                              code="BP507") from exc
