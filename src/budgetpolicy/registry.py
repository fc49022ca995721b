"""The registry: the scorers, data sources, functions and allocators plugins registered, and who did.

Compiling a policy and loading data look names up here (a missing name gets a
did-you-mean and the list of what is available). :meth:`Registry.build` fills
it from a pluggy plugin manager by calling the registration hooks through
pluggy, so hook tracing (``BUDGETPOLICY_TRACE_PLUGINS=1``), hook wrappers and
call monitoring see every call. Each plugin is called on its own (a subset hook
caller holding that plugin alone), so everything it registers, a name clash and
a failure are attributed to it exactly (BP503-BP505). Decision sinks run as one
``pm.hook.process_decision`` call; a failure names the plugin whose code raised
(BP507).

Building the manager (built-ins, entry points, pinning, ``-p``) is
:mod:`budgetpolicy.plugins`' job, and this module never imports it: the core
stages take a registry without depending on how the plugins were found.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import pluggy
from attrs import evolve, field, frozen

from budgetpolicy.errors import Diagnostic, Location, PluginError, did_you_mean
from budgetpolicy.hookspecs import ENTRYPOINT_GROUP, PINNED_ENV
from budgetpolicy.model import Policy
from budgetpolicy.policy.locate import TomlLocator
from budgetpolicy.version import engine_version

__all__ = ["REGISTRY_KINDS", "PluginFault", "Registered", "Registry", "hookimpl_location", "plugin_version",
           "required_plugin_diagnostics"]

# (table, hook), in the order Registry.build calls the hooks.
_REGISTRATION_HOOKS = (("scorers", "register_scorers"), ("sources", "register_data_sources"),
                       ("functions", "register_functions"), ("allocators", "register_allocators"))
# The kinds in pipeline order, as ``budgetpolicy plugins`` lists them.
REGISTRY_KINDS = ("sources", "functions", "scorers", "allocators")


class PluginFault(PluginError):
    """A plugin that cannot be loaded or registered (BP502-BP505): ``plugin`` names it, so
    ``budgetpolicy plugins`` can list it as broken and load the others."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None,
                 code: str | None = None, *, plugin: str) -> None:
        super().__init__(message, location, hint, code)
        self.plugin = plugin


@frozen
class Registered:
    """One named thing a plugin registered: the object, the plugin's name and version, its options."""

    name: str
    obj: Any
    plugin: str
    version: str
    options: dict[str, Any] = field(factory=dict, eq=False, hash=False)


@frozen(eq=False)  # a registry is one manager's view: compared and hashed by identity
class Registry:
    """Everything the plugins registered, by kind and name, with who registered it."""

    pm: pluggy.PluginManager
    scorers: dict[str, Registered] = field(factory=dict)
    sources: dict[str, Registered] = field(factory=dict)
    functions: dict[str, Registered] = field(factory=dict)
    allocators: dict[str, Registered] = field(factory=dict)
    # Replay evaluates recorded decisions again: it must not notify, export or log them a second time.
    sinks: bool = True

    @classmethod
    def build(cls, pm: pluggy.PluginManager) -> Registry:
        """Call every registration hook of ``pm``'s plugins; raises PluginError naming the plugin at fault."""
        tables = {kind: _collect(pm, hook) for kind, hook in _REGISTRATION_HOOKS}
        return cls(pm, scorers=tables["scorers"], sources=tables["sources"], functions=tables["functions"],
                   allocators=tables["allocators"])

    def without_sinks(self) -> Registry:
        """The same registry with ``process_decision`` switched off."""
        return evolve(self, sinks=False)

    def loaded_plugins(self) -> set[str]:
        """The names of the registered plugins (blocked names are not plugins)."""
        return {name for name, plugin in self.pm.list_name_plugin() if plugin is not None}

    def plugin_versions(self) -> tuple[tuple[str, str], ...]:
        """(name, version) of every registered plugin, sorted: recorded in provenance."""
        out = {(name or repr(p), plugin_version(self.pm, p))
               for name, p in self.pm.list_name_plugin() if p is not None}
        return tuple(sorted(out))

    def lookup(self, kind: str, name: str) -> Registered:
        """The extension registered as ``name`` under ``kind`` (``scorers``, ``functions``, ...); PluginError
        with a did-you-mean when there is none."""
        table: dict[str, Registered] = getattr(self, kind)
        if name not in table:
            hint = did_you_mean(name, table)
            available = ", ".join(sorted(table)) or "none"
            raise PluginError(f"no plugin provides {kind[:-1]} '{name}'",
                              hint=(hint + "; " if hint else "") + f"available: {available}", code="BP506")
        return table[name]

    def process_decision(self, decision: Any, policy: Policy, context: Any) -> None:
        """Hand a final decision to every ``process_decision`` sink; raises BP507 naming the plugin that failed."""
        hook = self.pm.hook.process_decision
        if not self.sinks or not hook.get_hookimpls():  # the usual run: no sink, so no call at all
            return
        try:
            hook(decision=decision, policy=policy, context=context)
        except Exception as exc:
            impls = hook.get_hookimpls()
            culprit = _raised_in(exc, impls)
            who = f"plugin '{culprit.plugin_name}'" if culprit else \
                "one of plugins " + ", ".join(f"'{i.plugin_name}'" for i in impls)
            raise PluginError(f"{who} hook process_decision raised {type(exc).__name__}: {exc} "
                              f"(decision {decision.initiative_id})",
                              hookimpl_location(culprit) if culprit else None, code="BP507") from exc


def _collect(pm: pluggy.PluginManager, hook_name: str) -> dict[str, Registered]:
    """Call one registration hook, plugin by plugin, through pluggy; what each registers is its own."""
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    # get_hookimpls() is registration order: built-ins first, so a clash is reported against the
    # plugin that came second (pluggy, calling them all at once, would start with the last one).
    # Plugins that only wrap the hook stay in every call, so a hook wrapper sees each plugin's call.
    first_impl: dict[str, pluggy.HookImpl] = {}
    for impl in impls:
        _check_hashable(impl)
        if not (impl.hookwrapper or impl.wrapper):
            first_impl.setdefault(impl.plugin_name, impl)
    table: dict[str, Registered] = {}
    for name, impl in first_impl.items():
        register = _Registrar(table, hook_name, name, plugin_version(pm, impl.plugin), hookimpl_location(impl))
        others = [other.plugin for other in first_impl.values() if other is not impl]
        only_this_plugin = pm.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            returned = only_this_plugin(register=register)
        except PluginError:
            raise
        except Exception as exc:
            culprit = _raised_in(exc, impls) or impl
            raise PluginFault(f"plugin '{culprit.plugin_name}' hook {hook_name} raised {type(exc).__name__}: {exc}",
                              hookimpl_location(culprit), code="BP505", plugin=culprit.plugin_name) from exc
        if returned:  # pluggy keeps only results that are not None, e.g. a dict of scorers: nothing registered
            raise PluginFault(f"plugin '{name}' hook {hook_name} returned {type(returned[0]).__name__}; "
                              "registration hooks return nothing", hookimpl_location(impl),
                              hint="call register(name, obj, ...) for each item instead", code="BP503", plugin=name)
    return table


def _check_hashable(impl: pluggy.HookImpl) -> None:
    """pluggy's subset hook callers keep plugins in a set: an object that cannot be hashed (a
    SimpleNamespace, a dataclass with eq) cannot be called on its own, so it is refused by name."""
    try:
        hash(impl.plugin)
    except TypeError:
        raise PluginFault(f"plugin '{impl.plugin_name}' is a {type(impl.plugin).__name__}, which cannot be hashed; "
                          "a plugin must be a module, a class or a hashable instance", hookimpl_location(impl),
                          hint="register a module, or an instance of a class that keeps the default __hash__",
                          code="BP503", plugin=impl.plugin_name) from None


@frozen
class _Registrar:
    """The ``register`` callback one plugin's registration hook receives; its repr names the plugin,
    so a hook trace shows whose call it is."""

    table: dict[str, Registered]
    hook_name: str
    plugin: str
    version: str
    where: Location

    def __call__(self, name: str, obj: Any, /, **options: Any) -> None:
        plugin, hook_name, where, table = self.plugin, self.hook_name, self.where, self.table
        if not isinstance(name, str) or not name:
            raise PluginFault(f"plugin '{plugin}' hook {hook_name}: name must be a non-empty string, "
                              f"got {name!r}", where, code="BP503", plugin=plugin)
        if not callable(obj):
            raise PluginFault(f"plugin '{plugin}' hook {hook_name}: '{name}' must be callable, "
                              f"got {type(obj).__name__}", where, code="BP503", plugin=plugin)
        if name in table and table[name].plugin != plugin:
            raise PluginFault(f"plugin '{plugin}' hook {hook_name}: '{name}' is already registered "
                              f"by plugin '{table[name].plugin}'", where, hint="rename one of them", code="BP504",
                              plugin=plugin)
        table[name] = Registered(name, obj, plugin, self.version, dict(options))

    def __repr__(self) -> str:
        return f"<register for plugin '{self.plugin}'>"


def _raised_in(exc: BaseException, impls: Sequence[pluggy.HookImpl]) -> pluggy.HookImpl | None:
    """The hook implementation whose code raised ``exc``: the innermost traceback frame that is one.

    A hook wrapper that lets the exception through adds its frame further out, so the
    implementation that raised first is still the one found.
    """
    by_code = {code: impl for impl in impls if (code := getattr(impl.function, "__code__", None)) is not None}
    found = None
    tb = exc.__traceback__
    while tb is not None:
        found = by_code.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found


def hookimpl_location(impl: pluggy.HookImpl) -> Location:
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


def required_plugin_diagnostics(policy: Policy, registry: Registry) -> list[Diagnostic]:
    """An error (BP508) for each plugin the policy's ``plugins = [...]`` names that is not loaded.

    Says whether the plugin is installed but switched off here (pinned out by
    ``BUDGETPOLICY_PLUGINS`` or blocked by ``-p no:NAME``) or not installed at
    all, and lists the installed ones, so the fix is obvious. Installed
    distributions are only looked at when a plugin is missing.
    """
    loaded = registry.loaded_plugins()
    missing = [(index, name) for index, name in enumerate(policy.plugins) if name not in loaded]
    if not missing:
        return []
    installed = sorted(ep.name for ep in metadata.entry_points(group=ENTRYPOINT_GROUP))
    file = policy.source.path if policy.source else None
    locator = TomlLocator(policy.source.text) if policy.source is not None and policy.source.text else None
    out = []
    for index, name in missing:
        if name in installed:
            hint = (f"'{name}' is installed but not enabled here: add it to {PINNED_ENV}, pass -p {name}, "
                    f"or drop -p no:{name}")
        else:
            close = did_you_mean(name, installed)
            hint = ((close + "; ") if close else "") + \
                f"installed: {', '.join(installed) or 'none'}; pip install the distribution providing '{name}'"
        line = (locator.exact_line(("plugins", index)) or locator.exact_line(("plugins",))) if locator else None
        out.append(Diagnostic("BP508", f"policy needs plugin '{name}', which is not loaded",
                              Location(file=file, key=f"plugins[{index}]", line=line), hint))
    return out
