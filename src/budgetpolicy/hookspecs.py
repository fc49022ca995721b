"""The plugin contract: every hook budgetpolicy calls, in pipeline order.

Built-in scorers, data sources, functions and allocators implement these same
hooks (see ``budgetpolicy.plugins.DEFAULT_PLUGINS``), so the extension API is
exercised on every run. Registration hooks receive a ``register`` callback, so
a plugin adds named things without returning odd structures::

    from budgetpolicy import hookimpl

    @hookimpl
    def register_scorers(register):
        register("readiness", make_readiness_scorer, description="Stretch readiness rubric")

Registration hooks are called once, when a :class:`budgetpolicy.plugins.Registry`
is built; each plugin's implementation is called on its own so a failure is
attributed to the plugin that raised it. Names must be unique across plugins.

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


# -- loading data -----------------------------------------------------------


@hookspec
def register_data_sources(register: Callable[..., None]) -> None:
    """Register data sources that yield raw initiative or outcome records.

    Call ``register(name, source, extensions=(".csv",), description="")``.
    ``source(target: str, kind: str)`` receives the path or URL after the
    optional ``name:`` prefix (``--initiatives lms:export.json``) and ``kind``
    (``"initiatives"`` or ``"outcomes"``); it returns an iterable of
    ``(Location, dict)`` pairs, one per record, with the row's file/row set.
    The core validates and converts every record; a source only reads.
    ``extensions`` lets a bare path pick the source by its suffix.
    """


# -- compiling a policy -----------------------------------------------------


@hookspec
def register_functions(register: Callable[..., None]) -> None:
    """Register functions that policy conditions may call.

    Call ``register(name, fn, params=("number", ...), returns="number",
    description="")``. Types are ``number``, ``string``, ``bool``, ``list``,
    ``map``, ``any``; a trailing ``"..."`` makes the last parameter variadic.
    Calls are type-checked when a policy is validated, so a policy using the
    function with the wrong arity fails before it sees data. ``fn`` receives
    Decimals for numbers and must be pure (no I/O, no clock).
    """


@hookspec
def register_scorers(register: Callable[..., None]) -> None:
    """Register rubric scorers, referenced by name from ``[[scoring.criteria]]``.

    Call ``register(name, factory, description="")``. ``factory(params, policy)``
    is called once when a policy is compiled, with the criterion's ``params``
    mapping and the :class:`~budgetpolicy.model.Policy`; it raises ``ValueError``
    for bad parameters (reported as a validation error at the criterion's key)
    and returns ``score(initiative) -> Decimal | (Decimal, str)``: a value in
    0..1 and an optional one-line detail for the explanation: text, or a
    function of no arguments returning it, called only when the explanation is
    read.
    """


# -- allocating the pool ----------------------------------------------------


@hookspec
def register_allocators(register: Callable[..., None]) -> None:
    """Register allocation strategies, chosen by ``[allocation] strategy``.

    Call ``register(name, allocate, description="")`` where
    ``allocate(candidates, allocation_policy) -> AllocationResult`` (see
    ``budgetpolicy.allocation.allocate``). It must never exceed the pool.
    """


# -- after a decision -------------------------------------------------------


@hookspec
def process_decision(decision: Any, policy: Any, context: Any) -> None:
    """Called for every final decision (a decision sink: notify, export, log).

    ``decision`` is a :class:`~budgetpolicy.model.Decision`, ``policy`` the
    :class:`~budgetpolicy.model.Policy`, ``context`` the evaluation context.
    Return values are ignored; an exception fails the run naming the plugin.
    """


# -- the command line -------------------------------------------------------


@hookspec
def register_commands(subparsers: Any) -> None:
    """Add sub-commands to the ``budgetpolicy`` CLI.

    ``subparsers`` is the ``argparse`` sub-parsers object; call
    ``subparsers.add_parser(name, help=...)`` and ``set_defaults(func=...)``
    where ``func(args) -> int`` returns the exit code.
    """
