"""budgetpolicy: a rules-driven policy engine for professional-development budgets.

The public API, for notebooks and scripts (every name in ``__all__`` has a docstring)::

    import budgetpolicy as bp

    evaluation = bp.run_cycle("policies/acme-2026.toml", "policies/acme-2026.initiatives.csv")
    decision = evaluation.decision("INI-019")           # the settled facts
    explanation = evaluation.explanation("INI-019")     # score lines, rule traces, narrative, counterfactuals

Step by step: :func:`load_policy` / :func:`check_policy` / :func:`compile_policy` (or :func:`open_policy`),
:func:`read_initiatives`, :func:`evaluate`, :func:`read_outcomes`, :func:`run_review`; the ledger is
:class:`Ledger`, and :func:`replay` re-runs what it recorded; :func:`approve` and :func:`refuse` record sign-offs
of the ledger's plan, and :func:`positions` says where its money stands. Plugins implement hooks marked with
:data:`hookimpl`. Every failure is a :class:`BudgetPolicyError` subclass carrying located diagnostics.

Every ``import budgetpolicy.<module>`` runs this file first, the command line's included, so the API
names are imported on first use (PEP 562 ``__getattr__``): ``budgetpolicy --help`` must not pay for
the engine, the data loaders and the ledger. Type checkers read the imports under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from budgetpolicy.errors import (AllocationError, BudgetPolicyError, DataError, Diagnostic, ExpressionError,
                                 LedgerError, Location, PluginError, PolicyLoadError, ReviewError, UsageError,
                                 YearError)
from budgetpolicy.hookspecs import hookimpl

if TYPE_CHECKING:
    from budgetpolicy.api import (approve, check_policy, compile_policy, evaluate, load_policy, open_policy,
                                  positions, read_initiatives, read_outcomes, refuse, review_year, run_cycle,
                                  run_review)
    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.audit.replay import replay
    from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext
    from budgetpolicy.engine.evaluation import Evaluation
    from budgetpolicy.model import Decision, Explanation, Initiative, OutcomeReading, Policy
    from budgetpolicy.plugins import build_registry
    from budgetpolicy.registry import Registry
    from budgetpolicy.review.quarterly import ReviewResult
    from budgetpolicy.year.positions import Positions
    from budgetpolicy.year.quarters import YearReview
    from budgetpolicy.year.signoff import SignOffResult

# Public name -> the module that defines it (imported on first use, see the module docstring).
_LAZY = {
    **dict.fromkeys(("run_cycle", "load_policy", "check_policy", "compile_policy", "open_policy",
                     "read_initiatives", "read_outcomes", "evaluate", "run_review", "approve", "refuse",
                     "positions", "review_year"), "budgetpolicy.api"),
    **dict.fromkeys(("CompiledPolicy", "EvaluationContext"), "budgetpolicy.engine.compile"),
    "Evaluation": "budgetpolicy.engine.evaluation",
    **dict.fromkeys(("Policy", "Initiative", "OutcomeReading", "Decision", "Explanation"), "budgetpolicy.model"),
    "ReviewResult": "budgetpolicy.review.quarterly",
    "Ledger": "budgetpolicy.audit.ledger",
    "replay": "budgetpolicy.audit.replay",
    "Registry": "budgetpolicy.registry",
    "Positions": "budgetpolicy.year.positions",
    "SignOffResult": "budgetpolicy.year.signoff",
    "YearReview": "budgetpolicy.year.quarters",
    "build_registry": "budgetpolicy.plugins",
}

__all__ = [
    # the whole cycle, and its steps in pipeline order
    "run_cycle", "load_policy", "check_policy", "compile_policy", "open_policy", "read_initiatives", "evaluate",
    "read_outcomes", "run_review",
    # the values
    "Policy", "CompiledPolicy", "Initiative", "OutcomeReading", "EvaluationContext", "Evaluation", "Decision",
    "Explanation", "ReviewResult",
    # audit
    "Ledger", "replay",
    # the budget year: sign-offs and positions, recorded in the ledger
    "approve", "refuse", "positions", "Positions", "SignOffResult", "review_year", "YearReview",
    # plugins
    "hookimpl", "Registry", "build_registry",
    # errors
    "BudgetPolicyError", "UsageError", "PolicyLoadError", "ExpressionError", "DataError", "PluginError",
    "AllocationError", "ReviewError", "LedgerError", "YearError", "Diagnostic", "Location",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'budgetpolicy' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
