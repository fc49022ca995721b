"""What ``budgetpolicy plugins`` shows: every built-in and installed plugin, loaded or not.

Reads a :class:`~budgetpolicy.registry.Registry` (what each loaded plugin
registered, from which distribution, implementing which hooks) and the
installed entry points (plugins switched off here, and why), so a missing
scorer or source is easy to trace.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from attrs import frozen

from budgetpolicy.plugins import DEFAULT_PLUGINS, ENTRYPOINT_GROUP
from budgetpolicy.registry import REGISTRY_KINDS, Registry
from budgetpolicy.version import engine_version

__all__ = ["PluginInfo", "describe_plugins"]


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


def describe_plugins(registry: Registry) -> list[PluginInfo]:
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
