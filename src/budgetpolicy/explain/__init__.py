"""The explanation stage: why a decision came out as it did, and what would change it.

The :class:`~budgetpolicy.model.Explanation` of a decision is built by the engine on request
(``Evaluation.explanation``); this stage adds what needs more than one decision. Takes a compiled policy,
the initiatives and their decisions; gives counterfactuals (``counterfactual``:
the smallest change to one input, from linear thresholds in ``linear`` or a bounded search over
``inputs``; funding thresholds from the allocation's own run in ``cutoff``) and what-if comparisons of a
larger or smaller pool (``whatif``).
"""
