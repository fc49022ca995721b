"""The plugin contract: every hook budgetpolicy calls, in pipeline order.

Built-in scorers, data sources, functions and allocators implement these same
hooks (see ``budgetpolicy.plugins.DEFAULT_PLUGINS``), so the extension API is
exercised on every run. Registration hooks receive a ``register`` callback, so
a plugin adds named things without returning odd structures::

    from budgetpolicy import hookimpl

    @hookimpl
    def register_scorers(register):
        register("readiness", make_readiness_scorer, description="Stretch readiness rubric")

Every hook is called through pluggy (``BUDGETPOLICY_TRACE_PLUGINS=1`` prints
each call). Registration hooks are called when a
:class:`budgetpolicy.registry.Registry` is built, once per implementing plugin
(through a pluggy subset caller holding that plugin alone, in registration
order: built-ins first), so everything registered and any failure is
attributed to the plugin that did it; a hook wrapper wraps each of those
calls. Names must be unique across plugins.

No hook is ``firstresult``: registration hooks collect from every plugin (a
second plugin registering a taken name is an error, never a silent override),
and every decision sink must see every decision. Selection by name (a scorer,
a source, a strategy) happens in the registry, where a missing name gets a
did-you-mean and the list of what is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("budgetpolicy")
hookimpl = pluggy.HookimplMarker("budgetpolicy")

# How installed plugins are found and pinned: a distribution declares its plugin under this
# entry-point group (``[project.entry-points.budgetpolicy]``, the entry point's name is the
# plugin's name), and this variable (comma-separated names, empty for none) pins which load.
ENTRYPOINT_GROUP = "budgetpolicy"
PINNED_ENV = "BUDGETPOLICY_PLUGINS"


# -- loading data -----------------------------------------------------------


@hookspec
def register_data_sources(register: Callable[..., None]) -> None:
    """Register data sources that yield raw initiative or outcome records.

    Called once per plugin when the registry is built (every command builds
    one before it reads data). ``register`` is the callback: call
    ``register(name, source, extensions=(".csv",), description="")`` once per
    source and return nothing. ``source(target: str, kind: str)`` receives the
    path or URL after the optional ``name:`` prefix (``--initiatives
    lms:export.json``) and ``kind`` (``"initiatives"`` or ``"outcomes"``); it
    returns an iterable of ``(Location, dict)`` pairs, one per record, with the
    row's file/row set. The core validates and converts every record; a
    source only reads. ``extensions`` lets a bare path pick the source by its
    suffix. Not firstresult: every plugin's sources are collected.
    """


# -- compiling a policy -----------------------------------------------------


@hookspec
def register_functions(register: Callable[..., None]) -> None:
    """Register functions that policy conditions may call.

    Called once per plugin when the registry is built. ``register`` is the
    callback: call ``register(name, fn, params=("number", ...),
    returns="number", description="")`` once per function and return nothing.
    Types are ``number``, ``string``, ``bool``, ``list``, ``map``, ``any``; a
    trailing ``"..."`` makes the last parameter variadic. Calls are
    type-checked when a policy is compiled, so a policy using the function
    with the wrong arity fails before it sees data. ``fn`` receives Decimals
    for numbers and must be pure (no I/O, no clock). Not firstresult: every
    plugin's functions are collected.
    """


@hookspec
def register_scorers(register: Callable[..., None]) -> None:
    """Register rubric scorers, referenced by name from ``[[scoring.criteria]]``.

    Called once per plugin when the registry is built. ``register`` is the
    callback: call ``register(name, factory, description="")`` once per scorer
    and return nothing. ``factory(params, policy)`` is called once when a
    policy is compiled, with the criterion's ``params`` mapping and the
    :class:`~budgetpolicy.model.Policy`; it raises ``ValueError`` for bad
    parameters (reported as a validation error at the criterion's key) and
    returns ``score(initiative) -> Decimal | (Decimal, str)``: a value in 0..1
    and an optional one-line detail for the explanation: text, or a function
    of no arguments returning it, called only when the explanation is read.
    Not firstresult: every plugin's scorers are collected.
    """


# -- allocating the pool ----------------------------------------------------


@hookspec
def register_allocators(register: Callable[..., None]) -> None:
    """Register allocation strategies, chosen by ``[allocation] strategy``.

    Called once per plugin when the registry is built. ``register`` is the
    callback: call ``register(name, allocate, description="")`` once per
    strategy and return nothing. ``allocate(candidates, allocation_policy) ->
    AllocationResult`` (see ``budgetpolicy.allocation.result``) must never
    exceed the pool; the core checks its result. Not firstresult: every
    plugin's strategies are collected.
    """


# -- after a decision -------------------------------------------------------


@hookspec
def process_decision(decision: Any, policy: Any, context: Any) -> None:
    """A decision sink: notify, export, log. Called for every final decision of an evaluation.

    Called once per decision, after allocation, with provenance and narrative
    in place (never during a replay). ``decision`` is the final
    :class:`~budgetpolicy.model.Decision`, ``policy`` the
    :class:`~budgetpolicy.model.Policy` it was made under, ``context`` the
    :class:`~budgetpolicy.engine.compile.EvaluationContext` (clock, as-of
    date, calibration). Not firstresult: every sink sees every decision;
    return values are ignored. An exception fails the run naming the plugin
    and the decision (BP507).
    """


# -- the command line -------------------------------------------------------


@hookspec
def register_commands(subparsers: Any) -> None:
    """Add sub-commands to the ``budgetpolicy`` CLI.

    Called once, only when the command line names a command that is not
    built in (so plugins cost other commands nothing). ``subparsers`` is the
    ``argparse`` sub-parsers object; call ``subparsers.add_parser(name,
    help=...)`` and ``set_defaults(func=...)`` where ``func(args) -> int``
    returns the exit code. Return nothing. Not firstresult: every plugin may
    add commands.
    """
