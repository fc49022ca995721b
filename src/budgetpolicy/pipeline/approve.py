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
        compiled.append(CompiledRule(rule, expr))
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
        if not rule.in_force(as_of):
            traces.append(RuleTrace(rule.id, rule.effect, "not_in_force", _force_text(rule, as_of)))
            continue
        seen = {name: lookup(env, name) for name in sorted(cr.condition.names)}
        try:
            fired = _truthy(cr.condition(env))
        except ExpressionError as exc:
            raise ExpressionError([_with_rule(d, rule.id) for d in exc.diagnostics]) from exc
        if not fired:
            traces.append(RuleTrace(rule.id, rule.effect, "not_fired", "condition is false", rule.role, seen))
            continue
        message = render(rule.reason, {**env, **seen}) if rule.reason else rule.message
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
