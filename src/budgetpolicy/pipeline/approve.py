"""Approval: ordered rules, each a compiled condition and an effect.

Semantics (documented in docs/policy-format.md):
- rules run in file order; a rule not in force on the ``as_of`` date is skipped;
- ``reject`` fired: the initiative is rejected (every reject reason is kept, so
  the owner sees all of them at once) and *reject always wins*;
- ``require`` fired: the role joins the required approvers (pending approval);
- ``flag`` fired: the message is attached, the outcome does not change;
- ``approve`` fired: a fast track: later rules are not evaluated (a reject
  that already fired still wins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from attrs import frozen

from budgetpolicy.errors import Diagnostic, ExpressionError
from budgetpolicy.expr import CompiledExpression, FunctionSpec, Type, compile_expression
from budgetpolicy.model import Reason, Rule, RuleTrace

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


@frozen
class CompiledRule:
    rule: Rule
    condition: CompiledExpression
    # The names the condition reads, sorted, each with its dotted path split once (for the trace).
    reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The reason template split once: literal text at even positions, placeholder names at odd ones.
    reason_parts: tuple[str, ...] | None = None

    @classmethod
    def of(cls, rule: Rule, condition: CompiledExpression) -> "CompiledRule":
        reads = tuple((name, tuple(name.split("."))) for name in sorted(condition.names))
        parts = tuple(_PLACEHOLDER.split(rule.reason)) if rule.reason else None
        return cls(rule, condition, reads, parts)

    def message(self, env: Mapping[str, Any], seen: Mapping[str, Any]) -> str:
        """The rule's message; a ``reason`` template is filled like :func:`render` over env + seen."""
        parts = self.reason_parts
        if parts is None:
            return self.rule.message
        out: list[str] = []
        for index, part in enumerate(parts):
            if not index % 2:
                out.append(part)
            elif part in seen:
                out.append(format_value(seen[part]))
            elif part.split(".", 1)[0] in env or part.split(".", 1)[0] in seen:
                out.append(format_value(lookup(env, part)))
            else:
                out.append("{" + part + "}")
        return "".join(out)


@frozen
class Approved:
    outcome: str
    traces: tuple[RuleTrace, ...]
    roles: tuple[str, ...]
    flags: tuple[str, ...]
    reasons: tuple[Reason, ...]


def compile_rules(rules: Sequence[Rule], symbols: Mapping[str, Type], functions: Mapping[str, FunctionSpec],
                  diagnostics: list[Diagnostic]) -> tuple[CompiledRule, ...]:
    compiled: list[CompiledRule] = []
    for index, rule in enumerate(rules):
        where = rule.location.evolve(key=f"approval.rules[{index}].condition")
        try:
            expr = compile_expression(rule.condition, symbols, functions, where=where)
        except ExpressionError as exc:
            diagnostics.extend(_with_rule(d, rule.id) for d in exc.diagnostics)
            continue
        compiled.append(CompiledRule.of(rule, expr))
    return tuple(compiled)


def _with_rule(diagnostic: Diagnostic, rule_id: str) -> Diagnostic:
    from attrs import evolve

    return evolve(diagnostic, message=f"rule '{rule_id}': {diagnostic.message}")


def lookup(env: Mapping[str, Any], dotted: str) -> Any:
    value: Any = env
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def format_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}" if value else "0"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value) or "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders from the values a rule saw; no attribute access, no format specs."""
    return _PLACEHOLDER.sub(lambda m: format_value(lookup(values, m.group(1))) if _known(values, m.group(1))
                            else m.group(0), template)


def _known(values: Mapping[str, Any], dotted: str) -> bool:
    head = dotted.split(".", 1)[0]
    return head in values


def _seen(env: Mapping[str, Any], reads: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
    """The values a condition read, for its trace (a plain name is one dict lookup)."""
    seen: dict[str, Any] = {}
    for name, path in reads:
        if len(path) == 1:
            seen[name] = env.get(name)
            continue
        value: Any = env
        for part in path:
            if value.__class__ is not dict and not isinstance(value, Mapping) or part not in value:
                value = None
                break
            value = value[part]
        seen[name] = value
    return seen


def run_rules(rules: Sequence[CompiledRule], env: Mapping[str, Any], as_of: date | None) -> Approved:
    traces: list[RuleTrace] = []
    roles: list[str] = []
    flags: list[str] = []
    reasons: list[Reason] = []
    rejected = fast_tracked = False
    for cr in rules:
        rule = cr.rule
        if fast_tracked:
            traces.append(RuleTrace(rule.id, rule.effect, "not_reached", "an earlier approve rule fast-tracked"))
            continue
        if as_of is not None and not rule.in_force(as_of):
            traces.append(RuleTrace(rule.id, rule.effect, "not_in_force", _force_text(rule, as_of)))
            continue
        seen = _seen(env, cr.reads)
        try:
            value = cr.condition(env)
        except ExpressionError as exc:
            raise ExpressionError([_with_rule(d, rule.id) for d in exc.diagnostics]) from exc
        # Conditions are type-checked booleans almost always; _truthy covers the rest.
        fired = value if value.__class__ is bool else _truthy(value)
        if not fired:
            traces.append(RuleTrace(rule.id, rule.effect, "not_fired", "condition is false", rule.role, seen))
            continue
        message = cr.message(env, seen)
        traces.append(RuleTrace(rule.id, rule.effect, "fired", message, rule.role, seen))
        if rule.effect == "reject":
            rejected = True
            reasons.append(Reason(rule.id, message))
        elif rule.effect == "require":
            assert rule.role is not None
            if rule.role not in roles:
                roles.append(rule.role)
            reasons.append(Reason(rule.id, message))
        elif rule.effect == "flag":
            flags.append(rule.id)
            reasons.append(Reason(rule.id, message))
        else:
            fast_tracked = True
            reasons.append(Reason(rule.id, message))
    if rejected:  # sign-offs are moot for a rejected initiative; the traces still show those rules fired
        required = {cr.rule.id for cr in rules if cr.rule.effect == "require"}
        return Approved("rejected", tuple(traces), (), tuple(flags),
                        tuple(r for r in reasons if r.code not in required))
    outcome = "pending_approval" if roles else "approved"
    return Approved(outcome, tuple(traces), tuple(roles), tuple(flags), tuple(reasons))


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (str, list, tuple, dict, Mapping)):
        return len(value) > 0
    if isinstance(value, Decimal):
        return value != 0
    return bool(value)


def _force_text(rule: Rule, as_of: date | None) -> str:
    if rule.effective_from and as_of and as_of < rule.effective_from:
        return f"not in force on {as_of}: effective from {rule.effective_from}"
    return f"not in force on {as_of}: expired {rule.effective_until}"
