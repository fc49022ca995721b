"""budgetpolicy: a rules-driven policy engine for professional-development budgets."""

from budgetpolicy.hookspecs import hookimpl

__all__ = ["hookimpl"]
