"""Function signatures that conditions may call, and how plugins' registrations become them.

Functions come from the ``register_functions`` hook, through the plugin
registry: the built-ins in :mod:`budgetpolicy.builtins.functions` are a
default plugin like any other, and this package never imports them. The
checker uses a :class:`FunctionSpec` to reject unknown functions, wrong arity
(BP304) and wrong argument types (BP303) before any data is seen. Function
implementations (built-in or a plugin's) compute in the language's decimal
context, :data:`CONTEXT`, and may use :func:`equal` and :func:`type_name` to
compare values and name their types as the language does.

A signature is a tuple of parameter types; a trailing ``"..."`` makes the last
parameter variadic (one or more; a bare ``("...",)`` means one or more
arguments of any type), ``optional=n`` lets the last ``n`` fixed
parameters be omitted, and ``check`` is an escape hatch for overloaded
functions (``min(list)`` or ``min(a, b, ...)``): it receives the argument types
and returns the result type, or raises ``TypeError`` with a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from attrs import field, frozen

from budgetpolicy.expr._runtime import CONTEXT, equal, type_name
from budgetpolicy.expr.types import ANY, Type, parse_type

__all__ = ["CONTEXT", "FunctionSpec", "VARIADIC", "collect", "equal", "function_specs", "spec_from_registration",
           "type_name"]

VARIADIC = "..."


def _params(value: tuple[str | Type, ...] | list[str | Type]) -> tuple[Type | str, ...]:
    items = tuple(value)
    if items == (VARIADIC,):
        # A bare "..." (no declared signature): one or more arguments of any type.
        items = ("any", VARIADIC)
    out: list[Type | str] = []
    for i, item in enumerate(items):
        if item == VARIADIC:
            if i != len(items) - 1:
                raise ValueError("'...' must be the last parameter")
            out.append(VARIADIC)
        else:
            out.append(parse_type(item))
    return tuple(out)


@frozen
class FunctionSpec:
    """A callable with the signature the checker enforces.

    ``fn`` receives Decimals for numbers, str, bool, None, tuples for lists and
    mappings for maps, and must be pure. Exceptions it raises become BP350
    errors at the call's column, naming ``plugin`` (who registered it) when known.
    """

    name: str
    fn: Callable[..., Any]
    params: tuple[Type | str, ...] = field(default=(), converter=_params)
    returns: Type = field(default=ANY, converter=parse_type)
    description: str = ""
    optional: int = 0
    check: Callable[[tuple[Type, ...]], Type] | None = field(default=None, eq=False)
    plugin: str = field(default="", eq=False)  # the plugin that registered it, named when it raises

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1] == VARIADIC

    @property
    def param_types(self) -> tuple[Type, ...]:
        return tuple(p for p in self.params if isinstance(p, Type))

    @property
    def arity(self) -> tuple[int, int | None]:
        """(minimum, maximum or None for unbounded) number of arguments."""
        fixed = len(self.param_types)
        if self.variadic:
            return fixed - self.optional, None
        return fixed - self.optional, fixed

    def param_for(self, position: int) -> Type:
        types = self.param_types
        return types[position] if position < len(types) else types[-1]

    @property
    def signature(self) -> str:
        """``round(number, number?) -> number``: shown in errors, docs and ``plugins`` output."""
        parts = [str(t) for t in self.param_types]
        if self.variadic:
            parts.append("...")
        return f"{self.name}({', '.join(parts)}) -> {self.returns}"


def spec_from_registration(name: str, fn: Callable[..., Any], plugin: str = "", /, **options: Any) -> FunctionSpec:
    """Build a FunctionSpec from ``register(name, fn, params=..., returns=..., description=...)``."""
    known = {"params", "returns", "description", "optional", "check"}
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(known))}")
    return FunctionSpec(name, fn, **options, plugin=plugin)


class _Registration(Protocol):
    """One registered function, as :class:`budgetpolicy.registry.Registered` holds it."""

    @property
    def obj(self) -> Callable[..., Any]: ...

    @property
    def options(self) -> Mapping[str, Any]: ...

    @property
    def plugin(self) -> str: ...


class FunctionTable(Protocol):
    """What :func:`function_specs` reads of a registry; described here because the expression
    language sits below the registry and does not import it."""

    @property
    def functions(self) -> Mapping[str, _Registration]: ...


def function_specs(registry: FunctionTable) -> dict[str, FunctionSpec]:
    """The functions of a :class:`budgetpolicy.registry.Registry`, ready for compile_expression."""
    return {name: spec_from_registration(name, reg.obj, reg.plugin, **reg.options)
            for name, reg in sorted(registry.functions.items())}


def collect(register_hook: Callable[[Callable[..., None]], None]) -> Mapping[str, FunctionSpec]:
    """Run one plugin's ``register_functions`` and return its specs (for plugin tests)."""
    collected: dict[str, FunctionSpec] = {}

    def register(name: str, fn: Callable[..., Any], /, **options: Any) -> None:
        collected[name] = spec_from_registration(name, fn, **options)

    register_hook(register)
    return collected
