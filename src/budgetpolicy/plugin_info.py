"""What ``budgetpolicy plugins`` shows: every built-in and installed plugin, loaded or not.

Reads a :class:`~budgetpolicy.registry.Registry` (what each loaded plugin
registered, from which distribution, implementing which hooks) and the
installed entry points (plugins switched off here, and why), so a missing
scorer or source is easy to trace. A plugin that fails to import or to register
does not hide the others: :func:`registry_and_broken` builds the registry
without it and :func:`describe_plugins` lists it as ``broken`` with its error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from attrs import frozen

from budgetpolicy.plugins import DEFAULT_PLUGINS, ENTRYPOINT_GROUP, build_registry
from budgetpolicy.registry import REGISTRY_KINDS, PluginFault, Registry
from budgetpolicy.version import engine_version

__all__ = ["PluginInfo", "describe_plugins", "registry_and_broken"]


@frozen
class PluginInfo:
    """What ``budgetpolicy plugins`` shows for one plugin, loaded or not."""

    name: str
    builtin: bool
    status: str  # "loaded", "broken" (fails to import or register), "blocked" (-p no:NAME), "pinned out"
    distribution: str
    version: str
    module: str
    hooks: tuple[str, ...] = ()
    registered: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, names), kinds in pipeline order
    # (kind, name, description) for each registration given a ``description=``
    descriptions: tuple[tuple[str, str, str], ...] = ()
    error: str | None = None  # why a broken plugin is broken: its one-line diagnostic

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``budgetpolicy plugins --format json``."""
        described: dict[str, dict[str, str]] = {}
        for kind, name, text in self.descriptions:
            described.setdefault(kind, {})[name] = text
        return {"name": self.name, "builtin": self.builtin, "status": self.status,
                "distribution": self.distribution, "version": self.version, "module": self.module,
                "hooks": list(self.hooks), "registered": {k: list(v) for k, v in self.registered},
                "descriptions": described, "error": self.error}


def registry_and_broken(enable: Iterable[str] = (), disable: Iterable[str] = ()) -> tuple[Registry, dict[str, str]]:
    """The registry without the installed plugins that fail to import or register, and name -> error of each.

    Every other command stops at a broken plugin with one line naming it and ``-p no:NAME``; the
    listing is where a user goes to see what is wrong, so it must work. A broken built-in is a bug in
    budgetpolicy itself and is raised.
    """
    builtin = {part for module in DEFAULT_PLUGINS for part in (module, module.rsplit(".", 1)[-1])}
    broken: dict[str, str] = {}
    while True:
        try:
            return build_registry(enable=enable, disable=[*disable, *broken]), broken
        except PluginFault as exc:
            if exc.plugin in broken or exc.plugin in builtin:
                raise
            broken[exc.plugin] = " ".join(d.format() for d in exc.diagnostics)


def describe_plugins(registry: Registry, broken: Mapping[str, str] | None = None) -> list[PluginInfo]:
    """Every built-in and installed plugin: version, hooks implemented and what each registered.

    Built-ins come first in registration order, then entry-point plugins by
    name, including installed ones that are switched off here or ``broken``
    (name -> error, from :func:`registry_and_broken`), so a user can see why a plugin is missing.
    """
    broken = broken or {}
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
        descriptions = tuple((kind, n, str(r.options["description"])) for kind in REGISTRY_KINDS
                             for n, r in sorted(getattr(registry, kind).items())
                             if r.plugin == name and r.options.get("description"))
        out.append(PluginInfo(
            name=name, builtin=name in DEFAULT_PLUGINS, status="loaded",
            distribution=dist.project_name if dist else "budgetpolicy",
            version=str(dist.version) if dist else engine_version(),
            module=getattr(plugin, "__name__", type(plugin).__name__), hooks=hooks,
            registered=tuple((k, v) for k, v in registered if v), descriptions=descriptions))
    loaded = {info.name for info in out}
    for module_name in DEFAULT_PLUGINS:
        if module_name not in loaded:  # only -p no:NAME can leave a built-in out
            out.append(PluginInfo(module_name, True, "blocked", "budgetpolicy", engine_version(), module_name))
    for ep in sorted(metadata.entry_points(group=ENTRYPOINT_GROUP), key=lambda e: e.name):
        if ep.name in loaded:
            continue
        dist_name, version = (ep.dist.name, ep.dist.version) if ep.dist else ("?", "?")
        if ep.name in broken:
            out.append(PluginInfo(ep.name, False, "broken", dist_name, version, ep.value, error=broken[ep.name]))
            continue
        out.append(PluginInfo(ep.name, False, "blocked" if pm.is_blocked(ep.name) else "pinned out",
                              dist_name, version, ep.value))
    return out
