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
from typing import Any, ClassVar, Final, Literal, NamedTuple

from attrs import Factory, field, frozen

from budgetpolicy.errors import Diagnostic, ExpressionError
from budgetpolicy.expr import CompiledExpression, FunctionSpec, Type, compile_expression
from budgetpolicy.formatting import template_parts, value_text
from budgetpolicy.model import FrozenMap, Reason, Rule, RuleTrace


@frozen
class CompiledRule:
    """A rule with its condition compiled; build it with :meth:`of`."""

    rule: Rule
    condition: CompiledExpression
    # The names the condition reads, sorted, each with its dotted path split once (for the trace).
    reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The reason template split once: literal text at even positions, placeholder names at odd ones.
    reason_parts: tuple[str, ...] | None = None
    # The condition's bare closure, for the hot loop; failures are re-run through ``condition``.
    evaluate: Any = field(default=None, eq=False, repr=False)
    # Per placeholder: its position in reason_parts, its name and dotted path, and whether it is filled
    # even when the environment lacks its head (it, or its head, is a name the condition reads).
    fills: tuple[tuple[int, str, tuple[str, ...], bool], ...] = field(default=(), eq=False, repr=False)

    @classmethod
    def of(cls, rule: Rule, condition: CompiledExpression) -> "CompiledRule":
        reads = tuple((name, tuple(name.split("."))) for name in sorted(condition.names))
        parts = template_parts(rule.reason) if rule.reason else None
        read = {name for name, _ in reads}
        fills = tuple((index, name, tuple(name.split(".")), name in read or name.split(".", 1)[0] in read)
                      for index, name in enumerate(parts or ()) if index % 2)
        return cls(rule, condition, reads, parts, condition.bare, fills)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names its reason template fills in (empty without a template)."""
        return tuple(name for _, name, _, _ in self.fills)

    def reason_text(self, env: Mapping[str, Any]) -> str:
        """The rule's message, having fired on ``env``: a ``reason`` template's placeholders are filled with
        the values in ``env`` (a name it does not bind is left as ``{name}``)."""
        parts = self.reason_parts
        if parts is None:
            return self.rule.message
        out = list(parts)
        for index, name, path, known in self.fills:
            if known or path[0] in env:
                out[index] = value_text(env.get(name) if len(path) == 1 else _walk(env, path))
            else:
                out[index] = "{" + name + "}"
        return "".join(out)


class Approved(NamedTuple):  # a tuple: made once per initiative, read once by decide()
    outcome: str
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




def _seen(env: Mapping[str, Any], reads: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
    """The values a condition read, for its trace (a plain name is one dict lookup)."""
    return {name: env.get(name) if len(path) == 1 else _walk(env, path) for name, path in reads}


def _walk(env: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a dotted name's ``path`` in ``env``; None where the path leaves the maps."""
    value: Any = env
    for part in path:
        if value.__class__ is not dict and not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


FIRED: Final = "fired"
NOT_FIRED: Final = "not_fired"
NOT_REACHED: Final = "not_reached"
NOT_IN_FORCE: Final = "not_in_force"


class Skipped:
    """Why a rule's condition was not evaluated: an entry of :func:`rule_traces`' outcomes."""

    __slots__ = ("status",)

    def __init__(self, status: Literal["not_reached", "not_in_force"]) -> None:
        self.status = status


UNREACHED, OUT_OF_FORCE = Skipped(NOT_REACHED), Skipped(NOT_IN_FORCE)


@frozen
class RuleSet:
    """A policy's compiled rules, ready to run on one initiative after another; build it with :meth:`of`."""

    rules: tuple[CompiledRule, ...]
    # The bare condition closures, and whether every rule is always reached (no approve rule to
    # fast-track past the others): then, with no as-of date, the conditions run in one sweep.
    evaluators: tuple[Any, ...] = field(eq=False, repr=False)
    sweep: bool = field(eq=False, repr=False)
    # A bounded cache: the rules' values in one sweep -> what they come to, for the sweeps whose fired
    # rules have no reason template (their reasons are then the same text every time). Approved holds
    # frozen values only, so one instance serves every initiative with that pattern.
    patterns: dict[tuple[Any, ...], Approved] = field(init=False, factory=dict, eq=False, repr=False)
    # Whether any rule has effective dates: without them every rule is in force on any as-of date,
    # so the sweep serves dated evaluations too (``evaluate`` always has an as-of date).
    dated: bool = field(init=False, eq=False, repr=False, default=Factory(
        lambda self: any(cr.rule.effective_from or cr.rule.effective_until for cr in self.rules), takes_self=True))

    PATTERNS: ClassVar[int] = 4096

    @classmethod
    def of(cls, rules: tuple[CompiledRule, ...]) -> "RuleSet":
        return cls(rules, tuple(cr.evaluate for cr in rules), all(cr.rule.effect != "approve" for cr in rules))

    @property
    def columns(self) -> tuple[Any, ...] | None:
        """Every condition's column function (:mod:`budgetpolicy.expr.columns`), in rule order; None
        when a condition has none (then batches are decided row by row)."""
        fns = tuple(cr.condition.columns for cr in self.rules)
        return None if any(fn is None for fn in fns) else fns

    def run(self, env: Mapping[str, Any], as_of: date | None) -> Approved:
        """Run the rules on one initiative's environment: outcome, approvers, flags and reasons."""
        if self.sweep and (as_of is None or not self.dated):
            try:
                values = tuple([evaluate(env) for evaluate in self.evaluators])
            except Exception:
                values = None  # outcomes() runs rule by rule and reports the failing rule
            if values is not None:
                return self.settle(values, env)
        _, fired = self.outcomes(env, as_of)
        return _effects(fired, env)

    def settle(self, values: tuple[Any, ...], env: Mapping[str, Any]) -> Approved:
        """What the rules come to when their conditions, swept on ``env``, gave ``values`` (in rule order):
        the remembered answer for that pattern, or the fired rules' effects (then remembered when no fired
        rule fills a reason template from ``env``). Only for a sweep (``self.sweep``, in force)."""
        key: tuple[Any, ...] | None = values
        try:
            known = self.patterns.get(values)
        except TypeError:  # a condition gave an unhashable value (a map): not remembered
            known = key = None
        if known is not None:
            return known
        fired = [cr for cr, value in zip(self.rules, values) if value]
        approved = _effects(fired, env)
        if key is not None and len(self.patterns) < self.PATTERNS and all(cr.reason_parts is None for cr in fired):
            self.patterns[key] = approved
        return approved

    def traces(self, env: Mapping[str, Any], as_of: date | None) -> tuple[RuleTrace, ...]:
        """What each rule did on ``env``, with the values its condition read (for an explanation)."""
        outcomes, _ = self.outcomes(env, as_of)
        return rule_traces(self.rules, env, outcomes, as_of)

    def outcomes(self, env: Mapping[str, Any], as_of: date | None) -> tuple[list[Any], list[CompiledRule]]:
        """Per rule, its condition's value or why it was :class:`Skipped`; and the rules that fired, in order."""
        if self.sweep and (as_of is None or not self.dated):
            try:
                values = [evaluate(env) for evaluate in self.evaluators]
            except Exception:
                values = None  # the rule-by-rule run below reports the failing rule
            if values is not None:
                # Every value is a normalised expression value, whose truth is Python's.
                return values, [cr for cr, value in zip(self.rules, values) if value]
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
        return outcomes, fired


def _effects(fired: Sequence[CompiledRule], env: Mapping[str, Any]) -> Approved:
    """Outcome, approvers, flags and reasons from the rules that fired, in file order."""
    roles: list[str] = []
    flags: list[str] = []
    reasons: list[Reason] = []
    sign_offs: list[str] = []  # ids of the require rules that fired: moot if the initiative is rejected
    rejected = False
    for cr in fired:
        rule = cr.rule
        reasons.append(Reason(rule.id, rule.message if cr.reason_parts is None else cr.reason_text(env)))
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
        return Approved("rejected", (), tuple(flags), kept)
    return Approved("pending_approval" if roles else "approved", tuple(roles), tuple(flags), tuple(reasons))


def rule_traces(rules: Sequence[CompiledRule], env: Mapping[str, Any], outcomes: Sequence[Any],
                as_of: date | None) -> tuple[RuleTrace, ...]:
    """What each rule did, with the values its condition read (from the environment it ran on).

    ``outcomes`` holds, per rule, its condition's value (fired when true) or why it was Skipped.
    """
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
            traces.append(RuleTrace(rule.id, rule.effect, FIRED, cr.reason_text(env), rule.role, seen))
        else:
            traces.append(RuleTrace(rule.id, rule.effect, NOT_FIRED, "condition is false", rule.role, seen))
    return tuple(traces)


def _truthy(value: Any) -> bool:
    if value.__class__ is bool:  # what a condition almost always gives; the ABC check below is slow
        return value
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
