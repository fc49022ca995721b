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

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from attrs import field, frozen

from budgetpolicy.errors import Diagnostic, ExpressionError
from budgetpolicy.expr import CompiledExpression, FunctionSpec, Type, compile_expression
from budgetpolicy.formatting import fill_template, template_parts, value_text
from budgetpolicy.model import Deferred, FrozenMap, Reason, Rule, RuleTrace


@frozen
class CompiledRule:
    rule: Rule
    condition: CompiledExpression
    # The names the condition reads, sorted, each with its dotted path split once (for the trace).
    reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The reason template split once: literal text at even positions, placeholder names at odd ones.
    reason_parts: tuple[str, ...] | None = None
    # The condition's bare closure, for the hot loop; failures are re-run through ``condition``.
    evaluate: Any = field(default=None, eq=False, repr=False)

    @classmethod
    def of(cls, rule: Rule, condition: CompiledExpression) -> "CompiledRule":
        reads = tuple((name, tuple(name.split("."))) for name in sorted(condition.names))
        parts = template_parts(rule.reason) if rule.reason else None
        return cls(rule, condition, reads, parts, condition.bare)

    def reason_text(self, env: Mapping[str, Any] | Deferred) -> str:
        """The message of this rule having fired on ``env``."""
        if env.__class__ is Deferred:
            env = env()
        return self.message(env, _seen(env, self.reads))

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
                out.append(value_text(seen[part]))
            elif part.split(".", 1)[0] in env or part.split(".", 1)[0] in seen:
                out.append(value_text(lookup(env, part)))
            else:
                out.append("{" + part + "}")
        return "".join(out)


class Approved(NamedTuple):  # a tuple: made once per initiative, read once by decide()
    outcome: str
    traces: Deferred  # resolves to tuple[RuleTrace, ...]
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


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders from the values a rule saw; no attribute access, no format specs."""
    return fill_template(template, lambda name: value_text(lookup(values, name)) if _known(values, name) else None)


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


FIRED, NOT_FIRED, NOT_REACHED, NOT_IN_FORCE = "fired", "not_fired", "not_reached", "not_in_force"


class Skipped:
    """Why a rule's condition was not evaluated: an entry of :func:`rule_traces`' outcomes."""

    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


UNREACHED, OUT_OF_FORCE = Skipped(NOT_REACHED), Skipped(NOT_IN_FORCE)


@frozen
class RuleSet:
    """A policy's compiled rules, ready to run on one initiative after another."""

    rules: tuple[CompiledRule, ...]
    # The bare condition closures, and whether every rule is always reached (no approve rule to
    # fast-track past the others): then, with no as-of date, the conditions run in one sweep.
    evaluators: tuple[Any, ...] = field(init=False, eq=False, repr=False)
    sweep: bool = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "evaluators", tuple(cr.evaluate for cr in self.rules))
        object.__setattr__(self, "sweep", all(cr.rule.effect != "approve" for cr in self.rules))

    def run(self, env: Mapping[str, Any], as_of: date | None, later: Deferred | None = None) -> Approved:
        """Run the rules on one initiative's environment; the per-rule traces are built on first read.

        ``later`` rebuilds the same environment for those traces and for reason templates, so that
        ``env`` itself need not be kept; without it, ``env`` is kept (and must not change).
        """
        kept_env: Mapping[str, Any] | Deferred = env if later is None else later
        if self.sweep and as_of is None:
            try:
                values = [evaluate(env) for evaluate in self.evaluators]
            except Exception:
                values = None  # the rule-by-rule run below reports the failing rule
            if values is not None:
                # Every value is a normalised expression value, whose truth is Python's.
                fired = [cr for cr, value in zip(self.rules, values) if value]
                return _effects(fired, Deferred(rule_traces, self.rules, kept_env, values, as_of), kept_env)
        outcomes: list[Any] = []
        fired = []
        fast_tracked = False
        for cr in self.rules:
            rule = cr.rule
            if fast_tracked:
                outcomes.append(UNREACHED)
                continue
            if as_of is not None and not rule.in_force(as_of):
                outcomes.append(OUT_OF_FORCE)
                continue
            try:
                value = cr.evaluate(env)
            except Exception:
                # The bare closure failed: run the condition again through CompiledExpression's call,
                # which turns every failure into an ExpressionError with its location (conditions are pure).
                try:
                    value = cr.condition(env)
                except ExpressionError as exc:
                    raise ExpressionError([_with_rule(d, rule.id) for d in exc.diagnostics]) from exc
            hit = _truthy(value)
            outcomes.append(hit)
            if hit:
                fired.append(cr)
                fast_tracked = rule.effect == "approve"
        return _effects(fired, Deferred(rule_traces, self.rules, kept_env, outcomes, as_of), kept_env)


def _effects(fired: Sequence[CompiledRule], traces: Deferred, env: Mapping[str, Any] | Deferred) -> Approved:
    """Outcome, approvers, flags and reasons from the rules that fired, in file order."""
    roles: list[str] = []
    flags: list[str] = []
    reasons: list[Reason] = []
    sign_offs: list[str] = []  # ids of the require rules that fired: moot if the initiative is rejected
    rejected = False
    for cr in fired:
        rule = cr.rule
        # A template's text is filled in when the reason is first read (most never are, in a big run).
        reasons.append(Reason(rule.id, rule.message if cr.reason_parts is None else Deferred(cr.reason_text, env)))
        effect = rule.effect
        if effect == "reject":
            rejected = True
        elif effect == "require":
            assert rule.role is not None
            if rule.role not in roles:
                roles.append(rule.role)
            sign_offs.append(rule.id)
        elif effect == "flag":
            flags.append(rule.id)
    if rejected:  # sign-offs are moot for a rejected initiative; the traces still show those rules fired
        kept = tuple(r for r in reasons if r.code not in sign_offs) if sign_offs else tuple(reasons)
        return Approved("rejected", traces, (), tuple(flags), kept)
    return Approved("pending_approval" if roles else "approved", traces, tuple(roles), tuple(flags), tuple(reasons))


def rule_traces(rules: Sequence[CompiledRule], env: Mapping[str, Any] | Deferred, outcomes: Sequence[Any],
                as_of: date | None) -> tuple[RuleTrace, ...]:
    """What each rule did, with the values its condition read (from the environment it ran on).

    ``outcomes`` holds, per rule, its condition's value (fired when true) or why it was Skipped.
    """
    if env.__class__ is Deferred:
        env = env()
    traces: list[RuleTrace] = []
    for cr, outcome in zip(rules, outcomes):
        rule = cr.rule
        if outcome.__class__ is Skipped:
            status = outcome.status
            message = "an earlier approve rule fast-tracked" if status == NOT_REACHED else _force_text(rule, as_of)
            traces.append(RuleTrace(rule.id, rule.effect, status, message))
            continue
        seen = FrozenMap(_seen(env, cr.reads))
        if _truthy(outcome):
            traces.append(RuleTrace(rule.id, rule.effect, FIRED, cr.message(env, seen), rule.role, seen))
        else:
            traces.append(RuleTrace(rule.id, rule.effect, NOT_FIRED, "condition is false", rule.role, seen))
    return tuple(traces)


def _truthy(value: Any) -> bool:
    if value.__class__ is bool:  # what a condition almost always gives; the ABC check below is slow
        return value  # type: ignore[no-any-return]
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
