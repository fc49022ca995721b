"""The Python API the CLI is a thin layer over; usable directly from a notebook.

    from budgetpolicy.api import open_policy, evaluate
    compiled = open_policy("policies/acme-2026.toml")
    evaluation = evaluate(compiled, "policies/acme-2026.initiatives.csv", evaluated_at=datetime(...))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from budgetpolicy.errors import BudgetPolicyError, Diagnostic, Location, PolicyLoadError
from budgetpolicy.model import Initiative, Policy
from budgetpolicy.plugins import build_registry
from budgetpolicy.registry import Registry


def load_policy_spec(spec: str) -> Policy:
    """Load a policy from a file path, or from git history with ``path@REV``."""
    if "@" in spec and not Path(spec).exists():
        from budgetpolicy.audit.git import load_policy_ref

        return load_policy_ref(spec)
    from budgetpolicy.policy.load import load_policy

    return load_policy(spec)


def check_policy(spec: str, registry: Registry | None = None, *,
                 today: dt.date | None = None) -> tuple[Policy | None, list[Diagnostic]]:
    """Every diagnostic for one policy (schema, semantics, expressions, plugins, allocation, budget-specific
    static checks): never raises for problems in the policy itself. ``today`` enables the already-expired
    rule warning (BP247); the engine itself reads no clock. Without a ``registry``, the built-ins and the
    installed plugins allowed here (``BUDGETPOLICY_PLUGINS``) are loaded."""
    from budgetpolicy.engine.compile import compile_policy
    from budgetpolicy.policy.checks import semantic_diagnostics

    try:
        policy = load_policy_spec(spec)
    except PolicyLoadError as exc:
        return None, list(exc.diagnostics)
    diagnostics = [d for d in semantic_diagnostics(policy) if d.severity == "warning"]
    from budgetpolicy.policy.budget_checks import static_diagnostics

    diagnostics += static_diagnostics(policy, today)
    try:
        compiled = compile_policy(policy, registry or build_registry())
    except BudgetPolicyError as exc:
        return policy, diagnostics + list(exc.diagnostics)
    from budgetpolicy.authoring.lint import lint_diagnostics

    diagnostics += [d for d in compiled.warnings if d not in diagnostics]
    return policy, diagnostics + lint_diagnostics(policy, compiled)


def open_policy(spec: str, registry: Registry | None = None):  # -> CompiledPolicy
    """Load and compile a policy, raising PolicyLoadError with every problem. Without a ``registry``, the
    built-ins and the installed plugins allowed here (``BUDGETPOLICY_PLUGINS``) are loaded."""
    from budgetpolicy.engine.compile import compile_policy

    return compile_policy(load_policy_spec(spec), registry or build_registry())


def read_initiatives(spec: str, registry: Registry, *, skip_invalid: bool = False,
                     on_skip=None, attribute_types=None) -> tuple[Initiative, ...]:
    """Initiatives from any registered data source; skipped rows are passed to ``on_skip``, never dropped
    silently."""
    from budgetpolicy.data.load import load_initiatives

    result = load_initiatives(spec, registry, skip_invalid=skip_invalid, attribute_types=attribute_types)
    for diagnostic in result.skipped:
        if on_skip is None:
            raise BudgetPolicyError([diagnostic])
        on_skip(diagnostic)
    return tuple(result.items)


def evaluate(compiled, initiatives: str | Sequence[Initiative], *, evaluated_at: dt.datetime | None = None,
             as_of: dt.date | None = None, calibration=None, pool_delta: Decimal = Decimal(0),
             skip_invalid: bool = False, on_skip=None):  # -> Evaluation
    from budgetpolicy.engine.compile import EvaluationContext
    from budgetpolicy.data.load import apply_attribute_types

    if isinstance(initiatives, str):
        initiatives = read_initiatives(initiatives, compiled.registry, skip_invalid=skip_invalid, on_skip=on_skip,
                                       attribute_types=compiled.policy.attributes)
    else:
        # Text sources keep custom attributes as text; the policy's [attributes] declares their types.
        initiatives = apply_attribute_types(initiatives, compiled.policy.attributes)
    context = EvaluationContext(evaluated_at=evaluated_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
                                as_of=as_of, calibration=calibration or {}, pool_delta=pool_delta)
    return compiled.evaluate(initiatives, context)


def parse_timestamp(text: str, option: str) -> dt.datetime:
    from budgetpolicy.errors import UsageError

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} '{text}' is not an ISO 8601 timestamp", Location(key=option),
                         hint="e.g. 2026-01-15T09:00:00+00:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def parse_date(text: str, option: str) -> dt.date:
    from budgetpolicy.errors import UsageError

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date", Location(key=option), hint="use YYYY-MM-DD") from None
