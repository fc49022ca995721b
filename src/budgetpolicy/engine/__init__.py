"""The engine stage: compile a policy once, then decide many initiatives with it.

Takes a ``Policy`` and the plugin registry; ``compile.compile_policy`` gives a ``CompiledPolicy`` whose
``evaluate(initiatives, context)`` gives an ``Evaluation``: every initiative scored (``score``), run
through the approval rules (``approve``, conditions compiled once by :mod:`budgetpolicy.expr` against the
names in ``symbols``), then allocated (:mod:`budgetpolicy.allocation`) and explained
(:mod:`budgetpolicy.explain`, ``narrative``). Pure: the clock and calibration arrive in the context.
"""
