"""Builds the plugin manager and the registry of named extensions.

Built-in modules in :data:`DEFAULT_PLUGINS` are registered exactly like the
third-party plugins found through the ``budgetpolicy`` entry-point group.
``BUDGETPOLICY_PLUGINS`` (comma-separated entry-point names, empty for none)
pins which installed plugins load, for reproducible runs and tests;
``-p name`` / ``-p no:name`` on the CLI enable or block one.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

import pluggy
from attrs import define, field, frozen

from budgetpolicy import hookspecs
from budgetpolicy.errors import Location, PluginError, did_you_mean

ENTRYPOINT_GROUP = "budgetpolicy"
PINNED_ENV = "BUDGETPOLICY_PLUGINS"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "budgetpolicy.builtins.scorers",
    "budgetpolicy.builtins.sources",
    "budgetpolicy.builtins.functions",
    "budgetpolicy.builtins.allocators",
)


@frozen
class _Dist:
    """The distribution a plugin came from (what pluggy's DistFacade offers)."""

    project_name: str
    version: str


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering which distribution each entry-point plugin came from.

    Entry points are loaded here rather than by ``load_setuptools_entrypoints``
    so that pinning, ``-p`` and import failures are handled per plugin; this
    keeps the distribution info pluggy would otherwise have recorded.
    """

    def __init__(self) -> None:
        super().__init__("budgetpolicy")
        self._dists: list[tuple[Any, _Dist]] = []

    def add_distinfo(self, plugin: Any, dist: Any) -> None:
        self._dists.append((plugin, _Dist(str(dist.metadata["name"]), str(dist.version))))

    def list_plugin_distinfo(self) -> list[tuple[Any, Any]]:
        return [*super().list_plugin_distinfo(), *self._dists]


def get_plugin_manager(enable: Iterable[str] = (), disable: Iterable[str] = (),
                       entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the built-ins and the installed plugins allowed here.

    ``enable`` names entry points to load even when ``BUDGETPOLICY_PLUGINS``
    pins a smaller set; ``disable`` blocks names (built-in or installed).
    """
    pm = PluginManager()
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
        raise PluginError(f"plugin '{name}' is not installed", Location(key=f"-p {name}"),
                          hint=hint or f"installed: {', '.join(sorted(found)) or 'none'}; pip install it first",
                          code="BP501")
    for name, ep in sorted(found.items()):
        if name in blocked or (allowed is not None and name not in allowed):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take the engine down silently
            raise PluginError(f"plugin '{name}' failed to import: {type(exc).__name__}: {exc}",
                              Location(key=f"entry point {name} = {ep.value}"),
                              hint=f"fix or uninstall the distribution providing '{ep.value}', "
                                   f"or run with -p no:{name}", code="BP502") from exc
        pm.register(plugin, name=name)
        if ep.dist is not None and isinstance(pm, PluginManager):
            pm.add_distinfo(plugin, ep.dist)


def hookimpl_location(impl: Any) -> Location:
    """Where a hook implementation is defined, so an error points into the plugin's source."""
    code = getattr(impl.function, "__code__", None)
    if code is None:
        return Location(key=f"plugin {impl.plugin_name}")
    file = code.co_filename
    try:
        file = os.path.relpath(file) if not os.path.relpath(file).startswith("..") else file
    except ValueError:  # another drive on Windows
        pass
    return Location(file=file, line=code.co_firstlineno)


def plugin_version(pm: pluggy.PluginManager, plugin: Any) -> str:
    """The distribution version of a registered plugin (the engine's for built-ins)."""
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return str(dist.version)
    return engine_version()


@functools.cache  # metadata.version scans sys.path each time; provenance asks once per decision
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
        # get_hookimpls() is registration order: built-ins first, so a clash
        # is reported against the plugin that came second.
        for impl in hook.get_hookimpls():
            plugin_name = impl.plugin_name
            version = plugin_version(self.pm, impl.plugin)
            where = hookimpl_location(impl)

            def register(name: str, obj: Any, /, _p: str = plugin_name, _v: str = version,
                         **options: Any) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(f"plugin '{_p}' hook {hook_name}: name must be a non-empty string, "
                                      f"got {name!r}", where, code="BP503")
                if not callable(obj):
                    raise PluginError(f"plugin '{_p}' hook {hook_name}: '{name}' must be callable, "
                                      f"got {type(obj).__name__}", where, code="BP503")
                if name in into and into[name].plugin != _p:
                    raise PluginError(f"plugin '{_p}' hook {hook_name}: '{name}' is already registered "
                                      f"by plugin '{into[name].plugin}'", where, hint="rename one of them",
                                      code="BP504")
                into[name] = Registered(name, obj, _p, _v, dict(options))

            try:
                returned = impl.function(register)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin '{plugin_name}' hook {hook_name} raised "
                                  f"{type(exc).__name__}: {exc}", where, code="BP505") from exc
            if returned is not None:  # e.g. returning a dict of scorers: nothing would be registered
                raise PluginError(f"plugin '{plugin_name}' hook {hook_name} returned {type(returned).__name__}; "
                                  "registration hooks return nothing", where,
                                  hint="call register(name, obj, ...) for each item instead", code="BP503")

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


@frozen
class PluginInfo:
    """What ``budgetpolicy plugins`` shows for one plugin, loaded or not."""

    name: str
    builtin: bool
    status: str  # "loaded", "blocked" (-p no:NAME) or "pinned out" (BUDGETPOLICY_PLUGINS)
    distribution: str
    version: str
    module: str
    hooks: tuple[str, ...] = ()
    registered: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, names), kinds in pipeline order

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "builtin": self.builtin, "status": self.status,
                "distribution": self.distribution, "version": self.version, "module": self.module,
                "hooks": list(self.hooks), "registered": {k: list(v) for k, v in self.registered}}


REGISTRY_KINDS = ("sources", "functions", "scorers", "allocators")


def describe_plugins(registry: "Registry") -> list[PluginInfo]:
    """Every built-in and installed plugin: version, hooks implemented and what each registered.

    Built-ins come first in registration order, then entry-point plugins by
    name, including installed ones that are switched off here (so a user can
    see why a plugin is missing).
    """
    pm = registry.pm
    dists = {id(p): dist for p, dist in pm.list_plugin_distinfo()}
    out: list[PluginInfo] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        registered = tuple((kind, tuple(sorted(n for n, r in getattr(registry, kind).items() if r.plugin == name)))
                           for kind in REGISTRY_KINDS)
        out.append(PluginInfo(
            name=name, builtin=name in DEFAULT_PLUGINS, status="loaded",
            distribution=dist.project_name if dist else "budgetpolicy",
            version=str(dist.version) if dist else engine_version(),
            module=getattr(plugin, "__name__", type(plugin).__name__), hooks=hooks,
            registered=tuple((k, v) for k, v in registered if v)))
    loaded = {info.name for info in out}
    for module_name in DEFAULT_PLUGINS:
        if module_name not in loaded:  # only -p no:NAME can leave a built-in out
            out.append(PluginInfo(module_name, True, "blocked", "budgetpolicy", engine_version(), module_name))
    for ep in sorted(metadata.entry_points(group=ENTRYPOINT_GROUP), key=lambda e: e.name):
        if ep.name in loaded:
            continue
        dist_name, version = (ep.dist.name, ep.dist.version) if ep.dist else ("?", "?")
        out.append(PluginInfo(ep.name, False, "blocked" if pm.is_blocked(ep.name) else "pinned out",
                              dist_name, version, ep.value))
    return out


def required_plugin_diagnostics(policy: Any, registry: "Registry") -> list[Any]:
    """An error (BP508) for each plugin the policy's ``plugins = [...]`` names that is not loaded.

    Says whether the plugin is installed but switched off here (pinned out by
    ``BUDGETPOLICY_PLUGINS`` or blocked by ``-p no:NAME``) or not installed at
    all, and lists the installed ones, so the fix is obvious.
    """
    from budgetpolicy.errors import Diagnostic

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
    from budgetpolicy.policy.locate import TomlLocator

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
                              hookimpl_location(impl), code="BP507") from exc
