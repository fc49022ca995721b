"""The policy stage: a TOML file in, a checked, frozen :class:`~budgetpolicy.model.Policy` out.

Takes policy text (a file, a git revision, a copy stored in a ledger) and gives a ``Policy`` or every
problem at once as located diagnostics (file, key path, line). ``load`` runs the steps in order:
TOML parse, JSON Schema (``schema``), model building (``build``), semantic checks (``checks``, BP2xx);
``budget_checks`` adds the budget-specific static checks (BP24x) and ``locate`` maps key paths to lines.
"""
