"""An evaluation: the settled decisions of one funding cycle, and their explanations on request.

``CompiledPolicy.evaluate`` gives an :class:`Evaluation`. Its ``decisions`` are
frozen values, final when it is made. Explaining them (a score line per
criterion, a trace per rule with the values it read, the narrative, and for
rejected, pending and deferred decisions the counterfactuals) costs several
times more than deciding and most runs never read it, so the evaluation keeps
what an explanation is built from (the compiled policy, the initiatives as
given, the context) and builds one the first time it is asked for, then keeps it.

Counterfactuals are the exception to "one decision at a time": the funding ones
are read from the evaluation's allocation run and share a re-allocation budget
across the whole evaluation (``FUNDING_BUDGET``, best-ranked first), so all of
them are computed together at the first need and kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from attrs import define, field, setters

from budgetpolicy.allocation.result import AllocationResult
from budgetpolicy.engine.records import decision_records, records_frame
from budgetpolicy.model import Decision, Explanation, Initiative, Policy

if TYPE_CHECKING:
    import pandas

    from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext


# Not frozen, so that it can keep what it builds (cached_property, the explanations); every field is
# still set once, in __init__ (on_setattr refuses a later assignment).
@define(on_setattr=setters.frozen)
class Evaluation:
    """The decisions of one funding cycle; :meth:`explanation` says why each came out as it did.

    Attributes: ``policy`` (the :class:`Policy` that decided), ``context`` (the
    :class:`EvaluationContext`: evaluation time, as-of date, calibration, what-if), ``decisions`` (a
    :class:`Decision` per initiative, in input order), ``allocation`` (the ``AllocationResult``, None
    without an ``[allocation]`` section), ``compiled`` and ``initiatives`` (what explanations are built
    from). For a notebook: :meth:`to_records` (plain dicts) and :meth:`to_pandas` (a DataFrame)::

        evaluation = budgetpolicy.run_cycle("policies/acme-2026.toml", "policies/acme-2026.initiatives.csv")
        frame = evaluation.to_pandas()                   # Decimal columns as exact strings
        frame = evaluation.to_pandas(decimals="float")   # or float64, for plotting
    """

    policy: Policy
    context: EvaluationContext
    decisions: tuple[Decision, ...]
    allocation: AllocationResult | None = None  # None when the policy has no [allocation]
    # What explanations are built from: the policy that decided, and the initiatives in decision order.
    compiled: CompiledPolicy | None = field(default=None, eq=False, repr=False)
    initiatives: tuple[Initiative, ...] = field(default=(), eq=False, repr=False)
    _explanations: dict[str, Explanation] = field(init=False, factory=dict, eq=False, repr=False)

    def decision(self, initiative_id: str) -> Decision:
        """The decision for ``initiative_id`` (KeyError when the evaluation has none)."""
        return self.decisions[self._positions[initiative_id]]

    def to_records(self, decimals: Literal["decimal", "string"] = "decimal") -> list[dict[str, Any]]:
        """One plain dict per decision, in decision order: the initiative's columns (title, kind, department,
        currency, requested), the decision's (outcome, score, expected_value, allocated, funding_step,
        required_approvers, flags, reasons, reason_messages as lists) and the policy's id and version.
        Money and scores stay ``Decimal``; ``decimals="string"`` gives their exact text instead."""
        return decision_records(self.policy, self.decisions, self.initiatives,
                                self.context.evaluated_at.isoformat(), decimals)

    def to_pandas(self, decimals: Literal["string", "float"] = "string") -> pandas.DataFrame:
        """:meth:`to_records` as a pandas DataFrame (needs pandas: the ``pandas`` extra). No column is
        ``object``: text and list columns (joined with ", ") are pandas ``string``; Decimal columns are
        exact ``string`` by default or ``float64`` with ``decimals="float"`` (inexact: sum money as Decimals)."""
        return records_frame(self.to_records(), decimals)

    def explanation(self, initiative_id: str) -> Explanation:
        """Why the decision for ``initiative_id`` came out as it did; built on the first call, then kept."""
        explanation = self._explanations.get(initiative_id)
        if explanation is None:
            explanation = self._explain(self._positions[initiative_id])
        return explanation

    def explained(self, keep: bool = True) -> Iterator[tuple[Decision, Explanation]]:
        """Every decision with its explanation, in decision order (the JSON output and the ledger).
        ``keep=False`` does not keep the ones it builds: a streamed output holds one at a time."""
        for index, decision in enumerate(self.decisions):
            explanation = self._explanations.get(decision.initiative_id)
            yield decision, explanation if explanation is not None else self._explain(index, keep)

    @cached_property
    def counterfactuals(self) -> Mapping[str, tuple[str, ...]]:
        """Initiative id -> what would change its decision, for every rejected, pending or deferred one
        (none when ``context.explain`` is off)."""
        if not self.context.explain:
            return {}
        return self._compiler.counterfactuals(self.initiatives, self.decisions, self.context, self.allocation)

    def _explain(self, index: int, keep: bool = True) -> Explanation:
        decision = self.decisions[index]
        initiative = self.initiatives[index] if index < len(self.initiatives) else None
        if initiative is None or initiative.id != decision.initiative_id:
            raise ValueError(f"no initiative kept for decision '{decision.initiative_id}': only an evaluation made by "
                             "CompiledPolicy.evaluate can be explained")
        explanation = self._compiler.explain(initiative, decision, self.context,
                                             self.counterfactuals.get(decision.initiative_id, ()))
        if keep:
            self._explanations[decision.initiative_id] = explanation
        return explanation

    @property
    def _compiler(self) -> CompiledPolicy:
        if self.compiled is None:
            raise ValueError("no compiled policy kept: only an evaluation made by CompiledPolicy.evaluate can be "
                             "explained")
        return self.compiled

    @cached_property
    def _positions(self) -> dict[str, int]:
        positions: dict[str, int] = {}
        for index, d in enumerate(self.decisions):
            positions.setdefault(d.initiative_id, index)
        return positions
