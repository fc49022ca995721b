"""The engine stage: compile a policy once, then decide many initiatives with it.

Takes a ``Policy`` and the plugin registry; ``compile.compile_policy`` gives a ``CompiledPolicy`` whose
``evaluate(initiatives, context)`` gives an ``Evaluation`` (``evaluation``): every initiative scored
(``score``), run through the approval rules (``approve``, conditions compiled once by
:mod:`budgetpolicy.expr` against the names in ``symbols``), then allocated (:mod:`budgetpolicy.allocation`).
Each decision is explained on request (``Evaluation.explanation``: score lines, rule traces,
``narrative``, and counterfactuals from :mod:`budgetpolicy.explain`). Pure: the clock and calibration
arrive in the context.
"""
