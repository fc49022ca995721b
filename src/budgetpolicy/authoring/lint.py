"""Lint: warnings about a policy that is valid but probably not what its authors meant.

Runs after compilation (``budgetpolicy validate`` calls it through
:func:`budgetpolicy.api.check_policy`), on the compiled conditions' syntax
trees, so nothing here evaluates initiative data. Every finding is a
``warning`` with a BP9xx code; ``validate --strict`` turns them into failures.

- BP901 a rule can never fire: its condition is constant and false (``1 > 2``);
- BP902 a rule always fires: its condition is constant and true;
  (contradictory thresholds and rules shadowed by earlier ones are BP240/BP241,
  from :mod:`budgetpolicy.policy.budget_checks`);
- BP905 a priority no scorer or rule uses;
- BP906 rubric weights do not sum to 1 under ``weights = "normalise"``;
- BP907-BP910 names in conditions that exist but are probably misspelt: an
  undeclared ``attributes.NAME``, a ``forecast.KEY`` or ``"ID" in priorities``
  that is not a priority id, a ``ratings.KEY`` no rubric criterion reads, a
  ``kind`` compared with an unknown kind. Unknown field names are already
  errors (BP302) from the expression checker, with did-you-mean.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from budgetpolicy.engine.approve import CompiledRule
from budgetpolicy.engine.compile import CompiledPolicy
from budgetpolicy.errors import Diagnostic, Location, did_you_mean
from budgetpolicy.expr.ast import Binary, In, ListLit, Literal, Name, Node, dotted_path, walk
from budgetpolicy.model import KINDS, Policy
from budgetpolicy.policy.locate import TomlLocator, format_key_path

_FIELDS = ("id", "title", "kind", "department", "role", "cost", "currency", "headcount", "priorities",
           "forecast", "probability", "horizon", "objectives", "delivery", "evaluation_plan", "sponsor",
           "mentor", "pilot", "ratings", "start")


def lint_diagnostics(policy: Policy, compiled: CompiledPolicy) -> list[Diagnostic]:
    """Every lint warning for ``policy`` (``compiled`` is its CompiledPolicy, for the condition trees)."""
    rules = list(compiled.rules)
    out: list[Diagnostic] = []
    out += _rule_findings(rules)
    out += _unused_priorities(policy, rules)
    out += _weights(policy)
    for index, cr in enumerate(rules):
        out += _names(policy, cr, index)
    return out


def _warn(code: str, message: str, location: Location, hint: str) -> Diagnostic:
    return Diagnostic(code, message, location, hint, severity="warning")


def _located(policy: Policy, path: tuple[str | int, ...]) -> Location:
    source = policy.source
    line = TomlLocator(source.text).line_of(path) if source is not None and source.text else None
    return Location(file=source.path if source else None, key=format_key_path(path), line=line)


def _where(cr: CompiledRule, index: int) -> Location:
    return cr.rule.location.evolve(key=f"approval.rules[{index}].condition")


# ---------------------------------------------------------------------------
# Rules that never fire, always fire, shadow or duplicate each other
# ---------------------------------------------------------------------------

def _rule_findings(rules: Sequence[CompiledRule]) -> Iterator[Diagnostic]:
    # Thresholds that contradict or shadow each other are BP240/BP241 (policy.budget_checks); what is
    # left here are conditions that do not look at the initiative at all.
    for j, cr in enumerate(rules):
        if cr.condition.names:
            continue
        rule = cr.rule
        try:
            value = cr.condition({})
        except Exception:  # a runtime error is for evaluation to report, not lint
            continue
        if value:
            yield _warn("BP902", f"rule '{rule.id}' always fires: its condition does not depend on the "
                        "initiative", _where(cr, j), "compare a field, or remove the rule")
        else:
            yield _warn("BP901", f"rule '{rule.id}' can never fire: its condition is always false",
                        _where(cr, j), "fix or remove the rule")


# ---------------------------------------------------------------------------
# Priorities, weights, names
# ---------------------------------------------------------------------------


def _unused_priorities(policy: Policy, rules: Sequence[CompiledRule]) -> Iterator[Diagnostic]:
    if any(c.scorer == "expected_value" for c in policy.scoring.criteria):
        return  # the expected_value scorer weighs every linked priority
    texts = [cr.rule.condition for cr in rules] + [repr(dict(c.params)) for c in policy.scoring.criteria]
    for index, priority in enumerate(policy.priorities):
        if not any(priority.id in text for text in texts):
            yield _warn("BP905", f"priority '{priority.id}' is not used by any scorer or rule",
                        _located(policy, ("priorities", index)),
                        "add an expected_value criterion to [scoring], or a rule that uses it")


def _weights(policy: Policy) -> Iterator[Diagnostic]:
    criteria = policy.scoring.criteria
    total = sum((c.weight for c in criteria), Decimal(0))
    if policy.scoring.weights == "normalise" and criteria and total != 1:
        shares = ", ".join(f"{c.id} {(c.weight / total).quantize(Decimal('0.0001'))}" for c in criteria)
        yield _warn("BP906", f"criterion weights sum to {total}, not 1; they are normalised to: {shares}",
                    _located(policy, ("scoring", "weights")),
                    "write the normalised weights to make the rubric explicit")


def _names(policy: Policy, cr: CompiledRule, index: int) -> Iterator[Diagnostic]:
    priority_ids = [p.id for p in policy.priorities]
    ratings = [str(c.params.get("rating", c.id)) for c in policy.scoring.criteria if c.scorer == "rubric"]
    where = _where(cr, index)
    seen: set[str] = set()
    for node in walk(cr.condition.ast):
        path = dotted_path(node)
        if path and path.count(".") >= 1 and not isinstance(node, Name):
            head, key = path.split(".")[:2]
            label = f"{head}.{key}"
            if label in seen:
                continue
            seen.add(label)
            if head == "attributes" and not policy.attributes:
                yield _warn("BP907", f"'{label}' is not declared in [attributes]", where,
                            did_you_mean(key, _FIELDS) or f'declare it: [attributes] {key} = "number"')
            elif head == "forecast" and key not in priority_ids:
                yield _warn("BP908", f"'{label}': no priority has id '{key}'", where,
                            did_you_mean(key, priority_ids) or "forecasts are keyed by priority id")
            elif head == "ratings" and ratings and key not in ratings:
                yield _warn("BP909", f"'{label}': no rubric criterion reads rating '{key}'", where,
                            did_you_mean(key, ratings) or f"rubric ratings: {', '.join(ratings)}")
        yield from _literals(node, priority_ids, where)


def _literals(node: Node, priority_ids: list[str], where: Location) -> Iterator[Diagnostic]:
    pairs: list[tuple[str, Decimal | str | bool | None]] = []
    if isinstance(node, Binary) and node.op in ("==", "!="):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if isinstance(a, Name) and isinstance(b, Literal):
                pairs.append((a.id, b.value))
    elif isinstance(node, In):
        if isinstance(node.haystack, Name) and isinstance(node.needle, Literal):
            pairs.append((node.haystack.id, node.needle.value))
        if isinstance(node.needle, Name) and isinstance(node.haystack, ListLit):
            pairs += [(node.needle.id, item.value) for item in node.haystack.items if isinstance(item, Literal)]
    for name, value in pairs:
        if not isinstance(value, str):
            continue
        if name == "kind" and value not in KINDS:
            yield _warn("BP910", f"kind '{value}' is not an initiative kind, so this comparison never matches",
                        where, did_you_mean(value, KINDS) or f"kinds: {', '.join(KINDS)}")
        elif name == "priorities" and value not in priority_ids:
            yield _warn("BP908", f"no priority has id '{value}'", where,
                        did_you_mean(value, priority_ids) or f"priority ids: {', '.join(priority_ids)}")
