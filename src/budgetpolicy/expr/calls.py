"""Plugin expression-function calls, recorded while a decision is made so that replay can reuse them.

A plugin's function is code outside the engine: upgrading the plugin can change
a decision without any change to the policy or the data. So, as scorers' outputs
are kept in a decision's score lines, the calls a decision's rules make to
plugin functions are kept with it (``Decision.calls``, then the ledger record's
``functions``): name, plugin, arguments and result. Replay checks them (live) or
returns them (hermetic).

How: :func:`recording` wraps each plugin function of a policy when the policy is
compiled; while :func:`calls_of` holds a :class:`CallLog` for one initiative
(``CompiledPolicy.decide`` opens one, only for policies whose rules call a plugin
function), every call is appended to it. The log is a context variable, so
concurrent evaluations in threads or tasks never see each other's calls; outside a
log (validation, ``budgetpolicy test``, lint) a wrapped function costs one lookup.

The built-in functions (registered by the ``budgetpolicy.builtins`` modules) are
the engine's own, versioned with it and recorded as its version in provenance,
so their calls are not recorded.

Values in a record are JSON with one rule that keeps them exact and unambiguous:
strings, booleans and null are themselves, lists are arrays, a number is
``{"number": "25000"}`` (exact decimal text) and a map is ``{"map": {...}}``
(:func:`to_record`, :func:`from_record`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from attrs import evolve

from budgetpolicy.canonical import canonical_json
from budgetpolicy.expr._runtime import BadValue, normalise
from budgetpolicy.expr.ast import Call, Node, walk
from budgetpolicy.expr.functions import FunctionSpec
from budgetpolicy.model import FrozenMap, FunctionCall

__all__ = ["BUILTIN_PACKAGE", "CallLog", "args_key", "called", "calls_of", "current_log", "from_record", "is_recorded",
           "literal", "recording", "to_record"]

BUILTIN_PACKAGE = "budgetpolicy.builtins."


class CallLog:
    """The plugin-function calls made while one initiative is decided, in call order."""

    __slots__ = ("initiative_id", "calls")

    def __init__(self, initiative_id: str) -> None:
        self.initiative_id = initiative_id
        self.calls: list[FunctionCall] = []


_LOG: ContextVar[CallLog | None] = ContextVar("budgetpolicy_function_calls", default=None)


@contextmanager
def calls_of(initiative_id: str) -> Iterator[CallLog]:
    """Record the plugin-function calls made inside the block (for ``initiative_id``) into a fresh log."""
    log = CallLog(initiative_id)
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)


def current_log() -> CallLog | None:
    """The log of the initiative being decided, or None outside :func:`calls_of`."""
    return _LOG.get()


def is_recorded(plugin: str) -> bool:
    """Whether calls to the functions ``plugin`` registered are recorded: it is not a built-in."""
    return bool(plugin) and not plugin.startswith(BUILTIN_PACKAGE)


def recording(functions: Mapping[str, FunctionSpec]) -> dict[str, FunctionSpec]:
    """``functions`` with every plugin function (:func:`is_recorded`) wrapped to log its calls."""
    return {name: evolve(spec, fn=_recorder(spec)) if is_recorded(spec.plugin) else spec
            for name, spec in functions.items()}


def called(node: Node) -> set[str]:
    """The names of the functions an expression's tree calls."""
    return {n.func for n in walk(node) if isinstance(n, Call)}


def _recorder(spec: FunctionSpec) -> Callable[..., Any]:
    name, plugin, fn, get = spec.name, spec.plugin, spec.fn, _LOG.get

    def recorded(*args: Any) -> Any:
        result = fn(*args)
        log = get()
        if log is not None:
            try:
                value = normalise(result)
            except BadValue:
                return result  # the compiled call rejects it (BP350, naming the function): nothing to record
            log.calls.append(FunctionCall(name, plugin, args, value))
        return result

    return recorded


def to_record(value: Any) -> Any:
    """An expression value as JSON data, exactly and without ambiguity (see the module docstring);
    ValueError for a value that has no exact record (a float)."""
    cls = value.__class__
    if cls is str or cls is bool or value is None:
        return value
    if cls is Decimal or cls is int:
        return {"number": format(value, "f")}
    if cls is tuple or cls is list:
        return [to_record(v) for v in value]
    if isinstance(value, Mapping):
        return {"map": {str(k): to_record(v) for k, v in value.items()}}
    # Anything else (a float inside a map) cannot be recorded exactly; say so rather than guess.
    raise ValueError(f"cannot record a {cls.__name__} value")


def from_record(data: Any) -> Any:
    """The expression value :func:`to_record` wrote; ValueError for data it cannot have written."""
    if data is None or data.__class__ in (str, bool):
        return data
    if data.__class__ is list:
        return tuple(from_record(v) for v in data)
    if data.__class__ is dict and len(data) == 1:
        if "number" in data and data["number"].__class__ is str:
            return Decimal(data["number"])
        if "map" in data and data["map"].__class__ is dict:
            return FrozenMap({k: from_record(v) for k, v in data["map"].items()})
    raise ValueError(f"not a recorded expression value: {data!r}")


def args_key(recorded_args: Any) -> str:
    """One call's arguments (as :func:`to_record` data) as text: equal text, the same call."""
    return canonical_json(recorded_args)


def literal(value: Any) -> str:
    """A value as the expression language writes it (``"Sales"``, ``25000``, ``[1, 2]``), for messages."""
    if value is None:
        return "null"
    if value.__class__ is bool:
        return "true" if value else "false"
    if value.__class__ is str:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (Decimal, int)):
        return format(value, "f")
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {literal(v)}"
                               for k, v in value.items()) + "}"
    return str(value)
